package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.engine.EngineFixtures.AWAIT;
import static org.mta4j.engine.EngineFixtures.HOSTNAME;
import static org.mta4j.engine.EngineFixtures.LOCAL_DOMAIN;
import static org.mta4j.engine.EngineFixtures.SENDER;
import static org.mta4j.engine.EngineFixtures.message;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.client.SmtpClient;
import org.mta4j.client.TlsPolicy;
import org.mta4j.delivery.RetryPolicy;
import org.mta4j.event.MtaEvent;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.routing.Route;
import org.mta4j.server.Listener;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.FakeClock;
import org.mta4j.testing.TestCertificates;

/**
 * The null client: application code calls {@code submit()} and every non-local message goes to one
 * smarthost (a real aiosmtpd with STARTTLS and AUTH) over verified TLS with credentials. The queue
 * runs on a fake clock through {@code deliverDue}; the MTA is not started.
 */
class NullClientSmarthostTest {
  private static final String USER = "relay-user";
  private static final String PASSWORD = "relay-s3cret";

  private final FakeClock clock = FakeClock.atEpochOfTests();
  private final Mailbox mailbox = new Mailbox();
  private final EngineFixtures.Events events = new EngineFixtures.Events();
  private AiosmtpdServer smarthost;
  private Mta mta;

  @AfterEach
  void close() {
    if (mta != null) {
      mta.close();
    }
    if (smarthost != null) {
      smarthost.close();
    }
  }

  private Mta nullClient(String password, RetryPolicy retry) {
    smarthost = AiosmtpdServer.builder().startTls().auth(USER, PASSWORD).start();
    mta =
        Mta.builder()
            .hostname(HOSTNAME)
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains(LOCAL_DOMAIN)
            .localDelivery(mailbox)
            .smarthost(
                Route.Smtp.relay("127.0.0.1", smarthost.port())
                    .withTls(TlsPolicy.REQUIRED_VERIFIED)
                    .withCredentials(USER, password))
            .smtpClient(
                SmtpClient.builder()
                    .heloName(HOSTNAME)
                    .sslContext(TestCertificates.clientContext())
                    .build())
            .clock(clock)
            .retryPolicy(retry)
            .eventListener(events)
            .build();
    return mta;
  }

  @Test
  void submittedMailGoesToTheSmarthostOverVerifiedTlsWithAuth() throws IOException {
    nullClient(PASSWORD, EngineFixtures.NO_JITTER);
    byte[] content =
        message("friend@elsewhere.test", "null client", "Hello through the relay.\r\n");

    String id = mta.submit(SENDER, List.of("friend@elsewhere.test"), content);
    assertThat(mta.deliverDue(clock.instant())).isEqualTo(1);

    AiosmtpdServer.Message got = smarthost.awaitMessages(1, AWAIT).get(0);
    assertThat(got.tls()).as("over TLS").isTrue();
    assertThat(got.authUser()).isEqualTo(USER);
    assertThat(got.mailFrom()).isEqualTo(SENDER);
    assertThat(got.rcptTos()).containsExactly("friend@elsewhere.test");
    String text = new String(got.content(), UTF_8);
    assertThat(text)
        .startsWith("From: " + SENDER + "\r\n")
        .contains("Message-ID: <" + id + "@" + HOSTNAME + ">\r\n")
        .endsWith("\r\n\r\nHello through the relay.\r\n");
    assertThat(mta.queue().show(id)).isEmpty();
    assertThat(events.attempts(id))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.status()).isEqualTo(MtaEvent.Status.DELIVERED);
              assertThat(a.relay()).isEqualTo("127.0.0.1[127.0.0.1]:" + smarthost.port());
            });
  }

  @Test
  void aNullClientThatDoesNotListenStillDeliversWhatIsSubmitted() throws IOException {
    smarthost = AiosmtpdServer.builder().start();
    mta =
        Mta.builder()
            .hostname(HOSTNAME)
            .listening(false)
            .smarthost(Route.Smtp.relay("127.0.0.1", smarthost.port()).withTls(TlsPolicy.NONE))
            .build();
    mta.start();
    assertThat(mta.boundPorts()).isEmpty();
    assertThat(mta.activeSessions()).isZero();
    mta.submit(
        SENDER, List.of("far@remote.example"), message("far@remote.example", "quiet", "no ports"));
    AiosmtpdServer.Message got = smarthost.awaitMessages(1, AWAIT).get(0);
    assertThat(got.rcptTos()).containsExactly("far@remote.example");
  }

  @Test
  void wrongPasswordDefersAndTheMessageBouncesAtExpiry() throws IOException {
    RetryPolicy retry =
        new RetryPolicy(
            Duration.ofMinutes(5), Duration.ofMinutes(20), Duration.ofHours(1), 0.0, Duration.ZERO);
    nullClient("wrong-password", retry);
    Instant t0 = clock.instant();
    String id =
        mta.submit(
            SENDER,
            List.of("friend@elsewhere.test"),
            message("friend@elsewhere.test", "refused login", "Never arrives.\r\n"));

    mta.deliverDue(t0);

    QueuedMessage m = mta.queue().show(id).orElseThrow();
    RecipientState r = m.recipients().get(0);
    assertThat(r.status()).isEqualTo(RecipientState.Status.DEFERRED);
    // aiosmtpd answers 535 5.7.8; AUTH trouble is the site's, so it defers (Postfix does too)
    assertThat(r.dsnCode()).isEqualTo("4.7.8");
    assertThat(r.diagnostic()).contains("535").contains("(in reply to AUTH)");
    assertThat(m.nextAttemptAt()).isEqualTo(t0.plus(Duration.ofMinutes(5)));
    assertThat(smarthost.messages()).isEmpty();

    // retried at 5, 15, 35, 55 min; still refused; the attempt past the 1 h lifetime bounces
    int runs = 0;
    while (mta.queue().show(id).isPresent() && runs++ < 20) {
      Instant next = mta.queue().show(id).orElseThrow().nextAttemptAt();
      clock.advance(Duration.between(clock.instant(), next));
      mta.deliverDue(clock.instant());
    }
    assertThat(mta.queue().show(id)).as("gone after the lifetime").isEmpty();
    assertThat(clock.instant()).isAfterOrEqualTo(t0.plus(Duration.ofHours(1)));
    assertThat(events.attempts(id))
        .extracting(MtaEvent.Attempt::status)
        .containsExactly(
            MtaEvent.Status.DEFERRED,
            MtaEvent.Status.DEFERRED,
            MtaEvent.Status.DEFERRED,
            MtaEvent.Status.DEFERRED,
            MtaEvent.Status.DEFERRED,
            MtaEvent.Status.BOUNCED);
    assertThat(events.ofType(MtaEvent.Expired.class))
        .extracting(MtaEvent.Expired::queueId)
        .containsExactly(id);

    mta.deliverDue(clock.instant()); // the bounce, to the local sender
    Mailbox.Delivered bounce = mailbox.await(d -> d.reversePath().isEmpty(), AWAIT);
    assertThat(bounce.recipients()).containsExactly(SENDER);
    DeliveryStatusReport dsn = DeliveryStatusReport.parse(bounce.content());
    dsn.assertWellFormed(HOSTNAME).assertFailed("friend@elsewhere.test", "4.7.8");
    assertThat(dsn.recipient("friend@elsewhere.test"))
        .containsEntry("remote-mta", "dns; 127.0.0.1")
        .hasEntrySatisfying("diagnostic-code", d -> assertThat(d).startsWith("smtp; 535 5.7.8"));
    assertThat(dsn.humanReadable()).contains("delivery time expired");
    assertThat(dsn.returned()).contains("Subject: refused login").contains("Never arrives.");
    assertThat(mta.queue().list(QueueFilter.all(clock.instant()))).isEmpty();
    assertThat(smarthost.messages()).isEmpty();
  }
}
