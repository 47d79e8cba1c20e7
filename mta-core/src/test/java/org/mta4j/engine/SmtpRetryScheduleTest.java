package org.mta4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.mta4j.engine.EngineFixtures.AWAIT;
import static org.mta4j.engine.EngineFixtures.HOSTNAME;
import static org.mta4j.engine.EngineFixtures.LOCAL_DOMAIN;
import static org.mta4j.engine.EngineFixtures.NO_JITTER;
import static org.mta4j.engine.EngineFixtures.SENDER;
import static org.mta4j.engine.EngineFixtures.message;
import static org.mta4j.engine.EngineFixtures.startPeer;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
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
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.mta4j.server.SessionInfo;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.SmtpReply;
import org.mta4j.testing.FakeClock;

/**
 * The queue's schedule on the SMTP path, on a fake clock: backoff between attempts, the rest a
 * failing destination gets (Postfix's dead-destination handling), delay notices, expiry, and
 * connection reuse within one queue run. The peer is mta4j's own server, whose policy counts
 * sessions and injects the trouble.
 */
class SmtpRetryScheduleTest {
  private static final String DOMAIN = "remote.test";

  private final FakeClock clock = FakeClock.atEpochOfTests();
  private final Instant t0 = clock.instant();
  private final Mailbox mailbox = new Mailbox();
  private final EngineFixtures.Events events = new EngineFixtures.Events();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Mta mta;

  @AfterEach
  void close() throws Exception {
    if (mta != null) {
      mta.close();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private EngineFixtures.Peer peer(EngineFixtures.CountingPolicy policy) {
    EngineFixtures.Peer peer = startPeer(policy, b -> {});
    closeables.add(peer);
    return peer;
  }

  private Mta sender(int port, RetryPolicy retry, Consumer<Mta.Builder> customizer) {
    Mta.Builder b =
        Mta.builder()
            .hostname(HOSTNAME)
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains(LOCAL_DOMAIN)
            .localDelivery(mailbox)
            .transport(DOMAIN, Route.Smtp.relay("127.0.0.1", port).withTls(TlsPolicy.NONE))
            .smtpClient(SmtpClient.builder().heloName(HOSTNAME).build())
            .clock(clock)
            .retryPolicy(retry)
            .eventListener(events);
    customizer.accept(b);
    mta = b.build();
    return mta;
  }

  private String submit(String to, String subject) throws IOException {
    return mta.submit(SENDER, List.of(to), message(to, subject, "Body of " + subject + ".\r\n"));
  }

  private QueuedMessage show(String id) throws IOException {
    return mta.queue().show(id).orElseThrow(() -> new AssertionError(id + " is not queued"));
  }

  private Instant at(Duration sinceStart) {
    return clock.advance(Duration.between(clock.instant(), t0.plus(sinceStart)));
  }

  @Test
  void aDeadDestinationRestsSoTheNextMessageIsDeferredWithoutAConnection() throws IOException {
    AtomicBoolean up = new AtomicBoolean(false);
    EngineFixtures.CountingPolicy refuseWhileDown =
        new EngineFixtures.CountingPolicy() {
          @Override
          public Decision onConnect(SessionInfo session) {
            super.onConnect(session);
            return up.get()
                ? Decision.proceed()
                : Decision.disconnect(SmtpReply.of(421, "4.3.2", "Service shutting down"));
          }
        };
    EngineFixtures.Peer peer = peer(refuseWhileDown);
    sender(peer.port(), NO_JITTER, b -> {});

    String first = submit("a@" + DOMAIN, "first");
    mta.deliverDue(t0);
    assertThat(refuseWhileDown.connects.get()).isEqualTo(1);
    assertThat(show(first).recipients().get(0).dsnCode()).isEqualTo("4.3.2");

    // a minute later, within the 5-minute rest: no connection, deferred at once
    at(Duration.ofMinutes(1));
    String second = submit("b@" + DOMAIN, "second");
    assertThat(mta.deliverDue(clock.instant())).isEqualTo(1);
    assertThat(refuseWhileDown.connects.get())
        .as("the dead destination was not tried")
        .isEqualTo(1);
    RecipientState r = show(second).recipients().get(0);
    assertThat(r.status()).isEqualTo(RecipientState.Status.DEFERRED);
    assertThat(r.relay()).isEqualTo("none");
    assertThat(r.diagnostic())
        .startsWith("delivery temporarily suspended: [127.0.0.1]:" + peer.port())
        .contains("421 4.3.2 Service shutting down");
    assertThat(show(second).nextAttemptAt()).isEqualTo(t0.plus(Duration.ofMinutes(6)));
    assertThat(events.attempts(second))
        .singleElement()
        .satisfies(a -> assertThat(a.status()).isEqualTo(MtaEvent.Status.DEFERRED));

    // the rest is over when the first message's retry falls due; the server is back
    up.set(true);
    assertThat(mta.deliverDue(at(Duration.ofMinutes(5)))).isEqualTo(1);
    assertThat(refuseWhileDown.connects.get()).isEqualTo(2);
    assertThat(mta.queue().show(first)).isEmpty();
    assertThat(mta.deliverDue(at(Duration.ofMinutes(6)))).isEqualTo(1);
    assertThat(mta.queue().show(second)).isEmpty();
    assertThat(peer.handler().awaitMessages(2, AWAIT))
        .extracting(m -> m.envelope().recipients().get(0).address())
        .containsExactly("a@" + DOMAIN, "b@" + DOMAIN);
    assertThat(mailbox.all()).isEmpty();
  }

  @Test
  void greylistedRecipientIsRetriedOnTheBackoffScheduleUntilAccepted() throws IOException {
    AtomicInteger rcpts = new AtomicInteger();
    EngineFixtures.CountingPolicy greylist =
        new EngineFixtures.CountingPolicy() {
          @Override
          public Decision onRcpt(SessionInfo s, String reversePath, Recipient recipient) {
            return rcpts.incrementAndGet() <= 2
                ? Decision.tempFail(450, "4.7.1", "Greylisted, try again later")
                : Decision.proceed();
          }
        };
    EngineFixtures.Peer peer = peer(greylist);
    sender(peer.port(), NO_JITTER, b -> {});
    String id = submit("a@" + DOMAIN, "greylisted");

    assertThat(mta.deliverDue(t0)).isEqualTo(1);
    assertThat(show(id).nextAttemptAt()).isEqualTo(t0.plus(Duration.ofMinutes(5)));
    assertThat(mta.deliverDue(at(Duration.ofMinutes(5).minusSeconds(1)))).as("not yet").isZero();
    assertThat(mta.deliverDue(at(Duration.ofMinutes(5)))).isEqualTo(1);
    assertThat(show(id).nextAttemptAt()).as("doubled").isEqualTo(t0.plus(Duration.ofMinutes(15)));
    assertThat(show(id).attempts()).isEqualTo(2);
    assertThat(mta.deliverDue(at(Duration.ofMinutes(15)))).isEqualTo(1);

    assertThat(mta.queue().show(id)).isEmpty();
    assertThat(peer.handler().awaitMessages(1, AWAIT)).hasSize(1);
    assertThat(events.attempts(id))
        .extracting(MtaEvent.Attempt::status, MtaEvent.Attempt::delay, MtaEvent.Attempt::dsnCode)
        .containsExactly(
            tuple(MtaEvent.Status.DEFERRED, Duration.ZERO, "4.7.1"),
            tuple(MtaEvent.Status.DEFERRED, Duration.ofMinutes(5), "4.7.1"),
            tuple(MtaEvent.Status.DELIVERED, Duration.ofMinutes(15), "2.0.0"));
    assertThat(mailbox.all()).isEmpty();
  }

  @Test
  void aDeferredMessageGetsOneDelayNoticeThenBouncesOnceAtExpiry() throws IOException {
    EngineFixtures.CountingPolicy mailboxFull =
        new EngineFixtures.CountingPolicy() {
          @Override
          public Decision onRcpt(SessionInfo s, String reversePath, Recipient recipient) {
            return Decision.tempFail(452, "4.2.2", "Mailbox full");
          }
        };
    EngineFixtures.Peer peer = peer(mailboxFull);
    RetryPolicy retry =
        new RetryPolicy(
            Duration.ofMinutes(5),
            Duration.ofMinutes(20),
            Duration.ofHours(2),
            0.0,
            Duration.ofMinutes(30));
    sender(peer.port(), retry, b -> {});
    String a = "a@" + DOMAIN;
    String b = "b@" + DOMAIN;
    String id =
        mta.submit(SENDER, List.of(a, b), message(a + ", " + b, "always full", "Body.\r\n"));

    // attempts at 0, 5, 15, 35 (delay notice: older than 30 min), 55, ..., 135 (expired)
    int runs = 0;
    while (mta.queue().show(id).isPresent() && runs++ < 30) {
      mta.deliverDue(clock.advance(Duration.between(clock.instant(), show(id).nextAttemptAt())));
      mta.deliverDue(clock.instant()); // the notices queued by that run, to the local sender
    }

    assertThat(mta.queue().show(id)).isEmpty();
    assertThat(clock.instant()).isEqualTo(t0.plus(Duration.ofMinutes(135)));
    assertThat(events.attempts(id))
        .as("9 attempts for each of 2 recipients")
        .hasSize(18)
        .extracting(MtaEvent.Attempt::status)
        .endsWith(MtaEvent.Status.BOUNCED, MtaEvent.Status.BOUNCED);
    assertThat(events.ofType(MtaEvent.Expired.class))
        .as("the message expired once")
        .extracting(MtaEvent.Expired::queueId)
        .containsExactly(id);
    assertThat(events.ofType(MtaEvent.Bounced.class))
        .extracting(MtaEvent.Bounced::action)
        .containsExactly("delayed", "failed");
    List<Mailbox.Delivered> notices = mailbox.to(SENDER);
    assertThat(notices).hasSize(2).allSatisfy(d -> assertThat(d.reversePath()).isEmpty());

    DeliveryStatusReport delayed = DeliveryStatusReport.parse(notices.get(0).content());
    delayed.assertWellFormed(HOSTNAME);
    assertThat(delayed.partTypes().get(2)).as("headers only").isEqualTo("text/rfc822-headers");
    assertThat(delayed.perRecipient()).hasSize(2);
    for (String to : List.of(a, b)) {
      assertThat(delayed.recipient(to))
          .containsEntry("action", "delayed")
          .containsEntry("status", "4.2.2")
          .containsEntry("will-retry-until", "Thu, 1 Jan 2026 02:00:00 +0000")
          .containsEntry("diagnostic-code", "smtp; 452 4.2.2 Mailbox full");
    }

    DeliveryStatusReport failed = DeliveryStatusReport.parse(notices.get(1).content());
    failed.assertWellFormed(HOSTNAME).assertFailed(a, "4.2.2").assertFailed(b, "4.2.2");
    assertThat(failed.perRecipient()).hasSize(2);
    assertThat(failed.returned()).contains("Subject: always full");
    assertThat(peer.handler().messages()).isEmpty();
    assertThat(mta.queue().list(QueueFilter.all(clock.instant()))).isEmpty();
  }

  @Test
  void severalMessagesToOneDestinationShareConnectionsInOneQueueRun() throws IOException {
    EngineFixtures.CountingPolicy counting = new EngineFixtures.CountingPolicy();
    EngineFixtures.Peer peer = peer(counting);
    sender(peer.port(), NO_JITTER, b -> b.destinationConcurrency(2));
    int n = 10;
    for (int i = 0; i < n; i++) {
      submit("user" + i + "@" + DOMAIN, "reuse " + i);
    }

    assertThat(mta.deliverDue(t0)).isEqualTo(n);

    assertThat(peer.handler().awaitMessages(n, AWAIT)).hasSize(n);
    assertThat(mta.queue().list(QueueFilter.all(clock.instant()))).isEmpty();
    // at most two attempts at once, and each hands its connection on to the next
    assertThat(counting.connects.get()).as("SMTP sessions for %d messages", n).isBetween(1, 2);
    assertThat(events.ofType(MtaEvent.Attempt.class))
        .hasSize(n)
        .allSatisfy(a -> assertThat(a.status()).isEqualTo(MtaEvent.Status.DELIVERED));
  }
}
