package org.mta4j.delivery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.event.MtaEvent;
import org.mta4j.intake.ContentStep;
import org.mta4j.intake.IntakeMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.server.Listener;
import org.mta4j.testing.FakeClock;

/**
 * The queue's path to local delivery: retries, expiry, bounces and delay notices, on a fake clock.
 */
class QueueDeliveryTest {
  private static final byte[] MESSAGE =
      "From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  private final FakeClock clock = FakeClock.atEpochOfTests();
  private final List<LocalDelivery> delivered = Collections.synchronizedList(new ArrayList<>());
  private final List<byte[]> contents = Collections.synchronizedList(new ArrayList<>());
  private final List<MtaEvent> events = Collections.synchronizedList(new ArrayList<>());
  private Mta mta;

  @AfterEach
  void close() {
    if (mta != null) {
      mta.close();
    }
  }

  private Mta build(DeliveryHook hook, RetryPolicy retry) {
    mta =
        Mta.builder()
            .hostname("mx.example.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .clock(clock)
            .retryPolicy(retry)
            .eventListener(events::add)
            .localDelivery(
                d -> {
                  hook.deliver(d);
                  try (InputStream in = d.openContent()) {
                    contents.add(in.readAllBytes());
                  }
                  delivered.add(d);
                })
            .build();
    return mta;
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void submittedMailIsDeliveredToTheLocalHookWithMessageIdAndDateAdded() throws IOException {
    build(d -> {}, RetryPolicy.DEFAULT);
    String id = mta.submit("a@example.test", List.of("b@example.test"), MESSAGE);

    assertThat(mta.deliverDue(clock.instant())).isEqualTo(1);

    assertThat(delivered)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.queueId()).isEqualTo(id);
              assertThat(d.reversePath()).isEqualTo("a@example.test");
              assertThat(d.recipients())
                  .extracting(r -> r.address())
                  .containsExactly("b@example.test");
            });
    String content = text(contents.get(0));
    assertThat(content)
        .startsWith("From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n")
        .contains("Message-ID: <" + id + "@mx.example.test>\r\n")
        .contains("Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n")
        .endsWith("\r\n\r\nHello.\r\n");
    assertThat(mta.queue().list(QueueFilter.all(clock.instant()))).isEmpty();
  }

  @Test
  void aContentStepSeesTheMessageWithIntakeHeadersAndPrependsItsFields() throws IOException {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    mta =
        Mta.builder()
            .hostname("mx.example.test")
            .localDomains("example.test")
            .clock(clock)
            .contentStep(
                m -> {
                  try (InputStream in = m.openContent()) {
                    seen.add(text(in.readAllBytes()));
                  }
                  return List.of("X-Step: one", "X-Folded: a\r\n\tb");
                })
            .localDelivery(
                d -> {
                  try (InputStream in = d.openContent()) {
                    contents.add(in.readAllBytes());
                  }
                })
            .build();
    String id = mta.submit("a@example.test", List.of("b@example.test"), MESSAGE);
    mta.deliverDue(clock.instant());

    assertThat(seen)
        .singleElement()
        .satisfies(
            c ->
                assertThat(c)
                    .startsWith("From: a@example.test")
                    .contains("Message-ID: <" + id + "@mx.example.test>"));
    assertThat(text(contents.get(0)))
        .isEqualTo("X-Step: one\r\nX-Folded: a\r\n\tb\r\n" + seen.get(0));
  }

  @Test
  void aContentStepCanRemoveArrivingFieldsBeforeAnyStepSeesTheMessage() throws IOException {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    ContentStep remover =
        new ContentStep() {
          @Override
          public List<String> headersToPrepend(IntakeMessage m) {
            return List.of("X-Checked: yes");
          }

          @Override
          public boolean removes(String name, String value) {
            return name.equalsIgnoreCase("X-Forged") && value.startsWith("mx.example.test");
          }
        };
    mta =
        Mta.builder()
            .hostname("mx.example.test")
            .localDomains("example.test")
            .clock(clock)
            .contentStep(remover)
            .contentStep(
                m -> {
                  try (InputStream in = m.openContent()) {
                    seen.add(text(in.readAllBytes()));
                  }
                  return List.of();
                })
            .localDelivery(
                d -> {
                  try (InputStream in = d.openContent()) {
                    contents.add(in.readAllBytes());
                  }
                })
            .build();
    byte[] message =
        ("From: a@example.test\r\n"
                + "X-Forged: mx.example.test;\r\n\tdkim=pass\r\n"
                + "X-Forged: other.example; dkim=pass\r\n"
                + "x-forged:   MX.example.test\r\n"
                + "Subject: hi\r\n"
                + "Message-ID: <m1@example.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
                + "\r\nX-Forged: mx.example.test in the body stays\r\n")
            .getBytes(UTF_8);

    mta.submit("a@example.test", List.of("b@example.test"), message);
    mta.deliverDue(clock.instant());

    String expected =
        "From: a@example.test\r\n"
            + "X-Forged: other.example; dkim=pass\r\n"
            + "x-forged:   MX.example.test\r\n"
            + "Subject: hi\r\n"
            + "Message-ID: <m1@example.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
            + "\r\nX-Forged: mx.example.test in the body stays\r\n";
    assertThat(seen).as("the later step saw the message without it").containsExactly(expected);
    assertThat(text(contents.get(0))).isEqualTo("X-Checked: yes\r\n" + expected);
  }

  @Test
  void aHeaderLineThatIsNoFieldIsNeverDroppedWhenAFieldIsRemoved() throws IOException {
    ContentStep remover =
        new ContentStep() {
          @Override
          public List<String> headersToPrepend(IntakeMessage m) {
            return List.of();
          }

          @Override
          public boolean removes(String name, String value) {
            return name.equals("X-Remove");
          }
        };
    mta =
        Mta.builder()
            .localDomains("example.test")
            .clock(clock)
            .contentStep(remover)
            .localDelivery(
                d -> {
                  try (InputStream in = d.openContent()) {
                    contents.add(in.readAllBytes());
                  }
                })
            .build();
    String header =
        "From: a@example.test\r\nthis line is not a field\r\nX-Remove: 1\r\n"
            + "Message-ID: <m2@example.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n";
    mta.submit(
        "a@example.test", List.of("b@example.test"), (header + "\r\nbody\r\n").getBytes(UTF_8));
    mta.deliverDue(clock.instant());

    assertThat(text(contents.get(0))).contains("this line is not a field\r\n").endsWith("body\r\n");
  }

  @Test
  void aContentStepThatThrowsRefusesTheMessageAndQueuesNothing() {
    mta =
        Mta.builder()
            .localDomains("example.test")
            .clock(clock)
            .contentStep(
                m -> {
                  throw new IOException("signer key unavailable");
                })
            .build();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> mta.submit("a@example.test", List.of("b@example.test"), MESSAGE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("signer key unavailable");
  }

  @Test
  void aSubmittedMessageOverTheSizeLimitIsRefused() {
    mta = Mta.builder().localDomains("example.test").maxMessageSize(50).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> mta.submit("a@example.test", List.of("b@example.test"), MESSAGE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exceeds the limit of 50 bytes");
  }

  @Test
  void aJakartaMailMessageIsSubmittedWithBccOnlyOnTheEnvelope() throws Exception {
    build(d -> {}, RetryPolicy.DEFAULT);
    jakarta.mail.Session session = jakarta.mail.Session.getInstance(new java.util.Properties());
    jakarta.mail.internet.MimeMessage m = new jakarta.mail.internet.MimeMessage(session);
    m.setFrom("Alice <a@example.test>");
    m.setRecipients(jakarta.mail.Message.RecipientType.TO, "b@example.test");
    m.setRecipients(jakarta.mail.Message.RecipientType.BCC, "hidden@example.test");
    m.setSubject("Password reset");
    m.setText("Your code is 1234.");
    String id = mta.submit(m);
    mta.deliverDue(clock.instant());

    assertThat(delivered)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.queueId()).isEqualTo(id);
              assertThat(d.reversePath()).isEqualTo("a@example.test");
              assertThat(d.recipients())
                  .extracting(r -> r.address())
                  .containsExactly("b@example.test", "hidden@example.test");
            });
    assertThat(text(contents.get(0)))
        .contains("Subject: Password reset\r\n")
        .contains("Your code is 1234.")
        .doesNotContain("hidden@example.test")
        .doesNotContain("Bcc");
  }

  @Test
  void duplicateRecipientsAreDeliveredOnce() throws IOException {
    build(d -> {}, RetryPolicy.DEFAULT);
    mta.submit(
        "a@example.test", List.of("b@example.test", "b@EXAMPLE.test", "c@example.test"), MESSAGE);
    mta.deliverDue(clock.instant());
    assertThat(delivered.get(0).recipients())
        .extracting(r -> r.address())
        .containsExactly("b@example.test", "c@example.test");
  }

  @Test
  void aThrowingHookDefersAndTheRetryFollowsTheBackoffSchedule() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    build(
        d -> {
          if (calls.incrementAndGet() <= 2) {
            throw new IOException("mailbox locked");
          }
        },
        new RetryPolicy(
            Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5), 0.0, Duration.ZERO));
    String id = mta.submit("a@example.test", List.of("b@example.test"), MESSAGE);
    Instant t0 = clock.instant();

    mta.deliverDue(t0);
    QueuedMessage m = mta.queue().show(id).orElseThrow();
    assertThat(m.attempts()).isEqualTo(1);
    assertThat(m.nextAttemptAt()).isEqualTo(t0.plus(Duration.ofMinutes(5)));
    RecipientState r = m.recipients().get(0);
    assertThat(r.status()).isEqualTo(RecipientState.Status.DEFERRED);
    assertThat(r.dsnCode()).isEqualTo("4.3.0");
    assertThat(r.diagnostic()).contains("mailbox locked");

    assertThat(mta.deliverDue(clock.advance(Duration.ofMinutes(4)))).isZero();
    assertThat(mta.deliverDue(clock.advance(Duration.ofMinutes(1)))).isEqualTo(1);
    m = mta.queue().show(id).orElseThrow();
    assertThat(m.attempts()).isEqualTo(2);
    assertThat(m.nextAttemptAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));

    assertThat(mta.deliverDue(clock.advance(Duration.ofMinutes(10)))).isEqualTo(1);
    assertThat(delivered).hasSize(1);
    assertThat(mta.queue().show(id)).isEmpty();
    assertThat(events)
        .filteredOn(e -> e instanceof MtaEvent.Attempt)
        .extracting(e -> ((MtaEvent.Attempt) e).status())
        .containsExactly(
            MtaEvent.Status.DEFERRED, MtaEvent.Status.DEFERRED, MtaEvent.Status.DELIVERED);
  }

  @Test
  void backoffDoublesUpToTheCapWithJitterInBounds() {
    RetryPolicy p =
        new RetryPolicy(
            Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5), 0.1, Duration.ZERO);
    java.util.Random random = new java.util.Random(42);
    long[] expectedMinutes = {5, 10, 20, 40, 60, 60, 60};
    for (int attempt = 1; attempt <= expectedMinutes.length; attempt++) {
      double minutes = p.backoff(attempt, random).toMillis() / 60_000.0;
      assertThat(minutes)
          .isCloseTo(
              expectedMinutes[attempt - 1], within(expectedMinutes[attempt - 1] * 0.1 + 1e-9));
    }
  }

  @Test
  void aRecipientStillDeferredAtTheQueueLifetimeBouncesToTheSenderInRfc3464Form()
      throws IOException {
    build(
        d -> {
          if (d.recipients().stream().anyMatch(r -> r.address().equals("b@example.test"))) {
            throw new IOException("disk quota exceeded");
          }
        },
        new RetryPolicy(
            Duration.ofMinutes(5),
            Duration.ofMinutes(20),
            Duration.ofHours(1),
            0.0,
            Duration.ZERO));
    String id = mta.submit("a@example.test", List.of("b@example.test"), MESSAGE);

    for (int i = 0; i < 20 && mta.queue().show(id).isPresent(); i++) {
      mta.deliverDue(clock.instant());
      clock.advance(Duration.ofMinutes(20));
    }
    mta.deliverDue(clock.instant()); // the bounce itself
    assertThat(mta.queue().show(id)).isEmpty();
    assertThat(delivered)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reversePath()).isEmpty();
              assertThat(d.recipients())
                  .extracting(r -> r.address())
                  .containsExactly("a@example.test");
            });
    String dsn = text(contents.get(0));
    assertThat(dsn)
        .contains("Content-Type: multipart/report; report-type=delivery-status;")
        .contains("Content-Type: message/delivery-status")
        .contains("Reporting-MTA: dns; mx.example.test")
        .contains("Final-Recipient: rfc822; b@example.test")
        .contains("Action: failed")
        .contains("Status: 4.3.0")
        .contains("disk quota exceeded")
        .contains("Content-Type: message/rfc822")
        .contains("Subject: hi")
        .contains("Auto-Submitted: auto-replied");
    assertThat(events).anyMatch(e -> e instanceof MtaEvent.Expired x && x.queueId().equals(id));
    assertThat(events).anyMatch(e -> e instanceof MtaEvent.Bounced x && x.queueId().equals(id));
  }

  @Test
  void aPermanentHookFailureBouncesAtOnce() throws IOException {
    build(
        d -> {
          if (!d.reversePath().isEmpty()) {
            throw new PermanentDeliveryException("no such user", "5.1.1");
          }
        },
        RetryPolicy.DEFAULT);
    String id = mta.submit("a@example.test", List.of("nobody@example.test"), MESSAGE);
    mta.deliverDue(clock.instant());
    assertThat(mta.queue().show(id)).isEmpty();
    mta.deliverDue(clock.instant());
    assertThat(contents)
        .singleElement()
        .satisfies(c -> assertThat(text(c)).contains("Status: 5.1.1").contains("no such user"));
  }

  @Test
  void aFailedBounceIsNeverBouncedAgain() throws IOException {
    build(
        d -> {
          throw new PermanentDeliveryException("no such user");
        },
        RetryPolicy.DEFAULT);
    String id = mta.submit("", List.of("nobody@example.test"), MESSAGE);
    mta.deliverDue(clock.instant());
    assertThat(mta.queue().show(id)).isEmpty();
    assertThat(mta.queue().list(QueueFilter.all(clock.instant()))).isEmpty();
  }

  @Test
  void aDelayNoticeIsSentOnceWhenTheMessageIsOlderThanTheWarningTime() throws IOException {
    build(
        d -> {
          if (!d.reversePath().isEmpty()) {
            throw new IOException("try later");
          }
        },
        new RetryPolicy(
            Duration.ofMinutes(5),
            Duration.ofMinutes(10),
            Duration.ofDays(1),
            0.0,
            Duration.ofMinutes(30)));
    String id = mta.submit("a@example.test", List.of("b@example.test"), MESSAGE);
    for (int i = 0; i < 8; i++) {
      mta.deliverDue(clock.instant());
      clock.advance(Duration.ofMinutes(10));
    }
    assertThat(mta.queue().show(id)).isPresent();
    assertThat(contents).hasSize(1);
    assertThat(text(contents.get(0)))
        .contains("Action: delayed")
        .contains("Will-Retry-Until: Fri, 2 Jan 2026 00:00:00 +0000")
        .contains("Content-Type: text/rfc822-headers");
    assertThat(mta.queue().show(id).orElseThrow().recipients().get(0).delayNotified()).isTrue();
  }
}
