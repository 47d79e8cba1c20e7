package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.client.TlsPolicy;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.delivery.LocalDelivery;
import org.mta4j.dns.DnsResolver;
import org.mta4j.dns.MxRecord;
import org.mta4j.event.MtaEvent;
import org.mta4j.event.MtaEventListener;
import org.mta4j.intake.ContentStep;
import org.mta4j.routing.Route;
import org.mta4j.routing.Router;
import org.mta4j.server.Authenticator;
import org.mta4j.server.Decision;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.FakeDnsResolver;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/** Beans of the application that the MTA picks up from the context. */
class MtaUserBeansTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);

  private static void send(JavaMailSender sender, String to) {
    SimpleMailMessage m = new SimpleMailMessage();
    m.setFrom("app@starter.test");
    m.setTo(to);
    m.setSubject("bean test");
    m.setText("hello");
    sender.send(m);
  }

  @Test
  void anSmtpPolicyBeanDecides() {
    SmtpPolicy noSpam =
        new SmtpPolicy() {
          @Override
          public Decision onMail(
              org.mta4j.server.SessionInfo s, String from, org.mta4j.smtp.MailParameters p) {
            return from.startsWith("spam@")
                ? Decision.reject(550, "5.7.1", "no spam here")
                : Decision.proceed();
          }
        };
    Runners.mta()
        .withPropertyValues("mta.server.local-domains=local.test")
        .withBean(SmtpPolicy.class, () -> noSpam)
        .run(
            context -> {
              int port = context.getBean(Mta.class).port();
              Swaks.Run run = Swaks.send(port, "--from", "spam@x.test", "--to", "a@local.test");
              assertThat(run.exitCode()).isNotZero();
              assertThat(run.transcript()).contains("550 5.7.1 no spam here");
            });
  }

  @Test
  void eventListenerAndContentStepBeansSeeAndShapeEachMessage() {
    List<MtaEvent> events = new CopyOnWriteArrayList<>();
    MtaEventListener listener = events::add;
    ContentStep step = message -> List.of("X-Starter-Step: yes");
    try (AiosmtpdServer next = AiosmtpdServer.builder().start()) {
      Runners.mta()
          .withPropertyValues(Runners.relayTo(next.port()))
          .withBean(MtaEventListener.class, () -> listener)
          .withBean(ContentStep.class, () -> step)
          .run(
              context -> {
                send(context.getBean(JavaMailSender.class), "gina@remote.test");
                String content =
                    new String(
                        next.awaitMessages(1, AWAIT).get(0).content(), StandardCharsets.UTF_8);
                assertThat(content).startsWith("X-Starter-Step: yes\r\n");
                await()
                    .atMost(AWAIT)
                    .untilAsserted(
                        () ->
                            assertThat(events)
                                .anyMatch(e -> e instanceof MtaEvent.Queued)
                                .anyMatch(
                                    e ->
                                        e instanceof MtaEvent.Attempt a
                                            && a.status() == MtaEvent.Status.DELIVERED));
              });
    }
  }

  @Test
  void aDeliveryHookBeanReceivesMailForLocalDomains() {
    List<LocalDelivery> delivered = new CopyOnWriteArrayList<>();
    DeliveryHook hook = delivered::add;
    Runners.mta()
        .withPropertyValues("mta.server.local-domains=local.test")
        .withBean(DeliveryHook.class, () -> hook)
        .run(
            context -> {
              Swaks.send(context.getBean(Mta.class).port(), "--to", "hank@local.test")
                  .assertSuccess();
              await().atMost(AWAIT).until(() -> delivered.size() == 1);
              assertThat(delivered.get(0).recipients().get(0).address())
                  .isEqualTo("hank@local.test");
            });
  }

  @Test
  void aRouterBeanReplacesTheDefaultRouting() {
    try (AiosmtpdServer next = AiosmtpdServer.builder().start()) {
      Router everythingToNext =
          recipient -> Route.Smtp.relay("127.0.0.1", next.port()).withTls(TlsPolicy.NONE);
      Runners.mta()
          .withBean(Router.class, () -> everythingToNext)
          .run(
              context -> {
                send(context.getBean(JavaMailSender.class), "ivy@anywhere.test");
                assertThat(next.awaitMessages(1, AWAIT).get(0).rcptTos())
                    .containsExactly("ivy@anywhere.test");
              });
    }
  }

  @Test
  void aDnsResolverBeanAndACustomizerRouteByMx() {
    try (AiosmtpdServer mx = AiosmtpdServer.builder().start()) {
      FakeDnsResolver dns =
          new FakeDnsResolver()
              .mx("remote.test", new MxRecord(10, "mx1.remote.test"))
              .addresses("mx1.remote.test", "127.0.0.1");
      MtaBuilderCustomizer mxOnTestPort = b -> b.mxPort(mx.port());
      Runners.mta()
          .withBean(DnsResolver.class, () -> dns)
          .withBean(MtaBuilderCustomizer.class, () -> mxOnTestPort)
          .run(
              context -> {
                send(context.getBean(JavaMailSender.class), "jack@remote.test");
                assertThat(mx.awaitMessages(1, AWAIT).get(0).rcptTos())
                    .containsExactly("jack@remote.test");
                assertThat(dns.questions()).isNotEmpty();
              });
    }
  }

  @Test
  void twoRoutersWithoutAPrimaryFailStartup() {
    Router one = recipient -> Route.Smtp.mx(recipient.domain());
    Router two = recipient -> Route.Smtp.mx(recipient.domain());
    Runners.mta()
        .withBean("one", Router.class, () -> one)
        .withBean("two", Router.class, () -> two)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .hasMessageContaining("one Router bean");
            });
  }

  @Test
  void anAuthenticatorBeanReplacesTheUsersProperty() {
    Authenticator bean = (user, password, session) -> "bean".equals(user) && "pw".equals(password);
    Runners.mta()
        .withPropertyValues(
            "mta.server.trusted-networks=",
            "mta.server.local-domains=local.test",
            "mta.server.auth.users.alice=s3cret",
            "mta.server.auth.allow-without-tls=true")
        .withBean(Authenticator.class, () -> bean)
        .run(
            context -> {
              int port = context.getBean(Mta.class).port();
              Swaks.send(
                      port,
                      "--auth",
                      "PLAIN",
                      "--auth-user",
                      "bean",
                      "--auth-password",
                      "pw",
                      "--to",
                      "a@local.test",
                      "--quit-after",
                      "RCPT")
                  .assertSuccess();
              Swaks.Run alice =
                  Swaks.send(
                      port,
                      "--auth",
                      "PLAIN",
                      "--auth-user",
                      "alice",
                      "--auth-password",
                      "s3cret",
                      "--to",
                      "a@local.test",
                      "--quit-after",
                      "RCPT");
              assertThat(alice.exitCode()).isNotZero();
              assertThat(alice.transcript()).contains("535");
            });
  }
}
