package org.mta4j.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mta4j.Mta;
import org.mta4j.smtp.Recipient;

/**
 * The closed relay (Postfix's {@code reject_unauth_destination} with {@code allow_untrusted_routing
 * = no}): an untrusted, unauthenticated client may send only to the local domain, whatever routing
 * syntax it hides in the address; trusted networks and authenticated clients may send anywhere.
 */
class OpenRelayTest {

  private static final String RELAY_DENIED = "554 5.7.1 Relay access denied";
  private static final String MALFORMED = "553 5.1.3 Error: malformed recipient address";

  /** Every RCPT argument that must not be accepted from an untrusted client, and its reply. */
  static Stream<Arguments> relayAttempts() {
    return Stream.of(
        Arguments.of("TO:<user@other.test>", RELAY_DENIED),
        Arguments.of("TO:<USER@OTHER.TEST>", RELAY_DENIED),
        Arguments.of("TO:<user%other.test@example.test>", RELAY_DENIED),
        Arguments.of("TO:<@example.test:user@other.test>", RELAY_DENIED),
        Arguments.of("TO:<@example.test,@example.test:user@other.test>", RELAY_DENIED),
        Arguments.of("TO:<other.test!user@example.test>", RELAY_DENIED),
        Arguments.of("TO:<\"user@other.test\"@example.test>", RELAY_DENIED),
        Arguments.of("TO:<\"user%other.test\"@example.test>", RELAY_DENIED),
        Arguments.of("TO:<\"other.test!user\"@example.test>", RELAY_DENIED),
        Arguments.of("TO:<\"user\\@other.test\"@example.test>", RELAY_DENIED),
        Arguments.of("TO:<user@[127.0.0.1]>", RELAY_DENIED),
        Arguments.of("TO:<user@[IPv6:::1]>", RELAY_DENIED),
        Arguments.of("TO:<user@example.test.other.test>", RELAY_DENIED),
        Arguments.of("TO:<user@sub.example.test>", RELAY_DENIED),
        Arguments.of("TO:<postmaster@other.test>", RELAY_DENIED),
        Arguments.of("TO:<user@other.test@example.test>", MALFORMED),
        Arguments.of("TO:<user@example.test.>", MALFORMED),
        Arguments.of("TO:<user@other.test.>", MALFORMED),
        Arguments.of("TO:<user@other.test (comment)>", MALFORMED),
        Arguments.of("TO:<user@other.test> (comment)", MALFORMED),
        Arguments.of("TO:user@other.test", MALFORMED),
        Arguments.of("TO:<<user@other.test>>", MALFORMED),
        Arguments.of("TO:<user@other.test", MALFORMED));
  }

  @ParameterizedTest(name = "RCPT {0}")
  @MethodSource("relayAttempts")
  void anUntrustedClientCannotRelayThroughRoutingSyntax(String rcptArgs, String expected) {
    try (RunningServer server = RunningServer.start(OpenRelayTest::untrusted);
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<spammer@sender.test>").status()).isEqualTo("250 2.1.0");

      assertThat(wire.command("RCPT " + rcptArgs).line()).isEqualTo(expected);

      // 554 after a refused recipient, 503 after a malformed one: either way no message (RFC 2920)
      assertThat(wire.command("DATA").status()).isIn("554 5.5.1", "503 5.5.1");
      assertThat(wire.command("QUIT").status()).isEqualTo("221 2.0.0");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void anUntrustedClientMaySendToTheLocalDomainAndToPostmaster() {
    try (RunningServer server = RunningServer.start(OpenRelayTest::untrusted);
        SmtpWire wire = server.afterEhlo()) {
      wire.send(
          "MAIL FROM:<someone@sender.test>\r\n"
              + "RCPT TO:<user@example.test>\r\n"
              + "RCPT TO:<USER2@EXAMPLE.TEST>\r\n"
              + "RCPT TO:<postmaster>\r\n"
              + "RCPT TO:<PostMaster>\r\n"
              + "RCPT TO:<@other.test:routed@example.test>\r\n"
              + "DATA\r\n");
      assertThat(wire.read(7))
          .extracting(SmtpWire.Reply::status)
          .containsExactly(
              "250 2.1.0", "250 2.1.5", "250 2.1.5", "250 2.1.5", "250 2.1.5", "250 2.1.5", "354");
      assertThat(wire.send("Subject: hi\r\n\r\nhi\r\n.\r\n").read().status())
          .isEqualTo("250 2.0.0");

      // The source route is dropped (RFC 5321 §C): the final mailbox is local, so it is no relay.
      assertThat(server.handler().messages().get(0).envelope().recipients())
          .extracting(Recipient::address)
          .containsExactly(
              "user@example.test",
              "USER2@EXAMPLE.TEST",
              "postmaster",
              "PostMaster",
              "routed@example.test");
    }
  }

  @Test
  void anAuthenticatedClientMayRelay() {
    try (RunningServer server =
            RunningServer.start(
                b ->
                    untrusted(b)
                        .allowAuthWithoutTls(true)
                        .authenticator(
                            (user, password, session) ->
                                user.equals("alice") && password.equals("secret")));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<alice@example.test>").status()).isEqualTo("250 2.1.0");
      assertThat(wire.command("RCPT TO:<bob@other.test>").line()).isEqualTo(RELAY_DENIED);
      assertThat(wire.command("RSET").status()).isEqualTo("250 2.0.0");
      assertThat(wire.command("AUTH PLAIN " + plain("alice", "wrong")).status())
          .isEqualTo("535 5.7.8");
      assertThat(wire.command("AUTH PLAIN " + plain("alice", "secret")).line())
          .isEqualTo("235 2.7.0 Authentication successful");

      assertThat(wire.command("MAIL FROM:<alice@example.test>").status()).isEqualTo("250 2.1.0");
      assertThat(wire.command("RCPT TO:<bob@other.test>").status()).isEqualTo("250 2.1.5");
      assertThat(wire.command("DATA").code()).isEqualTo(354);
      assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");

      Envelope envelope = server.handler().messages().get(0).envelope();
      assertThat(envelope.recipients())
          .extracting(Recipient::address)
          .containsExactly("bob@other.test");
      assertThat(envelope.session().authIdentity()).isEqualTo("alice");
    }
  }

  @Test
  void aClientInATrustedNetworkMayRelay() {
    try (RunningServer server = RunningServer.start(b -> b.trustedNetworks("127.0.0.0/8"));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<app@example.test>").status()).isEqualTo("250 2.1.0");
      assertThat(wire.command("RCPT TO:<bob@other.test>").status()).isEqualTo("250 2.1.5");
    }
  }

  @Test
  void onlyTheTrustedAddressMayRelay() {
    try (RunningServer server = RunningServer.start(b -> b.trustedNetworks("127.0.0.2/32"))) {
      try (SmtpWire trusted = SmtpWire.connect(server.port(), "127.0.0.2")) {
        trusted.read();
        trusted.command("EHLO trusted.example.test");
        trusted.command("MAIL FROM:<app@example.test>");
        assertThat(trusted.command("RCPT TO:<bob@other.test>").status()).isEqualTo("250 2.1.5");
      }
      try (SmtpWire other = server.afterEhlo()) {
        other.command("MAIL FROM:<app@example.test>");
        assertThat(other.command("RCPT TO:<bob@other.test>").line()).isEqualTo(RELAY_DENIED);
      }
    }
  }

  @Test
  void relayDenialsCountAsErrorsUntilTheSessionIsClosed() {
    try (RunningServer server = RunningServer.start(b -> untrusted(b).maxErrors(3));
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<spammer@sender.test>");
      wire.send("RCPT TO:<a@other.test>\r\nRCPT TO:<b@other.test>\r\nRCPT TO:<c@other.test>\r\n");

      List<SmtpWire.Reply> replies = wire.readUntilClosed(5);

      assertThat(replies)
          .extracting(SmtpWire.Reply::status)
          .containsExactly("554 5.7.1", "554 5.7.1", "554 5.7.1", "421 4.7.0");
    }
  }

  private static Mta.Builder untrusted(Mta.Builder b) {
    return b.trustedNetworks().localDomains("example.test");
  }

  private static String plain(String user, String password) {
    return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(UTF_8));
  }
}
