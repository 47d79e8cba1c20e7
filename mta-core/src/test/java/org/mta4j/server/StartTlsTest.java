package org.mta4j.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.mta4j.testing.TestCertificates;

/**
 * STARTTLS (RFC 3207): plaintext pipelined behind STARTTLS is thrown away (CVE-2011-0411, the
 * command injection found in Postfix and others in 2011), and everything learned before TLS is
 * forgotten (§4.2).
 */
class StartTlsTest {

  @Test
  void aCommandInjectedBehindStartTlsIsNeverAnswered() {
    try (RunningServer server = RunningServer.start(b -> b.tls(TestCertificates.serverContext()));
        SmtpWire wire = server.afterEhlo()) {
      wire.send("STARTTLS\r\nRSET\r\n");
      assertThat(wire.read().line()).isEqualTo("220 2.0.0 Ready to start TLS");
      wire.startTls();

      SmtpWire.Reply first = wire.command("EHLO client.example.test");

      assertThat(first.lines().get(0)).isEqualTo("250-" + RunningServer.HOSTNAME);
      assertThat(wire.command("NOOP").line()).isEqualTo("250 2.0.0 Ok");
    }
  }

  @Test
  void anInjectedTransactionBehindStartTlsLeavesNoState() {
    try (RunningServer server = RunningServer.start(b -> b.tls(TestCertificates.serverContext()));
        SmtpWire wire = server.afterEhlo()) {
      wire.send("STARTTLS\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@example.test>\r\n");
      assertThat(wire.read().status()).isEqualTo("220 2.0.0");
      wire.startTls();

      wire.command("EHLO client.example.test");

      // Had the injected MAIL survived, this would be a nested MAIL (503) and RCPT would not 503.
      assertThat(wire.command("RCPT TO:<bob@example.test>").status()).isEqualTo("503 5.5.1");
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").status()).isEqualTo("250 2.1.0");
    }
  }

  @Test
  void afterStartTlsTheClientMustSayEhloAgain() {
    try (RunningServer server = RunningServer.start(b -> b.tls(TestCertificates.serverContext()));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("STARTTLS").status()).isEqualTo("220 2.0.0");
      wire.startTls();

      assertThat(wire.command("MAIL FROM:<alice@sender.test>").line())
          .isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
    }
  }

  @Test
  void aTransactionOpenBeforeStartTlsIsForgotten() {
    try (RunningServer server = RunningServer.start(b -> b.tls(TestCertificates.serverContext()));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").status()).isEqualTo("250 2.1.0");
      assertThat(wire.command("STARTTLS").status()).isEqualTo("220 2.0.0");
      wire.startTls();
      wire.command("EHLO client.example.test");

      assertThat(wire.command("RCPT TO:<bob@example.test>").line())
          .isEqualTo("503 5.5.1 Error: need MAIL command");
    }
  }

  @Test
  void startTlsIsOfferedOnlyOnceAndRefusedWhenActive() {
    try (RunningServer server = RunningServer.start(b -> b.tls(TestCertificates.serverContext()));
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("EHLO client.example.test").texts()).contains("STARTTLS");
      wire.command("STARTTLS");
      wire.startTls();

      assertThat(wire.command("EHLO client.example.test").texts()).doesNotContain("STARTTLS");
      assertThat(wire.command("STARTTLS").line()).isEqualTo("503 5.5.1 Error: TLS already active");
    }
  }

  @Test
  void startTlsWithoutTlsConfiguredIsNotImplemented() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("STARTTLS").line())
          .isEqualTo("502 5.5.1 Error: command not implemented");
    }
  }

  @Test
  void aMessageOverTlsRecordsTheTlsStateAndTheEsmtpsProtocol() {
    try (RunningServer server = RunningServer.start(b -> b.tls(TestCertificates.serverContext()));
        SmtpWire wire = server.afterEhlo()) {
      wire.command("STARTTLS");
      wire.startTls();
      wire.command("EHLO client.example.test");
      wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n").read(3);
      assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");

      var received = server.handler().messages().get(0);
      assertThat(received.envelope().session().tls()).isNotNull();
      assertThat(received.envelope().session().tls().protocol()).startsWith("TLSv1.");
      assertThat(received.contentAsString()).contains(" with ESMTPS id ");
    }
  }

  @Test
  void authIsOfferedOnlyAfterTlsByDefault() {
    try (RunningServer server =
            RunningServer.start(
                b ->
                    b.tls(TestCertificates.serverContext())
                        .authenticator((u, p, s) -> u.equals("alice") && p.equals("secret")));
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("EHLO client.example.test").texts())
          .doesNotContain("AUTH PLAIN LOGIN");
      assertThat(wire.command("AUTH PLAIN " + plain("alice", "secret")).status())
          .isEqualTo("538 5.7.11");

      wire.command("STARTTLS");
      wire.startTls();

      assertThat(wire.command("EHLO client.example.test").texts()).contains("AUTH PLAIN LOGIN");
      assertThat(wire.command("AUTH PLAIN " + plain("alice", "secret")).status())
          .isEqualTo("235 2.7.0");
      assertThat(wire.command("EHLO client.example.test").texts())
          .doesNotContain("AUTH PLAIN LOGIN");
    }
  }

  @Test
  void anImplicitTlsListenerGreetsOverTlsAndOffersNoStartTls() {
    try (RunningServer server =
            RunningServer.start(
                Listener.implicitTls("127.0.0.1", 0),
                b -> b.tls(TestCertificates.serverContext()));
        SmtpWire wire = server.connect()) {
      wire.startTls();
      assertThat(wire.read().line()).isEqualTo(RunningServer.GREETING);

      assertThat(wire.command("EHLO client.example.test").texts())
          .doesNotContain("STARTTLS")
          .contains("PIPELINING");
    }
  }

  private static String plain(String user, String password) {
    return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(UTF_8));
  }
}
