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
 * Durability modes: an enqueue returns only after its directory fsync; under group commit,
 * concurrent enqueues share one; per message, each pays its own; NONE pays nothing.
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
  void concurrentEnqueuesWaitingForAnFsyncShareTheNextOne() throws Exception {
    CountDownLatch firstSyncStarted = new CountDownLatch(1);
    CountDownLatch letFirstSyncFinish = new CountDownLatch(1);
    AtomicInteger syncCalls = new AtomicInteger();
    store =
        FileQueueStore.builder()
            .directory(dir)
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
    try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
      assertThat(files).isEmpty();
    }
    enqueue("Q1");
    assertThat(store.show("Q1")).isPresent();
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
    assertThat(store.directorySyncs()).isLessThan(16);
  }

  private Void enqueue(String id) throws IOException {
    store.enqueue(
        new NewMessage(
            id, "a@sender.test", List.of(Recipient.of("b@example.org")), MailParameters.NONE, T0),
        new ByteArrayInputStream(("Subject: " + id + "\r\n\r\nbody\r\n").getBytes(UTF_8)));
    return null;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
