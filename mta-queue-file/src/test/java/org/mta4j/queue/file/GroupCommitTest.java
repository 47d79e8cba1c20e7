package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.queue.file.FileQueueStore.Durability;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * Durability modes: a call returns only after its flush; under group commit, concurrent calls share
 * one (the journal's for small messages and state changes, the directory's for large messages); per
 * message, each pays its own; NONE pays nothing.
 */
@Timeout(60)
class GroupCommitTest {
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

  @TempDir Path dir;
  private FileQueueStore store;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void close() throws Exception {
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    if (store != null) {
      store.close();
    }
  }

  @Test
  void concurrentEnqueuesWaitingForAJournalFlushShareTheNextOne() throws Exception {
    HeldFlush held = new HeldFlush();
    store = FileQueueStore.builder().directory(dir).diskFaults(held).open();

    Future<?> first = threads.submit(() -> enqueue("FIRST"));
    assertThat(held.firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
    List<Future<?>> others = new ArrayList<>();
    for (int i = 0; i < 31; i++) {
      String id = "M" + i;
      others.add(threads.submit(() -> enqueue(id)));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> store.waitingForJournal() == 31);

    assertThat(first).as("not durable yet, so not returned").isNotDone();
    assertThat(store.show("FIRST")).as("not visible before it is durable").isEmpty();

    held.release.countDown();
    first.get(10, TimeUnit.SECONDS);
    for (Future<?> f : others) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(store.size()).isEqualTo(32);
    assertThat(store.journalSyncs())
        .as("one flush for FIRST, one shared by the 31 others: fewer flushes than messages")
        .isEqualTo(2);
    assertThat(store.fileSyncs()).as("no message file of its own").isZero();
    assertThat(store.directorySyncs()).isZero();
    assertThat(queueFiles()).containsExactly(Journal.name(1));

    store.close();
    store = FileQueueStore.builder().directory(dir).open();
    assertThat(store.size()).as("all 32 come back from the journal").isEqualTo(32);
  }

  @Test
  void concurrentStateChangesAndRemovalsShareJournalFlushesToo() throws Exception {
    HeldFlush held = new HeldFlush();
    store = FileQueueStore.builder().directory(dir).diskFaults(held).open();
    held.release.countDown(); // enqueue without holding
    for (int i = 0; i < 17; i++) {
      enqueue("M" + i);
    }
    long before = store.journalSyncs();
    held.hold();

    Future<?> first = threads.submit(() -> store.hold("M0"));
    assertThat(held.firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
    List<Future<?>> others = new ArrayList<>();
    for (int i = 1; i < 9; i++) {
      String id = "M" + i;
      others.add(threads.submit(() -> store.hold(id)));
    }
    for (int i = 9; i < 17; i++) {
      String id = "M" + i;
      others.add(threads.submit(() -> store.delete(id)));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> store.waitingForJournal() == 16);
    assertThat(first).isNotDone();

    held.release.countDown();
    first.get(10, TimeUnit.SECONDS);
    for (Future<?> f : others) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(store.journalSyncs() - before).as("17 changes, 2 flushes").isEqualTo(2);
    assertThat(store.size()).isEqualTo(9);
    store.close();
    store = FileQueueStore.builder().directory(dir).open();
    assertThat(store.size()).isEqualTo(9);
    assertThat(store.list(QueueFilter.all(T0))).allMatch(m -> m.held());
  }

  @Test
  void largeMessagesGetFilesOfTheirOwnAndShareTheDirectoryFsync() throws Exception {
    CountDownLatch firstSyncStarted = new CountDownLatch(1);
    CountDownLatch letFirstSyncFinish = new CountDownLatch(1);
    AtomicInteger syncCalls = new AtomicInteger();
    store =
        FileQueueStore.builder()
            .directory(dir)
            .journalMessageLimit(0) // every message is "large"
            .diskFaults(
                new DiskFaults() {
                  @Override
                  public void beforeDirectorySync() {
                    if (syncCalls.incrementAndGet() == 1) {
                      firstSyncStarted.countDown();
                      awaitQuietly(letFirstSyncFinish);
                    }
                  }
                })
            .open();

    Future<?> first = threads.submit(() -> enqueue("FIRST"));
    assertThat(firstSyncStarted.await(10, TimeUnit.SECONDS)).isTrue();
    List<Future<?>> others = new ArrayList<>();
    for (int i = 0; i < 31; i++) {
      String id = "M" + i;
      others.add(threads.submit(() -> enqueue(id)));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> store.waitingForCommit() == 31);

    assertThat(first).as("not durable yet, so not returned").isNotDone();
    assertThat(store.show("FIRST")).as("not visible before it is durable").isEmpty();

    letFirstSyncFinish.countDown();
    first.get(10, TimeUnit.SECONDS);
    for (Future<?> f : others) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(store.size()).isEqualTo(32);
    assertThat(store.directorySyncs()).as("one for FIRST, one for the 31 others").isEqualTo(2);
    assertThat(store.fileSyncs()).as("each message file is fsynced").isEqualTo(32);
    assertThat(store.journalSyncs()).isZero();
  }

  @Test
  void perMessageDurabilityFsyncsTheDirectoryForEveryEnqueue() throws Exception {
    store = FileQueueStore.builder().directory(dir).durability(Durability.PER_MESSAGE).open();

    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String id = "M" + i;
      all.add(threads.submit(() -> enqueue(id)));
    }
    for (Future<?> f : all) {
      f.get(10, TimeUnit.SECONDS);
    }

    assertThat(store.directorySyncs()).isEqualTo(20);
    assertThat(store.fileSyncs()).isEqualTo(20);
  }

  @Test
  void noDurabilityFsyncsNothingAndStillKeepsTheMessagesAcrossAReopen() throws Exception {
    store = FileQueueStore.builder().directory(dir).durability(Durability.NONE).open();
    for (int i = 0; i < 5; i++) {
      enqueue("M" + i);
    }
    assertThat(store.directorySyncs()).isZero();
    assertThat(store.fileSyncs()).isZero();
    store.close();

    store = FileQueueStore.builder().directory(dir).durability(Durability.NONE).open();
    assertThat(store.size()).as("a process exit does not lose page cache").isEqualTo(5);
  }

  @Test
  void stateChangesAreFsyncedToo() throws Exception {
    store = FileQueueStore.builder().directory(dir).durability(Durability.PER_MESSAGE).open();
    enqueue("Q1");
    long before = store.directorySyncs();

    store.hold("Q1");
    store.release("Q1");
    store.delete("Q1");

    assertThat(store.directorySyncs() - before).isEqualTo(3);
  }

  @Test
  void aFailedDirectoryFsyncFailsTheEnqueueAndLeavesNothing() throws Exception {
    AtomicInteger failures = new AtomicInteger(1);
    store =
        FileQueueStore.builder()
            .directory(dir)
            .durability(Durability.PER_MESSAGE)
            .diskFaults(
                new DiskFaults() {
                  @Override
                  public void beforeDirectorySync() throws IOException {
                    if (failures.getAndDecrement() > 0) {
                      throw new IOException("Input/output error");
                    }
                  }
                })
            .open();

    assertThatThrownBy(() -> enqueue("Q1"))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("Input/output error");

    assertThat(store.show("Q1")).isEmpty();
    assertThat(store.list(QueueFilter.all(T0))).isEmpty();
    assertThat(queueFiles()).isEmpty();
    enqueue("Q1");
    assertThat(store.show("Q1")).isPresent();
  }

  @Test
  void aFailedJournalFlushFailsTheCallAndEveryLaterWriteUntilTheStoreIsReopened() throws Exception {
    AtomicInteger failures = new AtomicInteger(1);
    DiskFaults failOnce =
        new DiskFaults() {
          @Override
          public void beforeJournalSync() throws IOException {
            if (failures.getAndDecrement() > 0) {
              throw new IOException("Input/output error");
            }
          }
        };
    store = FileQueueStore.builder().directory(dir).diskFaults(failOnce).open();

    assertThatThrownBy(() -> enqueue("Q1"))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("Input/output error");
    assertThat(store.show("Q1")).as("never acknowledged, so not in the index").isEmpty();
    assertThatThrownBy(() -> enqueue("Q2"))
        .as("after a failed fsync nobody knows what is on disk: no acknowledgement on top of it")
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("unusable until the store is reopened");
    store.close();

    store = FileQueueStore.builder().directory(dir).open();
    assertThat(store.show("Q2")).as("never written").isEmpty();
    assertThat(store.show("Q1"))
        .as("its record reached the file (the flush failed, not the write): at-least-once")
        .isPresent();
    enqueue("Q3");
    assertThat(store.show("Q3")).isPresent();
  }

  @Test
  void aCommitWindowGathersABatch() throws Exception {
    store = FileQueueStore.builder().directory(dir).commitWindow(Duration.ofMillis(500)).open();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String id = "M" + i;
      all.add(
          threads.submit(
              () -> {
                start.await();
                enqueue(id);
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : all) {
      f.get(20, TimeUnit.SECONDS);
    }

    assertThat(store.size()).isEqualTo(16);
    assertThat(store.journalSyncs()).isLessThan(16);
  }

  private Void enqueue(String id) throws IOException {
    store.enqueue(
        new NewMessage(
            id, "a@sender.test", List.of(Recipient.of("b@example.org")), MailParameters.NONE, T0),
        new ByteArrayInputStream(("Subject: " + id + "\r\n\r\nbody\r\n").getBytes(UTF_8)));
    return null;
  }

  private List<String> queueFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("queue"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Holds the first journal flush after {@link #hold()} (or after open) until released. */
  private static final class HeldFlush implements DiskFaults {
    volatile CountDownLatch firstStarted = new CountDownLatch(1);
    volatile CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();

    void hold() {
      firstStarted = new CountDownLatch(1);
      release = new CountDownLatch(1);
      calls.set(0);
    }

    @Override
    public void beforeJournalSync() {
      if (calls.incrementAndGet() == 1) {
        firstStarted.countDown();
        awaitQuietly(release);
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
