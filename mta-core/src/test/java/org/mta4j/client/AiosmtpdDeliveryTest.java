package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.client.ClientFixtures.AWAIT;
import static org.mta4j.client.ClientFixtures.client;
import static org.mta4j.client.ClientFixtures.clientBuilder;
import static org.mta4j.client.ClientFixtures.connected;
import static org.mta4j.client.ClientFixtures.failed;
import static org.mta4j.client.ClientFixtures.message;
import static org.mta4j.client.ClientFixtures.recipients;
import static org.mta4j.client.ClientFixtures.simpleContent;
import static org.mta4j.client.ClientFixtures.target;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mta4j.client.SessionFailure.NetworkError;
import org.mta4j.client.SessionFailure.ServerReply;
import org.mta4j.client.SessionFailure.Unmet;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.TestCertificates;

/** The client against a real aiosmtpd: plain delivery, STARTTLS with and without trust, AUTH. */
class AiosmtpdDeliveryTest {

  private static final String USER = "relay-user";
  private static final String PASSWORD = "s3cret pässword";

  @Test
  void plainDeliveryReachesEveryRecipientByteForByte() {
    byte[] content =
        ("From: sender@example.test\r\n"
                + "Subject: plain\r\n"
                + "\r\n"
                + ".leading dot\r\n"
                + "..two dots\r\n"
                + ".\r\n"
                + "8-bit: caf\u00e9\r\n"
                + "last line\r\n")
            .getBytes(UTF_8);
    try (AiosmtpdServer server = AiosmtpdServer.builder().start();
        SmtpConnection connection =
            connected(client().connect(target(server.port(), TlsPolicy.NONE)))) {
      List<String> to = List.of("a@example.test", "b@example.test", "c@example.org");

      TransactionResult result =
          connection.send(
              OutgoingMessage.of(
                  "sender@example.test", recipients(to.toArray(String[]::new)), content));

      assertThat(result.messageAccepted()).isTrue();
      assertThat(result.recipientReplies())
          .extracting(r -> r.reply().code())
          .containsExactly(250, 250, 250);
      assertThat(result.messageReply().code()).isEqualTo(250);
      assertThat(connection.tlsSession()).isEmpty();
      AiosmtpdServer.Message got = server.awaitMessages(1, AWAIT).get(0);
      assertThat(got.mailFrom()).isEqualTo("sender@example.test");
      assertThat(got.rcptTos()).containsExactlyElementsOf(to);
      assertThat(got.content()).isEqualTo(content);
      assertThat(got.mailOptions()).contains("SIZE=" + content.length);
    }
  }

  @Test
  void requiredVerifiedTlsWithTrustedCertificateDeliversOverTls() {
    SmtpClient client = clientBuilder().sslContext(TestCertificates.clientContext()).build();
    try (AiosmtpdServer server = AiosmtpdServer.builder().startTls().start();
        SmtpConnection connection =
            connected(client.connect(target(server.port(), TlsPolicy.REQUIRED_VERIFIED)))) {

      TransactionResult result = connection.send(message(simpleContent("tls"), "a@example.test"));

      assertThat(result.messageAccepted()).isTrue();
      assertThat(connection.tlsSession()).isPresent();
      assertThat(connection.extensions().startTls()).as("STARTTLS is gone after TLS").isFalse();
      assertThat(server.awaitMessages(1, AWAIT).get(0).tls()).isTrue();
    }
  }

  @Test
  void requiredVerifiedTlsWithDefaultTrustFailsAtTheHandshakeAndSendsNothing() {
    try (AiosmtpdServer server = AiosmtpdServer.builder().startTls().start()) {

      SessionFailure failure =
          failed(client().connect(target(server.port(), TlsPolicy.REQUIRED_VERIFIED)));

      assertThat(failure.stage()).isEqualTo(Stage.TLS_HANDSHAKE);
      assertThat(failure)
          .isInstanceOfSatisfying(
              NetworkError.class, e -> assertThat(e.kind()).isEqualTo(NetworkError.Kind.TLS));
      assertThat(server.messages()).isEmpty();
    }
  }

  @Test
  void requiredVerifiedTlsRefusesACertificateForAnotherName() {
    SmtpClient client = clientBuilder().sslContext(TestCertificates.clientContext()).build();
    try (AiosmtpdServer server = AiosmtpdServer.builder().startTls().start()) {
      SmtpTarget target =
          SmtpTarget.of(server.address(), "mx.elsewhere.test", TlsPolicy.REQUIRED_VERIFIED);

      SessionFailure failure = failed(client.connect(target));

      assertThat(failure)
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.TLS_HANDSHAKE);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.TLS);
              });
    }
  }

  @Test
  void opportunisticTlsEncryptsWithoutVerifyingTheCertificate() {
    try (AiosmtpdServer server = AiosmtpdServer.builder().startTls().start();
        SmtpConnection connection =
            connected(client().connect(target(server.port(), TlsPolicy.OPPORTUNISTIC)))) {

      assertThat(connection.send(message(simpleContent("may"), "a@example.test")).messageAccepted())
          .isTrue();

      assertThat(connection.tlsSession()).isPresent();
      assertThat(server.awaitMessages(1, AWAIT).get(0).tls()).isTrue();
    }
  }

  @Test
  void authPlainOverStartTlsDelivers() {
    try (AiosmtpdServer server = AiosmtpdServer.builder().startTls().auth(USER, PASSWORD).start()) {
      SmtpTarget target =
          target(server.port(), TlsPolicy.REQUIRED)
              .withCredentials(new Credentials(USER, PASSWORD));
      try (SmtpConnection connection = connected(client().connect(target))) {

        TransactionResult result =
            connection.send(message(simpleContent("auth"), "a@example.test"));

        assertThat(connection.isAuthenticated()).isTrue();
        assertThat(result.messageAccepted()).isTrue();
        AiosmtpdServer.Message got = server.awaitMessages(1, AWAIT).get(0);
        assertThat(got.authUser()).isEqualTo(USER);
        assertThat(got.tls()).isTrue();
      }
    }
  }

  @Test
  void wrongPasswordIsASessionFailureCarrying535() {
    try (AiosmtpdServer server = AiosmtpdServer.builder().startTls().auth(USER, PASSWORD).start()) {
      SmtpTarget target =
          target(server.port(), TlsPolicy.REQUIRED).withCredentials(new Credentials(USER, "wrong"));

      SessionFailure failure = failed(client().connect(target));

      assertThat(failure)
          .isInstanceOfSatisfying(
              ServerReply.class,
              f -> {
                assertThat(f.stage()).isEqualTo(Stage.AUTH);
                assertThat(f.reply().code()).isEqualTo(535);
                assertThat(f.reply().enhanced()).isEqualTo("5.7.8");
              });
      assertThat(server.messages()).isEmpty();
    }
  }

  @Test
  void credentialsAreNotSentOverPlainTextUnlessTheTargetAllowsIt() {
    try (AiosmtpdServer server =
        AiosmtpdServer.builder().auth(USER, PASSWORD).authRequireTls(false).start()) {
      SmtpTarget target =
          target(server.port(), TlsPolicy.NONE).withCredentials(new Credentials(USER, PASSWORD));

      SessionFailure refused = failed(client().connect(target));
      assertThat(refused)
          .isInstanceOfSatisfying(
              Unmet.class,
              u -> assertThat(u.requirement()).isEqualTo(Unmet.Requirement.TLS_FOR_AUTH));

      try (SmtpConnection connection =
          connected(client().connect(target.withPlaintextAuthAllowed()))) {
        assertThat(connection.isAuthenticated()).isTrue();
        assertThat(
                connection.send(message(simpleContent("lab"), "a@example.test")).messageAccepted())
            .isTrue();
      }
      assertThat(server.awaitMessages(1, AWAIT).get(0).authUser()).isEqualTo(USER);
    }
  }

  @Test
  void internationalAddressesGoWithSmtpUtf8() {
    try (AiosmtpdServer server = AiosmtpdServer.builder().start();
        SmtpConnection connection =
            connected(client().connect(target(server.port(), TlsPolicy.NONE)))) {
      OutgoingMessage message =
          OutgoingMessage.of(
              "j\u00f8ran@example.test",
              recipients("\u7528\u6237@example.test"),
              simpleContent("utf8").getBytes(UTF_8));

      assertThat(connection.send(message).messageAccepted()).isTrue();

      AiosmtpdServer.Message got = server.awaitMessages(1, AWAIT).get(0);
      assertThat(got.mailFrom()).isEqualTo("j\u00f8ran@example.test");
      assertThat(got.rcptTos()).containsExactly("\u7528\u6237@example.test");
      assertThat(got.mailOptions()).contains("SMTPUTF8");
    }
  }
}
