package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.TestCertificates;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.MimeMessageHelper;

/** The {@code mta.server.*} and {@code mta.limits.*} groups, seen by a real client (swaks). */
class MtaServerPropertiesTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);

  @Test
  void propertiesAloneGiveARunningRelayThatForwardsWhatSwaksSends() {
    try (AiosmtpdServer next = AiosmtpdServer.builder().start()) {
      Runners.mta()
          .withPropertyValues(Runners.relayTo(next.port()))
          .run(
              context -> {
                assertThat(context).hasSingleBean(Mta.class).hasSingleBean(MtaLifecycle.class);
                assertThat(context.getBean(MtaLifecycle.class).isRunning()).isTrue();
                int port = context.getBean(Mta.class).port();
                Swaks.Run run =
                    Swaks.send(port, "--from", "app@starter.test", "--to", "bob@remote.test")
                        .assertSuccess();
                assertThat(run.transcript()).contains("220 " + Runners.HOSTNAME);
                AiosmtpdServer.Message m = next.awaitMessages(1, AWAIT).get(0);
                assertThat(m.mailFrom()).isEqualTo("app@starter.test");
                assertThat(m.rcptTos()).containsExactly("bob@remote.test");
              });
    }
  }

  @Test
  void localDomainsAreOpenToAnyoneAndRelayOnlyToTrustedNetworks() {
    Runners.mta()
        .withPropertyValues(
            "mta.server.local-domains=local.test,other.test",
            "mta.server.trusted-networks=10.0.0.0/8")
        .run(
            context -> {
              int port = context.getBean(Mta.class).port();
              Swaks.send(port, "--to", "a@other.test", "--quit-after", "RCPT").assertSuccess();
              Swaks.Run relay = Swaks.send(port, "--to", "a@remote.test", "--quit-after", "RCPT");
              assertThat(relay.exitCode()).isNotZero();
              assertThat(relay.transcript()).contains("554 5.7.1");
            });
  }

  @Test
  void tlsFromPemFilesOffersStartTls() {
    Runners.mta()
        .withPropertyValues("mta.server.local-domains=local.test")
        .withPropertyValues(Runners.serverTls())
        .run(
            context -> {
              int port = context.getBean(Mta.class).port();
              Swaks.Run run =
                  Swaks.send(port, "-tls", "--to", "a@local.test", "--quit-after", "RCPT")
                      .assertSuccess();
              assertThat(run.transcript()).contains("STARTTLS").contains("TLS started");
            });
  }

  @Test
  void tlsFromAnSslBundle() {
    Runners.mta()
        .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class))
        .withPropertyValues(
            "spring.ssl.bundle.pem.smtp.keystore.certificate=file:"
                + TestCertificates.certificatePem(),
            "spring.ssl.bundle.pem.smtp.keystore.private-key=file:"
                + TestCertificates.privateKeyPem(),
            "mta.server.local-domains=local.test",
            "mta.server.tls.bundle=smtp")
        .run(
            context -> {
              int port = context.getBean(Mta.class).port();
              Swaks.Run run =
                  Swaks.send(port, "-tls", "--to", "a@local.test", "--quit-after", "RCPT")
                      .assertSuccess();
              assertThat(run.transcript()).contains("TLS started");
            });
  }

  @Test
  void implicitTlsPortSpeaksTlsFromTheFirstByte() {
    Runners.mta()
        .withPropertyValues("mta.server.local-domains=local.test", "mta.server.implicit-tls-port=0")
        .withPropertyValues(Runners.serverTls())
        .run(
            context -> {
              List<Integer> ports = context.getBean(Mta.class).boundPorts();
              assertThat(ports).hasSize(2);
              Swaks.send(ports.get(1), "-tlsc", "--to", "a@local.test", "--quit-after", "RCPT")
                  .assertSuccess();
            });
  }

  @Test
  void authUsersLetTheRightPasswordRelayAndRefuseAWrongOne() {
    try (AiosmtpdServer next = AiosmtpdServer.builder().start()) {
      Runners.mta()
          .withPropertyValues(Runners.relayTo(next.port()))
          .withPropertyValues("mta.server.trusted-networks=", "mta.server.auth.users.alice=s3cret")
          .withPropertyValues(Runners.serverTls())
          .run(
              context -> {
                int port = context.getBean(Mta.class).port();
                Swaks.Run wrong =
                    Swaks.send(
                        port,
                        "-tls",
                        "--auth",
                        "PLAIN",
                        "--auth-user",
                        "alice",
                        "--auth-password",
                        "nope",
                        "--to",
                        "bob@remote.test");
                assertThat(wrong.exitCode()).isNotZero();
                assertThat(wrong.transcript()).contains("535");
                Swaks.send(
                        port,
                        "-tls",
                        "--auth",
                        "PLAIN",
                        "--auth-user",
                        "alice",
                        "--auth-password",
                        "s3cret",
                        "--to",
                        "bob@remote.test")
                    .assertSuccess();
                assertThat(next.awaitMessages(1, AWAIT).get(0).rcptTos())
                    .containsExactly("bob@remote.test");
              });
    }
  }

  @Test
  void authWithoutTlsMayBeAllowedForATestRig() {
    Runners.mta()
        .withPropertyValues(
            "mta.server.trusted-networks=",
            "mta.server.local-domains=local.test",
            "mta.server.auth.users.alice=s3cret",
            "mta.server.auth.allow-without-tls=true")
        .run(
            context -> {
              int port = context.getBean(Mta.class).port();
              Swaks.send(
                      port,
                      "--auth",
                      "LOGIN",
                      "--auth-user",
                      "alice",
                      "--auth-password",
                      "s3cret",
                      "--to",
                      "a@local.test",
                      "--quit-after",
                      "RCPT")
                  .assertSuccess();
            });
  }

  @Test
  void serverDisabledBindsNothingAndStillDeliversWhatTheAppSends() {
    try (AiosmtpdServer next = AiosmtpdServer.builder().start()) {
      Runners.mta()
          .withPropertyValues(Runners.relayTo(next.port()))
          .withPropertyValues("mta.server.enabled=false")
          .run(
              context -> {
                Mta mta = context.getBean(Mta.class);
                assertThat(mta.boundPorts()).isEmpty();
                JavaMailSender sender = context.getBean(JavaMailSender.class);
                MimeMessage message = sender.createMimeMessage();
                MimeMessageHelper h = new MimeMessageHelper(message);
                h.setFrom("app@starter.test");
                h.setTo("carol@remote.test");
                h.setSubject("null client");
                h.setText("hello");
                sender.send(message);
                AiosmtpdServer.Message m = next.awaitMessages(1, AWAIT).get(0);
                assertThat(m.rcptTos()).containsExactly("carol@remote.test");
                assertThat(new String(m.content(), java.nio.charset.StandardCharsets.UTF_8))
                    .contains("Subject: null client");
              });
    }
  }

  @Test
  void limitsReachTheServer() {
    Runners.mta()
        .withPropertyValues(
            "mta.server.local-domains=local.test",
            "mta.limits.max-recipients=1",
            "mta.limits.max-message-size=2000B")
        .run(
            context -> {
              int port = context.getBean(Mta.class).port();
              Swaks.Run run =
                  Swaks.send(port, "--to", "a@local.test,b@local.test", "--quit-after", "RCPT");
              assertThat(run.transcript()).contains("SIZE 2000").contains("452 4.5.3");
            });
  }
}
