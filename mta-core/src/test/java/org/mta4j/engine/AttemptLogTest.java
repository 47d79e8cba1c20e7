package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.mta4j.engine.EngineFixtures.HOSTNAME;
import static org.mta4j.engine.EngineFixtures.LOCAL_DOMAIN;
import static org.mta4j.engine.EngineFixtures.SENDER;
import static org.mta4j.engine.EngineFixtures.message;
import static org.mta4j.engine.EngineFixtures.startPeer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.client.SmtpClient;
import org.mta4j.client.TlsPolicy;
import org.mta4j.event.MtaEvent;
import org.mta4j.routing.Route;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.mta4j.server.SessionInfo;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.FakeClock;
import org.slf4j.LoggerFactory;

/**
 * One record per recipient and delivery attempt, in Postfix's terms ({@code to=<...>,
 * relay=host[ip]:port, delay=..., dsn=x.y.z, status=sent|deferred|bounced (...)}): as {@link
 * MtaEvent.Attempt} events, and as the SLF4J line built from the same values.
 */
class AttemptLogTest {
  private static final String DOMAIN = "remote.test";

  private final FakeClock clock = FakeClock.atEpochOfTests();
  private final EngineFixtures.Events events = new EngineFixtures.Events();
  private final Mailbox mailbox = new Mailbox();
  private EngineFixtures.Peer peer;
  private Mta mta;

  @AfterEach
  void close() {
    if (mta != null) {
      mta.close();
    }
    if (peer != null) {
      peer.close();
    }
  }

  /** A peer that refuses one recipient for good and one for now, and a sender routed to it. */
  private void start() {
    peer =
        startPeer(
            new EngineFixtures.CountingPolicy() {
              @Override
              public Decision onRcpt(SessionInfo s, String reversePath, Recipient recipient) {
                return switch (recipient.address().substring(0, recipient.address().indexOf('@'))) {
                  case "gone" -> Decision.reject(550, "5.1.1", "No such user");
                  case "busy" -> Decision.tempFail(450, "4.2.1", "Mailbox busy");
                  case "slow" -> {
                    clock.advance(Duration.ofSeconds(7)); // the peer takes 7 s over this RCPT
                    yield Decision.proceed();
                  }
                  default -> Decision.proceed();
                };
              }
            },
            b -> {});
    mta =
        Mta.builder()
            .hostname(HOSTNAME)
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains(LOCAL_DOMAIN)
            .localDelivery(mailbox)
            .transport(DOMAIN, Route.Smtp.relay("127.0.0.1", peer.port()).withTls(TlsPolicy.NONE))
            .smtpClient(SmtpClient.builder().heloName(HOSTNAME).build())
            .clock(clock)
            .retryPolicy(EngineFixtures.NO_JITTER)
            .eventListener(events)
            .build();
  }

  private String submitToFour() throws IOException {
    List<String> to =
        List.of("ok@" + DOMAIN, "gone@" + DOMAIN, "busy@" + DOMAIN, "me@" + LOCAL_DOMAIN);
    return mta.submit(SENDER, to, message(String.join(", ", to), "four", "Hello.\r\n"));
  }

  @Test
  void eachRecipientOfAnAttemptIsReportedOnceWithRelayDelayDsnAndStatus() throws IOException {
    start();
    String id = submitToFour();
    Instant now = clock.advance(Duration.ofSeconds(90)); // queued 90 s before the attempt

    mta.deliverDue(now);

    String relay = "127.0.0.1[127.0.0.1]:" + peer.port();
    List<MtaEvent.Attempt> attempts = events.attempts(id);
    assertThat(attempts)
        .extracting(
            MtaEvent.Attempt::recipient,
            MtaEvent.Attempt::relay,
            MtaEvent.Attempt::dsnCode,
            MtaEvent.Attempt::status)
        .containsExactlyInAnyOrder(
            tuple("ok@" + DOMAIN, relay, "2.0.0", MtaEvent.Status.DELIVERED),
            tuple("gone@" + DOMAIN, relay, "5.1.1", MtaEvent.Status.BOUNCED),
            tuple("busy@" + DOMAIN, relay, "4.2.1", MtaEvent.Status.DEFERRED),
            tuple("me@" + LOCAL_DOMAIN, "local", "2.0.0", MtaEvent.Status.DELIVERED));
    assertThat(attempts)
        .allSatisfy(
            a -> {
              assertThat(a.queueId()).isEqualTo(id);
              assertThat(a.at()).isEqualTo(now);
              assertThat(a.delay()).isEqualTo(Duration.ofSeconds(90));
            });
    assertThat(attempts)
        .filteredOn(a -> a.recipient().startsWith("gone@"))
        .singleElement()
        .satisfies(
            a ->
                assertThat(a.diagnostic())
                    .isEqualTo(
                        "host " + relay + " said: 550 5.1.1 No such user (in reply to RCPT TO)"));

    // the next attempt reports only the recipient still pending
    mta.deliverDue(clock.advance(Duration.ofMinutes(5)));
    assertThat(events.attempts(id))
        .hasSize(5)
        .last()
        .satisfies(
            a -> {
              assertThat(a.recipient()).isEqualTo("busy@" + DOMAIN);
              assertThat(a.delay()).isEqualTo(Duration.ofSeconds(90 + 300));
            });
  }

  @Test
  void anAttemptCarriesHowLongItTookBesideTheDelaySinceArrival() throws IOException {
    start();
    String id = mta.submit(SENDER, List.of("slow@" + DOMAIN), message("slow@" + DOMAIN, "s", "x"));
    Instant now = clock.advance(Duration.ofSeconds(90));

    mta.deliverDue(now);

    assertThat(events.attempts(id))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.status()).isEqualTo(MtaEvent.Status.DELIVERED);
              assertThat(a.delay()).isEqualTo(Duration.ofSeconds(90));
              assertThat(a.attemptDuration()).isEqualTo(Duration.ofSeconds(7));
            });
  }

  @Test
  void theLogHasOnePostfixStyleLinePerRecipientAndAttempt() throws IOException {
    Assumptions.assumeTrue(
        LoggerFactory.getILoggerFactory().getClass().getName().startsWith("org.slf4j.simple"),
        "the log line is read back from slf4j-simple's System.err output");
    start();
    String id = submitToFour();
    Instant now = clock.advance(Duration.ofSeconds(90));

    String log = captureStandardError(() -> mta.deliverDue(now));

    List<String> lines = log.lines().filter(l -> l.contains(id + ": to=<")).toList();
    String relay = "127.0.0.1[127.0.0.1]:" + peer.port();
    assertThat(lines).hasSize(4);
    assertThat(lines)
        .anySatisfy(
            l ->
                assertThat(l)
                    .endsWith(
                        id
                            + ": to=<gone@"
                            + DOMAIN
                            + ">, relay="
                            + relay
                            + ", delay=90.00, dsn=5.1.1, status=bounced (host "
                            + relay
                            + " said: 550 5.1.1 No such user (in reply to RCPT TO))"))
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains(id + ": to=<busy@" + DOMAIN + ">, relay=" + relay)
                    .contains(", delay=90.00, dsn=4.2.1, status=deferred (host " + relay))
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains(id + ": to=<ok@" + DOMAIN + ">, relay=" + relay)
                    .contains(", delay=90.00, dsn=2.0.0, status=sent (host " + relay))
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains(id + ": to=<me@" + LOCAL_DOMAIN + ">, relay=local")
                    .contains(", delay=90.00, dsn=2.0.0, status=sent ("));
  }

  private interface IoAction {
    void run() throws IOException;
  }

  /** Runs {@code action} while System.err also goes to a buffer; returns what was written. */
  private static String captureStandardError(IoAction action) throws IOException {
    PrintStream original = System.err;
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    OutputStream tee =
        new OutputStream() {
          @Override
          public void write(int b) {
            original.write(b);
            synchronized (copy) {
              copy.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            original.write(b, off, len);
            synchronized (copy) {
              copy.write(b, off, len);
            }
          }
        };
    System.setErr(new PrintStream(tee, true, UTF_8));
    try {
      action.run();
    } finally {
      System.err.flush();
      System.setErr(original);
    }
    synchronized (copy) {
      return copy.toString(UTF_8);
    }
  }
}
