package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.file.FileQueueStore.Durability;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/** The builder fails fast and names the option; open warns about volumes that lose mail. */
class FileQueueStoreBuilderTest {
  @TempDir Path dir;

  @Test
  void aDirectoryIsRequired() {
    assertThatThrownBy(() -> FileQueueStore.builder().open())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("directory");
  }

  @Test
  void eachSetterRejectsABadValueAndNamesTheOption() {
    FileQueueStore.Builder b = FileQueueStore.builder();
    assertThatThrownBy(() -> b.commitWindow(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commitWindow")
        .hasMessageContaining("-0.001");
    assertThatThrownBy(() -> b.commitWindow(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commitWindow");
    assertThatThrownBy(() -> b.minFreeSpace(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minFreeSpace must be >= 0: -1");
    assertThatThrownBy(() -> b.journalMessageLimit(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("journalMessageLimit must be between 0 and 1048576: -1");
    assertThatThrownBy(() -> b.journalMessageLimit(1024 * 1024 + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("journalMessageLimit");
    assertThatThrownBy(() -> b.directory(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.durability(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aCommitWindowNeedsGroupCommit() {
    assertThatThrownBy(
            () ->
                FileQueueStore.builder()
                    .directory(dir)
                    .durability(Durability.PER_MESSAGE)
                    .commitWindow(Duration.ofMillis(2))
                    .open())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("commitWindow")
        .hasMessageContaining("PER_MESSAGE");
  }

  @Test
  void openCreatesTheDirectoryAndItsLayout() throws IOException {
    Path nested = dir.resolve("a/b/spool");
    try (FileQueueStore store = FileQueueStore.builder().directory(nested).open()) {
      assertThat(store.directory()).isEqualTo(nested.toRealPath());
      assertThat(nested.resolve("queue")).isDirectory();
      assertThat(nested.resolve("corrupt")).isDirectory();
      assertThat(nested.resolve("lock")).isRegularFile();
    }
  }

  @Test
  void aClosedStoreRejectsEveryUse() throws IOException {
    FileQueueStore store = FileQueueStore.builder().directory(dir).open();
    store.close();
    store.close(); // twice is fine

    assertThatThrownBy(store::size).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.show("Q1")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.hold("Q1")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.openContent("Q1")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () -> store.enqueue(message("Q1"), new ByteArrayInputStream("x".getBytes(UTF_8))))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void memoryAndContainerLayersAndNetworkFileSystemsAreWarnedAbout() {
    assertThat(FileQueueStore.volumeWarning("tmpfs"))
        .hasValueSatisfying(w -> assertThat(w).contains("tmpfs").contains("LOST"));
    assertThat(FileQueueStore.volumeWarning("overlay"))
        .hasValueSatisfying(w -> assertThat(w).contains("container").contains("persistent volume"));
    assertThat(FileQueueStore.volumeWarning("nfs4"))
        .hasValueSatisfying(w -> assertThat(w).contains("locking"));
    assertThat(FileQueueStore.volumeWarning("ext4")).isEmpty();
    assertThat(FileQueueStore.volumeWarning("xfs")).isEmpty();
  }

  @Test
  void aQueueOnTmpfsOpensWithALoudWarning() throws IOException {
    Path shm = Path.of("/dev/shm");
    assumeTrue(
        Files.isDirectory(shm) && Files.getFileStore(shm).type().equals("tmpfs"),
        "needs /dev/shm on tmpfs");
    Path onTmpfs = Files.createTempDirectory(shm, "mta4j-queue-test");
    String log;
    try {
      log =
          stderrOf(
              () -> {
                try (FileQueueStore store = FileQueueStore.builder().directory(onTmpfs).open()) {
                  assertThat(store.fileSystemType()).isEqualTo("tmpfs");
                }
              });
    } finally {
      deleteTree(onTmpfs);
    }
    assertThat(log).contains("WARN").contains("tmpfs").contains("LOST");
  }

  @Test
  void durabilityNoneWarnsThatItIsForTestsOnly() throws IOException {
    String log =
        stderrOf(
            () ->
                FileQueueStore.builder().directory(dir).durability(Durability.NONE).open().close());
    assertThat(log).contains("WARN").contains("durability NONE").contains("For tests only");
  }

  /** What slf4j-simple (which writes to the current System.err) printed while {@code r} ran. */
  private static String stderrOf(IoRunnable r) throws IOException {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, UTF_8));
    try {
      r.run();
    } finally {
      System.setErr(original);
    }
    String text = captured.toString(UTF_8);
    original.print(text);
    return text;
  }

  @FunctionalInterface
  private interface IoRunnable {
    void run() throws IOException;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
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
