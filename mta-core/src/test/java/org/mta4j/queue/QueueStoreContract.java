package org.mta4j.queue;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mta4j.queue.RecipientState.Status;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.MailParameters.Body;
import org.mta4j.smtp.MailParameters.Ret;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.Recipient.Notify;

/**
 * The contract every {@link QueueStore} passes (STYLE rule 14): one suite, run by the memory store
 * here and by the file and JDBC stores through mta-core's test jar.
 *
 * <p>To run it against a store, extend this class and implement {@link #newStore()}. The suite
 * opens stores lazily, on a test's first use, so the subclass's own {@code @BeforeEach} methods
 * (and {@code @TempDir} fields) are ready by then. It closes every store it opened through {@link
 * #closeStore} in its own {@code @AfterEach}, which JUnit runs <em>after</em> the subclass's
 * {@code @AfterEach} methods: clean up per store in {@code closeStore} (calling {@code super}
 * first), and release shared resources in {@code @AfterAll}. A durable store also overrides {@link
 * #isDurable()} and {@link #reopen}.
 *
 * <p>Time is what the tests pass in: whole seconds or milliseconds from a fixed instant, never the
 * wall clock, so a store must not read a clock of its own. Nothing sleeps; the concurrency tests
 * join their threads and are bounded by {@link Timeout}.
 *
 * <p>The choices the SPI's javadoc leaves to be pinned down, checked here for every store: a
 * duplicate id at enqueue throws {@link IllegalArgumentException}; an owner whose lease expired can
 * still record its attempt as long as no one else claimed the message since; content of a message
 * that is gone throws {@link NoSuchFileException}.
 */
public abstract class QueueStoreContract {

  /** The fixed "now" the tests count from; whole seconds, so every store keeps it exactly. */
  protected static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

  private static final Duration LEASE = Duration.ofMinutes(5);
  private static final String SENDER = "alice@sender.test";

  private final List<QueueStore> opened = new ArrayList<>();
  private QueueStore store;

  /** A new, empty store. Called at most once per test, plus once per {@link #reopen}. */
  protected abstract QueueStore newStore() throws Exception;

  /** Closes a store the suite opened; override to clean up after it (call super first). */
  protected void closeStore(QueueStore store) throws Exception {
    store.close();
  }

  /** True for a store whose messages survive {@link #reopen}; the durability test runs then. */
  protected boolean isDurable() {
    return false;
  }

  /**
   * A new store over the same storage as {@code closed}, which the suite has closed already with
   * {@link QueueStore#close()} (as a restart would; {@link #closeStore} is not called for it, so
   * per-store cleanup there does not wipe the storage). Only called when {@link #isDurable()}.
   */
  protected QueueStore reopen(QueueStore closed) throws Exception {
    throw new UnsupportedOperationException("a durable store overrides reopen");
  }

  /** The store of the current test, opened on first use. */
  protected final QueueStore store() throws Exception {
    if (store == null) {
      store = newStore();
      opened.add(store);
    }
    return store;
  }

  @AfterEach
  final void closeOpenedStores() throws Exception {
    Exception failure = null;
    for (QueueStore s : opened.reversed()) {
      try {
        closeStore(s);
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    opened.clear();
    store = null;
    if (failure != null) {
      throw failure;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // enqueue and show

  @Test
  void anEnqueuedMessageIsShownWithItsEnvelopeAndPendingRecipients() throws Exception {
    QueueStore store = store();
    byte[] content = content("Q1");

    store.enqueue(message("Q1", T0, "bob@example.org", "carol@example.net"), stream(content));

    QueuedMessage m = show("Q1");
    assertThat(m.id()).isEqualTo("Q1");
    assertThat(m.reversePath()).isEqualTo(SENDER);
    assertThat(m.arrivedAt()).isEqualTo(T0);
    assertThat(m.nextAttemptAt()).as("due at arrival").isEqualTo(T0);
    assertThat(m.attempts()).isZero();
    assertThat(m.size()).isEqualTo(content.length);
    assertThat(m.held()).isFalse();
    assertThat(m.leaseOwner()).isNull();
    assertThat(m.leaseExpiry()).isNull();
    assertThat(m.state(T0)).isEqualTo(QueueState.INCOMING);
    assertThat(m.recipients())
        .containsExactly(
            RecipientState.pending(Recipient.of("bob@example.org")),
            RecipientState.pending(Recipient.of("carol@example.net")));
  }

  @Test
  void showOfAnUnknownIdIsEmpty() throws Exception {
    assertThat(store().show("NOPE")).isEmpty();
    assertThatThrownBy(() -> store().openContent("NOPE")).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void recipientOrderAndDsnParametersArePreserved() throws Exception {
    List<Recipient> recipients =
        List.of(
            new Recipient("zed@example.org", Set.of(Notify.NEVER), null),
            new Recipient(
                "bob@example.org",
                Set.of(Notify.SUCCESS, Notify.FAILURE, Notify.DELAY),
                "rfc822;bob+2Bsub@example.org"),
            Recipient.of("amy@example.net"),
            new Recipient("jörg@exämple.de", Set.of(Notify.FAILURE), "utf-8;j\\x{00F6}rg@ex"),
            new Recipient("Mixed.Case@Example.COM", Set.of(), "rfc822;Mixed.Case@Example.COM"));
    store()
        .enqueue(
            new NewMessage("Q1", SENDER, recipients, MailParameters.NONE, T0),
            stream(content("Q1")));

    assertThat(show("Q1").recipients())
        .extracting(RecipientState::recipient)
        .containsExactlyElementsOf(recipients);
    assertThat(store().list(QueueFilter.all(T0)).getFirst().recipients())
        .extracting(RecipientState::recipient)
        .containsExactlyElementsOf(recipients);
    assertThat(store().claimDue(T0, 10, "node-a", LEASE).getFirst().recipients())
        .extracting(RecipientState::recipient)
        .containsExactlyElementsOf(recipients);
  }

  @Test
  void theMailParametersThatMatterForDeliveryArePreserved() throws Exception {
    MailParameters dsn =
        new MailParameters(Body.BINARY_MIME, 12345, true, Ret.HDRS, "QQ314159+2B2D", null);
    MailParameters eightBit =
        new MailParameters(Body.EIGHT_BIT_MIME, -1, false, Ret.FULL, null, null);
    store().enqueue(withParameters("Q1", dsn), stream(content("Q1")));
    store().enqueue(withParameters("Q2", eightBit), stream(content("Q2")));
    store().enqueue(withParameters("Q3", MailParameters.NONE), stream(content("Q3")));

    assertSameDeliveryParameters(show("Q1").parameters(), dsn);
    assertSameDeliveryParameters(show("Q2").parameters(), eightBit);
    assertSameDeliveryParameters(show("Q3").parameters(), MailParameters.NONE);
  }

  @Test
  void theNullReversePathAndAUtf8ReversePathArePreserved() throws Exception {
    List<Recipient> to = List.of(Recipient.of("bob@example.org"));
    store().enqueue(new NewMessage("B1", "", to, MailParameters.NONE, T0), stream(content("B1")));
    store()
        .enqueue(
            new NewMessage("U1", "jöran@exämple.org", to, MailParameters.NONE, T0),
            stream(content("U1")));

    assertThat(show("B1").reversePath()).isEmpty();
    assertThat(show("U1").reversePath()).isEqualTo("jöran@exämple.org");
  }

  @Test
  void contentRoundTripsByteExact() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("Subject: every octet\r\n\r\n".getBytes(UTF_8));
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 256; i++) {
        b.write(i);
      }
    }
    b.writeBytes("\r\nbare LF\nbare CR\r.\r\n..\r\n\r\n\u0000\r\n".getBytes(UTF_8));
    byte[] odd = b.toByteArray();
    byte[] crlf = "From: a@b\r\n\r\nline one\r\n\r\nline three\r\n".getBytes(UTF_8);

    store().enqueue(message("Q1", T0, "bob@example.org"), stream(odd));
    store().enqueue(message("Q2", T0, "bob@example.org"), stream(crlf));

    assertThat(read("Q1")).isEqualTo(odd);
    assertThat(read("Q2")).isEqualTo(crlf);
    assertThat(show("Q1").size()).isEqualTo(odd.length);
    assertThat(read("Q1")).as("content can be read more than once").isEqualTo(odd);
  }

  @Test
  void fiveMegabytesOfContentRoundTripThroughOpenContent() throws Exception {
    byte[] big = new byte[5 * 1024 * 1024];
    new Random(42).nextBytes(big);

    store().enqueue(message("BIG", T0, "bob@example.org"), stream(big));

    assertThat(show("BIG").size()).isEqualTo(big.length);
    try (InputStream in = store().openContent("BIG")) {
      byte[] back = in.readAllBytes();
      assertThat(back.length).isEqualTo(big.length);
      assertThat(sha256(back)).isEqualTo(sha256(big));
    }
  }

  @Test
  void enqueueReadsTheContentToItsEndAndDoesNotCloseIt() throws Exception {
    RecordingStream content = new RecordingStream(content("Q1"));

    store().enqueue(message("Q1", T0, "bob@example.org"), content);

    assertThat(content.read()).as("nothing left to read").isEqualTo(-1);
    assertThat(content.closed).as("closed by the store").isFalse();
  }

  @Test
  void aFailedEnqueueLeavesNothingBehind() throws Exception {
    InputStream failing =
        new FilterInputStream(stream(new byte[100_000])) {
          private int served;

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (served > 20_000) {
              throw new IOException("client went away");
            }
            int n = super.read(b, off, Math.min(len, 4096));
            served += Math.max(n, 0);
            return n;
          }

          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }
        };

    assertThatThrownBy(() -> store().enqueue(message("Q1", T0, "bob@example.org"), failing))
        .isInstanceOf(IOException.class);

    assertThat(store().show("Q1")).isEmpty();
    assertThat(store().list(QueueFilter.all(T0))).isEmpty();
    assertThat(store().nextDue()).isEmpty();
    assertThat(store().claimDue(T0, 10, "node-a", LEASE)).isEmpty();
    assertThatThrownBy(() -> store().openContent("Q1")).isInstanceOf(NoSuchFileException.class);

    enqueue("Q1", T0, "bob@example.org");
    assertThat(read("Q1")).isEqualTo(content("Q1"));
  }

  @Test
  void aDuplicateIdIsRejectedWithIllegalArgumentAndTheStoredMessageIsUnchanged() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    QueuedMessage before = show("Q1");

    assertThatThrownBy(
            () ->
                store()
                    .enqueue(
                        message("Q1", T0.plusSeconds(5), "mallory@example.net"),
                        stream("other content\r\n".getBytes(UTF_8))))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(show("Q1")).isEqualTo(before);
    assertThat(read("Q1")).isEqualTo(content("Q1"));
    assertThat(store().list(QueueFilter.all(T0.plusSeconds(5)))).hasSize(1);
  }

  // ---------------------------------------------------------------------------------------------
  // claimDue

  @Test
  void claimDueReturnsOnlyDueMessagesEarliestFirstAndAtMostMax() throws Exception {
    enqueue("A", T0.plusSeconds(2), "a@example.org");
    enqueue("B", T0, "b@example.org");
    enqueue("C", T0.plusSeconds(1), "c@example.org");
    enqueue("D", T0.plusSeconds(120), "d@example.org"); // before the leases below end
    Instant now = T0.plusSeconds(5);

    assertThat(ids(store().claimDue(now, 2, "node-a", LEASE))).containsExactly("B", "C");
    assertThat(ids(store().claimDue(now, 10, "node-a", LEASE))).containsExactly("A");
    assertThat(store().claimDue(now, 10, "node-a", LEASE)).isEmpty();
    assertThat(ids(store().claimDue(T0.plusSeconds(120), 10, "node-a", LEASE)))
        .containsExactly("D");
  }

  @Test
  void claimDueOrdersByNextAttemptNotByArrival() throws Exception {
    enqueue("OLD", T0, "a@example.org");
    deferOnce("OLD", T0, T0.plusSeconds(30));
    enqueue("NEW", T0.plusSeconds(20), "b@example.org");
    Instant now = T0.plusSeconds(60);

    assertThat(ids(store().claimDue(now, 1, "node-a", LEASE))).containsExactly("NEW");
    assertThat(ids(store().claimDue(now, 1, "node-a", LEASE))).containsExactly("OLD");
  }

  @Test
  void aNewMessageIsDueExactlyAtItsArrival() throws Exception {
    enqueue("Q1", T0, "bob@example.org");

    assertThat(store().claimDue(T0.minusMillis(1), 10, "node-a", LEASE)).isEmpty();
    assertThat(ids(store().claimDue(T0, 10, "node-a", LEASE))).containsExactly("Q1");
  }

  @Test
  void aClaimedMessageCarriesItsLeaseAndIsActive() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    Instant now = T0.plusSeconds(1);

    QueuedMessage claimed = store().claimDue(now, 10, "node-a", LEASE).getFirst();

    assertThat(claimed.leaseOwner()).isEqualTo("node-a");
    assertThat(claimed.leaseExpiry()).isEqualTo(now.plus(LEASE));
    assertThat(claimed.state(now)).isEqualTo(QueueState.ACTIVE);
    assertThat(claimed.attempts()).isZero();
    assertThat(show("Q1").leaseOwner()).isEqualTo("node-a");
    assertThat(show("Q1").leaseExpiry()).isEqualTo(now.plus(LEASE));
    assertThat(show("Q1").state(now)).isEqualTo(QueueState.ACTIVE);
  }

  @Test
  void aClaimedMessageIsNotClaimedAgainUntilItsLeaseExpires() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    assertThat(store().claimDue(T0, 10, "node-a", LEASE)).hasSize(1);

    assertThat(store().claimDue(T0.plusSeconds(60), 10, "node-b", LEASE)).isEmpty();
    assertThat(store().claimDue(T0.plus(LEASE).minusMillis(1), 10, "node-b", LEASE)).isEmpty();
    assertThat(store().claimDue(T0.plus(LEASE).minusMillis(1), 10, "node-a", LEASE))
        .as("not even by its owner")
        .isEmpty();

    List<QueuedMessage> again = store().claimDue(T0.plus(LEASE), 10, "node-b", LEASE);
    assertThat(ids(again)).containsExactly("Q1");
    assertThat(again.getFirst().leaseOwner()).isEqualTo("node-b");
    assertThat(show("Q1").leaseOwner()).isEqualTo("node-b");
    assertThat(show("Q1").leaseExpiry()).isEqualTo(T0.plus(LEASE).plus(LEASE));
  }

  @Test
  void claimDueRejectsANonPositiveMaxOrLease() throws Exception {
    enqueue("Q1", T0, "bob@example.org");

    assertThatThrownBy(() -> store().claimDue(T0, 0, "node-a", LEASE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store().claimDue(T0, 10, "node-a", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store().claimDue(T0, 10, "node-a", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(show("Q1").leaseOwner()).isNull();
  }

  @Test
  void anEmptyStoreHasNothingToClaimAndNothingDue() throws Exception {
    assertThat(store().claimDue(T0, 10, "node-a", LEASE)).isEmpty();
    assertThat(store().nextDue()).isEmpty();
    assertThat(store().list(QueueFilter.all(T0))).isEmpty();
    assertThat(store().flush(T0)).isZero();
  }

  // ---------------------------------------------------------------------------------------------
  // recordAttempt

  @Test
  void mixedOutcomesKeepTheMessageWithEachRecipientsStateAndTheNextAttempt() throws Exception {
    enqueue("Q1", T0, "bob@example.org", "carol@example.net", "dave@example.com");
    List<RecipientState> claimed =
        store().claimDue(T0, 10, "node-a", LEASE).getFirst().recipients();
    Instant at = T0.plusSeconds(3);
    Instant next = T0.plusSeconds(600);
    List<RecipientState> outcome =
        List.of(
            delivered(claimed.get(0), at),
            deferred(claimed.get(1), at).withDelayNotified(),
            failed(claimed.get(2), at));

    assertThat(store().recordAttempt("Q1", "node-a", outcome, next)).isTrue();

    QueuedMessage m = show("Q1");
    assertThat(m.recipients()).containsExactlyElementsOf(outcome);
    assertThat(m.nextAttemptAt()).isEqualTo(next);
    assertThat(m.attempts()).isEqualTo(1);
    assertThat(m.leaseOwner()).as("lease released").isNull();
    assertThat(m.leaseExpiry()).isNull();
    assertThat(m.state(at)).isEqualTo(QueueState.DEFERRED);
    assertThat(read("Q1")).isEqualTo(content("Q1"));

    assertThat(store().claimDue(next.minusMillis(1), 10, "node-b", LEASE)).isEmpty();
    QueuedMessage again = store().claimDue(next, 10, "node-b", LEASE).getFirst();
    assertThat(again.recipients()).containsExactlyElementsOf(outcome);
  }

  @Test
  void theAttemptCounterCountsEveryRecordedAttempt() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    Instant now = T0;
    for (int i = 1; i <= 3; i++) {
      QueuedMessage m = claimOnly("Q1", now, "node-a");
      Instant next = now.plusSeconds(60L * i);
      assertThat(
              store()
                  .recordAttempt(
                      "Q1", "node-a", List.of(deferred(m.recipients().getFirst(), now)), next))
          .isTrue();
      assertThat(show("Q1").attempts()).isEqualTo(i);
      now = next;
    }
  }

  @Test
  void whenEveryRecipientIsFinalTheMessageAndItsContentAreRemoved() throws Exception {
    enqueue("Q1", T0, "bob@example.org", "carol@example.net");
    enqueue("Q2", T0.plusSeconds(1), "dave@example.org");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");
    Instant at = T0.plusSeconds(2);

    boolean recorded =
        store()
            .recordAttempt(
                "Q1",
                "node-a",
                List.of(delivered(m.recipients().get(0), at), failed(m.recipients().get(1), at)),
                null); // nextAttempt is ignored, and may be null, when all are final

    assertThat(recorded).isTrue();
    assertThat(store().show("Q1")).isEmpty();
    assertThat(ids(store().list(QueueFilter.all(at)))).containsExactly("Q2");
    assertThatThrownBy(() -> store().openContent("Q1")).isInstanceOf(NoSuchFileException.class);
    assertThat(ids(store().claimDue(T0.plus(LEASE), 10, "node-b", LEASE))).containsExactly("Q2");
    assertThat(store().recordAttempt("Q1", "node-a", m.recipients(), at)).isFalse();
    assertThat(store().hold("Q1")).isFalse();
    assertThat(store().delete("Q1")).isFalse();
  }

  @Test
  void recordAttemptByANonOwnerReturnsFalseAndChangesNothing() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    enqueue("Q2", T0.plusSeconds(1), "bob@example.org");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");
    QueuedMessage before = show("Q1");
    List<RecipientState> done = List.of(delivered(m.recipients().getFirst(), T0));

    assertThat(store().recordAttempt("Q1", "node-b", done, T0.plusSeconds(60))).isFalse();
    assertThat(store().recordAttempt("Q2", "node-a", done, T0.plusSeconds(60)))
        .as("a message never claimed")
        .isFalse();

    assertThat(show("Q1")).isEqualTo(before);
    assertThat(show("Q2").attempts()).isZero();
    assertThat(show("Q2").recipients().getFirst().status()).isEqualTo(Status.PENDING);
  }

  @Test
  void afterAnotherOwnerReclaimedAnExpiredLeaseTheOldOwnerCannotRecord() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");
    claimOnly("Q1", T0.plus(LEASE), "node-b");
    QueuedMessage before = show("Q1");
    RecipientState bob = m.recipients().getFirst();

    assertThat(store().recordAttempt("Q1", "node-a", List.of(delivered(bob, T0)), null)).isFalse();
    assertThat(show("Q1")).isEqualTo(before);

    Instant next = T0.plusSeconds(3600);
    assertThat(store().recordAttempt("Q1", "node-b", List.of(deferred(bob, T0.plus(LEASE))), next))
        .isTrue();
    assertThat(show("Q1").attempts()).isEqualTo(1);
  }

  @Test
  void theOwnerOfAnExpiredLeaseCanStillRecordIfNoOneElseClaimedTheMessage() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");
    Instant late = T0.plus(LEASE).plusSeconds(30);
    Instant next = late.plusSeconds(600);

    boolean recorded =
        store()
            .recordAttempt(
                "Q1", "node-a", List.of(deferred(m.recipients().getFirst(), late)), next);

    assertThat(recorded).isTrue();
    assertThat(show("Q1").attempts()).isEqualTo(1);
    assertThat(show("Q1").nextAttemptAt()).isEqualTo(next);
    assertThat(show("Q1").leaseOwner()).isNull();
  }

  @Test
  void recordAttemptOnAMessageDeletedWhileClaimedReturnsFalse() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");

    assertThat(store().delete("Q1")).isTrue();

    assertThat(
            store()
                .recordAttempt(
                    "Q1",
                    "node-a",
                    List.of(deferred(m.recipients().getFirst(), T0)),
                    T0.plusSeconds(60)))
        .isFalse();
    assertThat(store().show("Q1")).isEmpty();
    assertThat(store().recordAttempt("NOPE", "node-a", m.recipients(), T0)).isFalse();
  }

  @Test
  void recordAttemptWithoutOneStatePerRecipientIsRejectedAndChangesNothing() throws Exception {
    enqueue("Q1", T0, "bob@example.org", "carol@example.net");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");
    QueuedMessage before = show("Q1");

    assertThatThrownBy(
            () ->
                store()
                    .recordAttempt(
                        "Q1",
                        "node-a",
                        List.of(delivered(m.recipients().getFirst(), T0)),
                        T0.plusSeconds(60)))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(show("Q1")).isEqualTo(before);
  }

  @Test
  void anAttemptRecordedOnAMessageHeldWhileClaimedKeepsTheHold() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");
    assertThat(store().hold("Q1")).isTrue();

    Instant next = T0.plusSeconds(60);
    assertThat(
            store()
                .recordAttempt(
                    "Q1", "node-a", List.of(deferred(m.recipients().getFirst(), T0)), next))
        .isTrue();

    assertThat(show("Q1").held()).isTrue();
    assertThat(show("Q1").state(next)).isEqualTo(QueueState.HOLD);
    assertThat(store().claimDue(next.plusSeconds(3600), 10, "node-b", LEASE)).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // nextDue

  @Test
  void nextDueIsTheEarliestNextAttemptAmongMessagesNotHeld() throws Exception {
    enqueue("A", T0.plusSeconds(60), "a@example.org");
    enqueue("B", T0.plusSeconds(120), "b@example.org");
    assertThat(store().nextDue()).contains(T0.plusSeconds(60));

    store().hold("A");
    assertThat(store().nextDue()).contains(T0.plusSeconds(120));

    store().hold("B");
    assertThat(store().nextDue()).isEmpty();

    store().release("A");
    assertThat(store().nextDue()).contains(T0.plusSeconds(60));
  }

  @Test
  void nextDueOfAClaimedMessageIsItsLeaseExpiryAndThenItsNextAttempt() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    QueuedMessage m = claimOnly("Q1", T0, "node-a");

    assertThat(store().nextDue()).contains(T0.plus(LEASE));

    Instant next = T0.plusSeconds(3600);
    store().recordAttempt("Q1", "node-a", List.of(deferred(m.recipients().getFirst(), T0)), next);
    assertThat(store().nextDue()).contains(next);
  }

  // ---------------------------------------------------------------------------------------------
  // hold, release, delete, requeue, flush

  @Test
  void aHeldMessageShowsHoldAndIsNotClaimed() throws Exception {
    enqueue("Q1", T0, "bob@example.org");

    assertThat(store().hold("Q1")).isTrue();
    assertThat(store().hold("Q1")).as("holding again").isTrue();

    assertThat(show("Q1").held()).isTrue();
    assertThat(show("Q1").state(T0)).isEqualTo(QueueState.HOLD);
    assertThat(store().claimDue(T0.plusSeconds(86_400), 10, "node-a", LEASE)).isEmpty();
    assertThat(store().hold("NOPE")).isFalse();
  }

  @Test
  void releaseMakesAHeldMessageDueAtOnce() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    deferOnce("Q1", T0, T0.plusSeconds(3600));
    store().hold("Q1");
    Instant now = T0.plusSeconds(60);

    assertThat(store().release("Q1")).isTrue();

    assertThat(show("Q1").held()).isFalse();
    assertThat(show("Q1").nextAttemptAt()).isBeforeOrEqualTo(now);
    assertThat(show("Q1").state(now)).isEqualTo(QueueState.DEFERRED);
    assertThat(store().nextDue()).hasValueSatisfying(t -> assertThat(t).isBeforeOrEqualTo(now));
    assertThat(ids(store().claimDue(now, 10, "node-a", LEASE))).containsExactly("Q1");
  }

  @Test
  void releaseOfAMessageThatIsNotHeldReturnsFalseAndChangesNothing() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    deferOnce("Q1", T0, T0.plusSeconds(3600));
    QueuedMessage before = show("Q1");

    assertThat(store().release("Q1")).isFalse();
    assertThat(store().release("NOPE")).isFalse();

    assertThat(show("Q1")).isEqualTo(before);
  }

  @Test
  void deleteRemovesTheMessageAndItsContent() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    enqueue("Q2", T0.plusSeconds(1), "bob@example.org");

    assertThat(store().delete("Q1")).isTrue();

    assertThat(store().show("Q1")).isEmpty();
    assertThatThrownBy(() -> store().openContent("Q1")).isInstanceOf(NoSuchFileException.class);
    assertThat(ids(store().list(QueueFilter.all(T0)))).containsExactly("Q2");
    assertThat(store().nextDue()).contains(T0.plusSeconds(1));
    assertThat(ids(store().claimDue(T0.plusSeconds(5), 10, "node-a", LEASE))).containsExactly("Q2");
    assertThat(store().delete("Q1")).isFalse();
    assertThat(store().delete("NOPE")).isFalse();
  }

  @Test
  void aHeldMessageCanBeDeleted() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    store().hold("Q1");

    assertThat(store().delete("Q1")).isTrue();

    assertThat(store().show("Q1")).isEmpty();
    assertThat(store().release("Q1")).isFalse();
  }

  @Test
  void requeueMakesADeferredMessageDueNow() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    deferOnce("Q1", T0, T0.plusSeconds(3600));
    Instant now = T0.plusSeconds(60);
    assertThat(store().claimDue(now, 10, "node-a", LEASE)).isEmpty();

    assertThat(store().requeue("Q1", now)).isTrue();

    assertThat(show("Q1").nextAttemptAt()).isEqualTo(now);
    assertThat(store().nextDue()).contains(now);
    assertThat(ids(store().claimDue(now, 10, "node-a", LEASE))).containsExactly("Q1");
    assertThat(store().requeue("NOPE", now)).isFalse();
  }

  @Test
  void requeueOfAHeldMessageReturnsFalseAndKeepsTheHold() throws Exception {
    enqueue("Q1", T0, "bob@example.org");
    deferOnce("Q1", T0, T0.plusSeconds(3600));
    store().hold("Q1");
    QueuedMessage before = show("Q1");

    assertThat(store().requeue("Q1", T0.plusSeconds(60))).isFalse();

    assertThat(show("Q1")).isEqualTo(before);
    assertThat(store().claimDue(T0.plusSeconds(7200), 10, "node-a", LEASE)).isEmpty();
  }

  @Test
  void flushMakesEveryDeferredMessageDueAndReturnsHowMany() throws Exception {
    // two deferred, one deferred and held, one never tried, one deferred and claimed again
    enqueue("D1", T0, "a@example.org");
    deferOnce("D1", T0, T0.plusSeconds(3600));
    enqueue("D2", T0.plusSeconds(1), "b@example.org");
    deferOnce("D2", T0.plusSeconds(1), T0.plusSeconds(7200));
    enqueue("H", T0.plusSeconds(2), "c@example.org");
    deferOnce("H", T0.plusSeconds(2), T0.plusSeconds(3600));
    store().hold("H");
    enqueue("A", T0.plusSeconds(3), "d@example.org");
    deferOnce("A", T0.plusSeconds(3), T0.plusSeconds(4));
    claimOnly("A", T0.plusSeconds(4), "node-a");
    enqueue("N", T0.plusSeconds(600), "e@example.org");
    Instant now = T0.plusSeconds(60);

    assertThat(store().flush(now)).isEqualTo(2);

    assertThat(show("D1").nextAttemptAt()).isEqualTo(now);
    assertThat(show("D2").nextAttemptAt()).isEqualTo(now);
    assertThat(show("H").nextAttemptAt()).isEqualTo(T0.plusSeconds(3600));
    assertThat(show("N").nextAttemptAt()).isEqualTo(T0.plusSeconds(600));
    assertThat(ids(store().claimDue(now, 10, "node-b", LEASE)))
        .containsExactlyInAnyOrder("D1", "D2");
  }

  // ---------------------------------------------------------------------------------------------
  // list

  @Test
  void listIsOldestFirstThenById() throws Exception {
    enqueue("M3", T0.plusSeconds(30), "a@example.org");
    enqueue("M1", T0.plusSeconds(10), "a@example.org");
    enqueue("M2B", T0.plusSeconds(20), "a@example.org");
    enqueue("M2A", T0.plusSeconds(20), "a@example.org");

    assertThat(ids(store().list(QueueFilter.all(T0.plusSeconds(60)))))
        .containsExactly("M1", "M2A", "M2B", "M3");
  }

  @Test
  void listFiltersByState() throws Exception {
    enqueue("INCOMING", T0, "a@example.org");
    store().hold("INCOMING"); // out of the way of the claims below, released at the end
    enqueue("DEFERRED", T0.plusSeconds(1), "a@example.org");
    deferOnce("DEFERRED", T0.plusSeconds(1), T0.plusSeconds(3600));
    enqueue("ACTIVE", T0.plusSeconds(2), "a@example.org");
    claimOnly("ACTIVE", T0.plusSeconds(2), "node-a");
    enqueue("HOLD", T0.plusSeconds(3), "a@example.org");
    store().hold("HOLD");
    store().release("INCOMING");
    Instant now = T0.plusSeconds(10);

    for (QueueState state : QueueState.values()) {
      assertThat(ids(store().list(new QueueFilter(Set.of(state), null, null, now, 100))))
          .as(state.name())
          .containsExactly(state.name());
    }
    assertThat(
            ids(
                store()
                    .list(
                        new QueueFilter(
                            Set.of(QueueState.HOLD, QueueState.INCOMING), null, null, now, 100))))
        .containsExactly("INCOMING", "HOLD");
    assertThat(ids(store().list(QueueFilter.all(now))))
        .containsExactly("INCOMING", "DEFERRED", "ACTIVE", "HOLD");
  }

  @Test
  void anExpiredLeaseListsAsDeferredOrIncomingNotActive() throws Exception {
    enqueue("Q1", T0, "a@example.org");
    claimOnly("Q1", T0, "node-a");
    Instant later = T0.plus(LEASE);

    assertThat(store().list(new QueueFilter(Set.of(QueueState.ACTIVE), null, null, later, 10)))
        .isEmpty();
    assertThat(
            ids(store().list(new QueueFilter(Set.of(QueueState.INCOMING), null, null, later, 10))))
        .containsExactly("Q1");
  }

  @Test
  void listFiltersByRecipientDomainAmongRecipientsNotFinal() throws Exception {
    enqueue("MIXED", T0, "bob@example.org", "carol@other.net");
    QueuedMessage m = claimOnly("MIXED", T0, "node-a");
    store()
        .recordAttempt(
            "MIXED",
            "node-a",
            List.of(delivered(m.recipients().get(0), T0), deferred(m.recipients().get(1), T0)),
            T0.plusSeconds(600));
    enqueue("PENDING", T0.plusSeconds(1), "dave@EXAMPLE.org");
    enqueue("ELSEWHERE", T0.plusSeconds(2), "erin@example.com");
    Instant now = T0.plusSeconds(10);

    assertThat(ids(store().list(new QueueFilter(Set.of(), "Example.Org", null, now, 100))))
        .as("bob@example.org was delivered")
        .containsExactly("PENDING");
    assertThat(ids(store().list(new QueueFilter(Set.of(), "other.net", null, now, 100))))
        .containsExactly("MIXED");
    assertThat(ids(store().list(new QueueFilter(Set.of(), "nowhere.test", null, now, 100))))
        .isEmpty();
  }

  @Test
  void listFiltersByMinimumAge() throws Exception {
    enqueue("OLD", T0, "a@example.org");
    enqueue("EXACT", T0.plusSeconds(900), "a@example.org");
    enqueue("YOUNG", T0.plusSeconds(1200), "a@example.org");
    Instant now = T0.plusSeconds(1800);

    assertThat(ids(store().list(new QueueFilter(Set.of(), null, Duration.ofMinutes(15), now, 100))))
        .containsExactly("OLD", "EXACT");
  }

  @Test
  void listAppliesTheLimitToTheOldestMatchingMessages() throws Exception {
    for (int i = 1; i < 6; i += 2) { // odd ones deferred, one at a time
      enqueue("M" + i, T0.plusSeconds(i), "a@example.org");
      deferOnce("M" + i, T0.plusSeconds(i), T0.plusSeconds(3600));
    }
    for (int i = 0; i < 6; i += 2) {
      enqueue("M" + i, T0.plusSeconds(i), "a@example.org");
    }
    Instant now = T0.plusSeconds(10);

    assertThat(ids(store().list(new QueueFilter(Set.of(QueueState.DEFERRED), null, null, now, 2))))
        .containsExactly("M1", "M3");
    assertThat(ids(store().list(new QueueFilter(Set.of(), null, null, now, 4))))
        .containsExactly("M0", "M1", "M2", "M3");
  }

  @Test
  void listCombinesStateDomainAndAge() throws Exception {
    enqueue("HIT", T0, "bob@example.org");
    deferOnce("HIT", T0, T0.plusSeconds(3600));
    enqueue("TOO_YOUNG", T0.plusSeconds(1000), "bob@example.org");
    deferOnce("TOO_YOUNG", T0.plusSeconds(1000), T0.plusSeconds(3600));
    enqueue("WRONG_DOMAIN", T0, "bob@example.net");
    deferOnce("WRONG_DOMAIN", T0, T0.plusSeconds(3600));
    enqueue("NOT_DEFERRED", T0, "bob@example.org");

    List<QueuedMessage> hits =
        store()
            .list(
                new QueueFilter(
                    Set.of(QueueState.DEFERRED),
                    "example.org",
                    Duration.ofMinutes(10),
                    T0.plusSeconds(1200),
                    100));

    assertThat(ids(hits)).containsExactly("HIT");
    assertThat(hits.getFirst().recipients().getFirst().status()).isEqualTo(Status.DEFERRED);
  }

  // ---------------------------------------------------------------------------------------------
  // concurrency

  @Test
  @Timeout(60)
  void concurrentClaimersEachGetADifferentMessageWhileLeasesHold() throws Exception {
    int messages = 500;
    enqueueMany(messages);
    Instant now = T0.plusSeconds(1);

    List<List<String>> perNode =
        runConcurrently(
            4,
            node -> {
              List<String> mine = new ArrayList<>();
              while (true) {
                List<QueuedMessage> batch =
                    store().claimDue(now, 2, "node-" + node, Duration.ofHours(1));
                if (batch.isEmpty()) {
                  return mine;
                }
                mine.addAll(ids(batch));
              }
            });

    List<String> all = perNode.stream().flatMap(List::stream).toList();
    assertThat(all).hasSize(messages).doesNotHaveDuplicates();
    assertThat(new HashSet<>(all)).hasSize(messages);
    for (int node = 0; node < perNode.size(); node++) {
      for (String id : perNode.get(node)) {
        assertThat(show(id).leaseOwner()).isEqualTo("node-" + node);
      }
    }
  }

  @Test
  @Timeout(60)
  void concurrentClaimersWithShortLeasesNeverHoldTheSameMessageAtOnce() throws Exception {
    int messages = 500;
    enqueueMany(messages);
    Duration lease = Duration.ofMillis(20);
    AtomicLong clock = new AtomicLong();
    record Claim(String id, String owner, Instant at) {}
    ConcurrentLinkedQueue<Claim> claims = new ConcurrentLinkedQueue<>();

    runConcurrently(
        4,
        node -> {
          for (int i = 0; i < 100; i++) {
            Instant now = T0.plusSeconds(1).plusMillis(clock.incrementAndGet());
            for (QueuedMessage m : store().claimDue(now, 25, "node-" + node, lease)) {
              claims.add(new Claim(m.id(), "node-" + node, now));
            }
          }
          return null;
        });

    Map<String, List<Claim>> byId = new HashMap<>();
    for (Claim c : claims) {
      byId.computeIfAbsent(c.id(), k -> new ArrayList<>()).add(c);
    }
    assertThat(byId).hasSize(messages);
    assertThat(claims.size()).as("leases expired and were claimed again").isGreaterThan(messages);
    for (List<Claim> history : byId.values()) {
      history.sort(Comparator.comparing(Claim::at));
      for (int i = 1; i < history.size(); i++) {
        Claim before = history.get(i - 1);
        Claim after = history.get(i);
        assertThat(after.at())
            .as("%s claimed by %s during %s's lease", after.id(), after.owner(), before.owner())
            .isAfterOrEqualTo(before.at().plus(lease));
      }
    }
  }

  @Test
  @Timeout(60)
  void concurrentClaimsAndRecordsCountExactlyTheAcceptedAttempts() throws Exception {
    int messages = 100;
    enqueueMany(messages);
    Duration lease = Duration.ofMillis(5);
    AtomicLong clock = new AtomicLong();
    ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();

    runConcurrently(
        4,
        node -> {
          String owner = "node-" + node;
          for (int i = 0; i < 50; i++) {
            Instant now = T0.plusSeconds(1).plusMillis(clock.incrementAndGet());
            for (QueuedMessage m : store().claimDue(now, 5, owner, lease)) {
              List<RecipientState> outcome =
                  m.recipients().stream().map(r -> deferred(r, now)).toList();
              if (store().recordAttempt(m.id(), owner, outcome, now)) {
                accepted.add(m.id());
              }
            }
          }
          return null;
        });

    Map<String, Integer> acceptedPerId = new HashMap<>();
    accepted.forEach(id -> acceptedPerId.merge(id, 1, Integer::sum));
    for (QueuedMessage m : store().list(QueueFilter.all(T0.plusSeconds(60)))) {
      assertThat(m.attempts()).as(m.id()).isEqualTo(acceptedPerId.getOrDefault(m.id(), 0));
    }
    assertThat(accepted).isNotEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // durability

  @Test
  void aDurableStoreKeepsMessagesStatesHoldsAndContentAcrossAReopen() throws Exception {
    assumeTrue(isDurable(), "only for durable stores");
    MailParameters dsn = new MailParameters(Body.EIGHT_BIT_MIME, -1, true, Ret.HDRS, "ENV1", null);
    store()
        .enqueue(
            new NewMessage(
                "Q1",
                "",
                List.of(
                    new Recipient("bob@example.org", Set.of(Notify.FAILURE), "rfc822;bob@x"),
                    Recipient.of("carol@example.net")),
                dsn,
                T0),
            stream(content("Q1")));
    QueuedMessage m = claimOnly("Q1", T0, "node-a");
    store()
        .recordAttempt(
            "Q1",
            "node-a",
            List.of(
                delivered(m.recipients().get(0), T0),
                deferred(m.recipients().get(1), T0).withDelayNotified()),
            T0.plusSeconds(600));
    enqueue("Q2", T0.plusSeconds(1), "dave@example.org");
    store().hold("Q2");
    enqueue("Q3", T0.plusSeconds(2), "erin@example.org");
    Map<String, QueuedMessage> before = new HashMap<>();
    for (QueuedMessage q : store().list(QueueFilter.all(T0.plusSeconds(5)))) {
      before.put(q.id(), q);
    }

    QueueStore old = store;
    opened.remove(old);
    old.close(); // not closeStore: the storage lives on in the reopened store
    store = reopen(old);
    opened.add(store);

    List<QueuedMessage> after = store().list(QueueFilter.all(T0.plusSeconds(5)));
    assertThat(ids(after)).containsExactly("Q1", "Q2", "Q3");
    for (QueuedMessage q : after) {
      assertThat(q).as(q.id()).isEqualTo(before.get(q.id()));
    }
    assertSameDeliveryParameters(show("Q1").parameters(), dsn);
    assertThat(read("Q1")).isEqualTo(content("Q1"));
    assertThat(read("Q3")).isEqualTo(content("Q3"));
    assertThat(store().nextDue()).contains(T0.plusSeconds(2));
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  /** A message from {@code alice@sender.test} to the given addresses, without MAIL parameters. */
  protected static NewMessage message(String id, Instant arrivedAt, String... recipients) {
    return new NewMessage(
        id,
        SENDER,
        Arrays.stream(recipients).map(Recipient::of).toList(),
        MailParameters.NONE,
        arrivedAt);
  }

  /** A small RFC 5322 message that names its id. */
  protected static byte[] content(String id) {
    return ("Subject: message "
            + id
            + "\r\nMessage-ID: <"
            + id
            + "@sender.test>\r\n\r\nbody of "
            + id
            + "\r\n")
        .getBytes(UTF_8);
  }

  /** Enqueues {@link #message} with {@link #content}. */
  protected void enqueue(String id, Instant arrivedAt, String... recipients) throws Exception {
    store().enqueue(message(id, arrivedAt, recipients), stream(content(id)));
  }

  /** The stored message, which must be there. */
  protected QueuedMessage show(String id) throws Exception {
    Optional<QueuedMessage> m = store().show(id);
    assertThat(m).as("message %s in the store", id).isPresent();
    return m.orElseThrow();
  }

  /** The content of a stored message. */
  protected byte[] read(String id) throws Exception {
    try (InputStream in = store().openContent(id)) {
      return in.readAllBytes();
    }
  }

  /** Claims at {@code now} and checks that exactly {@code id} was due. */
  private QueuedMessage claimOnly(String id, Instant now, String owner) throws Exception {
    List<QueuedMessage> claimed = store().claimDue(now, 10, owner, LEASE);
    assertThat(ids(claimed)).as("due at %s", now).containsExactly(id);
    return claimed.getFirst();
  }

  /**
   * One attempt that defers every recipient until {@code next}; {@code id} must be the only due.
   */
  private void deferOnce(String id, Instant now, Instant next) throws Exception {
    QueuedMessage m = claimOnly(id, now, "node-x");
    List<RecipientState> outcome = m.recipients().stream().map(r -> deferred(r, now)).toList();
    assertThat(store().recordAttempt(id, "node-x", outcome, next)).isTrue();
  }

  private void enqueueMany(int count) throws Exception {
    for (int i = 0; i < count; i++) {
      enqueue(String.format("M%04d", i), T0.plusMillis(i), "rcpt" + i + "@example.org");
    }
  }

  private static NewMessage withParameters(String id, MailParameters parameters) {
    return new NewMessage(id, SENDER, List.of(Recipient.of("bob@example.org")), parameters, T0);
  }

  private static void assertSameDeliveryParameters(MailParameters actual, MailParameters expected) {
    assertThat(actual.body()).as("BODY").isEqualTo(expected.body());
    assertThat(actual.smtpUtf8()).as("SMTPUTF8").isEqualTo(expected.smtpUtf8());
    assertThat(actual.ret()).as("RET").isEqualTo(expected.ret());
    assertThat(actual.envid()).as("ENVID").isEqualTo(expected.envid());
  }

  private static RecipientState delivered(RecipientState r, Instant at) {
    return r.after(
        Status.DELIVERED,
        "host mx.example.org[192.0.2.10] said: 250 2.0.0 Ok: queued as 4Xyz",
        "2.0.0",
        "mx.example.org[192.0.2.10]:25",
        at);
  }

  private static RecipientState deferred(RecipientState r, Instant at) {
    return r.after(
        Status.DEFERRED,
        "host mx.example.net[2001:db8::25] said: 450 4.2.0 Mailbox busy – réessayez",
        "4.2.0",
        "mx.example.net[2001:db8::25]:25",
        at);
  }

  private static RecipientState failed(RecipientState r, Instant at) {
    return r.after(
        Status.FAILED,
        "host mx.example.com[198.51.100.7] said: 550 5.1.1 User unknown",
        "5.1.1",
        "mx.example.com[198.51.100.7]:25",
        at);
  }

  private static List<String> ids(List<QueuedMessage> messages) {
    return messages.stream().map(QueuedMessage::id).toList();
  }

  private static InputStream stream(byte[] bytes) {
    return new ByteArrayInputStream(bytes);
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Work one concurrent node does; its result is collected. */
  @FunctionalInterface
  private interface NodeWork<T> {
    T run(int node) throws Exception;
  }

  /** Runs {@code nodes} workers on platform threads, started together, and joins them. */
  private static <T> List<T> runConcurrently(int nodes, NodeWork<T> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int n = 0; n < nodes; n++) {
        int node = n;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return work.run(node);
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(50, TimeUnit.SECONDS));
      }
      return Collections.unmodifiableList(results);
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Remembers whether it was closed. */
  private static final class RecordingStream extends FilterInputStream {
    boolean closed;

    RecordingStream(byte[] bytes) {
      super(new ByteArrayInputStream(bytes));
    }

    @Override
    public void close() throws IOException {
      closed = true;
      super.close();
    }
  }
}
