package org.mta4j.queue.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.ChildJvm;

/** One owner per directory: a second store, in this JVM or in another process, fails at open. */
@Timeout(60)
class DirectoryLockTest {
  private static final Duration CHILD_START = Duration.ofSeconds(30);

  @TempDir Path dir;
  @TempDir Path work;

  @Test
  void aSecondStoreInTheSameJvmFailsAtOpenWithAClearMessage() throws IOException {
    try (FileQueueStore first = open(dir)) {
      assertThatThrownBy(() -> open(dir))
          .isInstanceOf(QueueStoreException.class)
          .hasMessageContaining("already open in this JVM")
          .hasMessageContaining(dir.toRealPath().toString());

      first.enqueue(message("Q1"), new ByteArrayInputStream(new byte[] {'x'}));
      assertThat(first.show("Q1")).as("the first store works on").isPresent();
    }
  }

  @Test
  @SuppressWarnings("try") // the first store is held open, not used
  void theSameDirectoryByAnotherPathIsTheSameOwner() throws IOException {
    Path link = work.resolve("link");
    Files.createSymbolicLink(link, dir);
    try (FileQueueStore first = open(dir)) {
      assertThatThrownBy(() -> open(link))
          .isInstanceOf(QueueStoreException.class)
          .hasMessageContaining("already open in this JVM");
    }
  }

  @Test
  void closingTheStoreLetsTheNextOneOpen() throws IOException {
    open(dir).close();
    try (FileQueueStore again = open(dir)) {
      assertThat(again.size()).isZero();
    }
  }

  @Test
  @SuppressWarnings("try") // the first store is held open, not used
  void aFailedSecondOpenInThisJvmDoesNotReleaseTheFirstStoresLock() throws Exception {
    // POSIX locks belong to the process: had the second store opened and closed the lock file,
    // the first one's lock would be gone and another process could take the directory.
    try (FileQueueStore first = open(dir)) {
      assertThatThrownBy(() -> open(dir)).isInstanceOf(QueueStoreException.class);

      assertThat(tryOpenInAnotherProcess())
          .startsWith("FAILED QueueStoreException")
          .contains("locked by another process")
          .contains("pid " + ProcessHandle.current().pid());
    }
    assertThat(tryOpenInAnotherProcess()).isEqualTo("OPENED\n");
  }

  @Test
  void aStoreInAnotherProcessHoldsTheDirectoryUntilItDiesEvenByKill9() throws Exception {
    Path marker = work.resolve("holder-ready");
    Path log = work.resolve("holder.log");
    Process holder =
        ChildJvm.start(log, List.of(), LockHolderChild.class, dir.toString(), marker.toString());
    try {
      await("the other process holds the directory: " + log)
          .atMost(CHILD_START)
          .until(() -> Files.exists(marker) && Files.size(marker) > 0);

      assertThatThrownBy(() -> open(dir))
          .isInstanceOf(QueueStoreException.class)
          .hasMessageContaining("locked by another process")
          .hasMessageContaining("pid " + holder.pid())
          .hasMessageContaining("one owner");

      holder.destroyForcibly();
      assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
      try (FileQueueStore after = open(dir)) {
        assertThat(after.size()).as("the dead owner's lock went with it").isZero();
      }
    } finally {
      holder.destroyForcibly();
    }
  }

  private String tryOpenInAnotherProcess() throws Exception {
    Path marker = Files.createTempFile(work, "try", ".txt");
    Files.delete(marker);
    Path log = work.resolve("try.log");
    Process p =
        ChildJvm.start(
            log, List.of(), LockHolderChild.class, dir.toString(), marker.toString(), "try");
    try {
      assertThat(p.waitFor(CHILD_START.toSeconds(), TimeUnit.SECONDS))
          .as(ChildJvm.tail(log, 20))
          .isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(marker).as(ChildJvm.tail(log, 20)).exists();
    return Files.readString(marker);
  }

  private static FileQueueStore open(Path d) throws IOException {
    return FileQueueStore.builder().directory(d).open();
  }

  private static NewMessage message(String id) {
    return new NewMessage(
        id,
        "a@sender.test",
        List.of(Recipient.of("b@example.org")),
        MailParameters.NONE,
        Instant.parse("2026-03-02T10:00:00Z"));
  }
}
