package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * Open after a crash: every kind of torn or damaged file is deleted (a write that never reached its
 * rename) or moved to {@code corrupt/}, the store opens anyway, and every complete message is still
 * there.
 */
class FileQueueStoreRecoveryTest {
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
  private static final Duration LEASE = Duration.ofMinutes(5);

  @TempDir Path dir;
  private FileQueueStore store;

  @BeforeEach
  void threeMessages() throws IOException {
    store = open();
    for (String id : List.of("A", "B", "C")) {
      store.enqueue(message(id), new ByteArrayInputStream(content(id)));
    }
    store.close();
  }

  @AfterEach
  void closeStore() throws IOException {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void aTruncatedMessageFileIsMovedToCorruptAndTheOthersSurvive() throws IOException {
    Path b = messageFile("B");
    truncate(b, Files.size(b) / 2);

    store = open();

    assertOnly("A", "C");
    assertThat(corrupt()).containsExactly("B.msg");
    assertThat(store.recovery().corruptFilesMoved()).isEqualTo(1);
  }

  @Test
  void aMessageFileWithoutItsEndMarkerIsMovedToCorrupt() throws IOException {
    Path b = messageFile("B");
    overwrite(b, Files.size(b) - 8, new byte[8]); // the end marker zeroed: torn at the last block

    store = open();

    assertOnly("A", "C");
    assertThat(corrupt()).containsExactly("B.msg");
  }

  @Test
  void aMessageFileCutJustBeforeItsEndMarkerIsMovedToCorrupt() throws IOException {
    Path b = messageFile("B");
    truncate(b, Files.size(b) - 8);

    store = open();

    assertOnly("A", "C");
    assertThat(corrupt()).containsExactly("B.msg");
  }

  @Test
  void anEmptyMessageFileIsMovedToCorrupt() throws IOException {
    // the rename reached the disk and the data did not: what fsync-before-rename prevents
    truncate(messageFile("B"), 0);

    store = open();

    assertOnly("A", "C");
    assertThat(corrupt()).containsExactly("B.msg");
  }

  @Test
  void contentThatFailsItsChecksumIsMovedToCorrupt() throws IOException {
    flipContentByte("B");

    store = open();

    assertOnly("A", "C");
    assertThat(corrupt()).containsExactly("B.msg");
  }

  @Test
  void anEnvelopeThatFailsItsChecksumIsMovedToCorrupt() throws IOException {
    Path b = messageFile("B");
    overwrite(b, 14, new byte[] {(byte) (readByte(b, 14) ^ 0x01)}); // inside the envelope

    store = open();

    assertOnly("A", "C");
    assertThat(corrupt()).containsExactly("B.msg");
  }

  @Test
  void withoutVerificationAtOpenDamagedContentFailsWhenReadToTheEnd() throws IOException {
    flipContentByte("B");

    store =
        FileQueueStore.builder()
            .directory(dir)
            .journalMessageLimit(0)
            .verifyContentAtOpen(false)
            .open();

    assertThat(store.list(QueueFilter.all(T0)).stream().map(QueuedMessage::id))
        .containsExactly("A", "B", "C");
    try (InputStream in = store.openContent("B")) {
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("fails its CRC32C");
    }
    try (InputStream in = store.openContent("A")) {
      assertThat(in.readAllBytes()).isEqualTo(content("A"));
    }
  }

  @Test
  void aFileThatHoldsAnotherMessageThanItsNameSaysIsMovedToCorrupt() throws IOException {
    Files.copy(messageFile("A"), messageFile("Z"));

    store = open();

    assertOnly("A", "B", "C");
    assertThat(corrupt()).containsExactly("Z.msg");
  }

  @Test
  void temporaryFilesOfWritesThatNeverCompletedAreDeleted() throws IOException {
    store = open();
    QueuedMessage a = store.claimDue(T0, 1, "node-a", LEASE).getFirst();
    store.recordAttempt("A", "node-a", deferAll(a), T0.plusSeconds(600));
    store.close();
    Path queue = dir.resolve("queue");
    Files.write(queue.resolve("D.msg.tmp"), "MTA4JQM1 half a messa".getBytes(UTF_8));
    Files.write(queue.resolve("A.st.tmp"), "MTA4JQS1 half a state".getBytes(UTF_8));

    store = open();

    assertOnly("A", "B", "C");
    assertThat(store.show("A").orElseThrow().attempts())
        .as("the state before the torn one")
        .isOne();
    assertThat(store.show("A").orElseThrow().nextAttemptAt()).isEqualTo(T0.plusSeconds(600));
    assertThat(queueFiles()).noneMatch(name -> name.endsWith(".tmp"));
    assertThat(corrupt()).isEmpty();
    assertThat(store.recovery().tempFilesDeleted()).isEqualTo(2);
  }

  @Test
  void aStateFileWithoutItsMessageIsDeleted() throws IOException {
    // a removal that deleted the message file and then crashed
    store = open();
    store.hold("B");
    store.close();
    Files.delete(messageFile("B"));

    store = open();

    assertOnly("A", "C");
    assertThat(queueFiles()).doesNotContain("B.st");
    assertThat(store.recovery().orphanStatesDeleted()).isEqualTo(1);
  }

  @Test
  void aDamagedStateFileIsMovedToCorruptAndTheMessageGoesBackToItsStateAtArrival()
      throws IOException {
    store = open();
    QueuedMessage a = store.claimDue(T0, 1, "node-a", LEASE).getFirst();
    store.recordAttempt("A", "node-a", deferAll(a), T0.plusSeconds(600));
    store.close();
    Path state = dir.resolve("queue").resolve("A.st");
    overwrite(state, Files.size(state) - 10, new byte[] {0x55});

    store = open();

    assertOnly("A", "B", "C");
    QueuedMessage back = store.show("A").orElseThrow();
    assertThat(back.attempts()).isZero();
    assertThat(back.nextAttemptAt()).isEqualTo(T0);
    assertThat(back.recipients()).allMatch(r -> r.status() == RecipientState.Status.PENDING);
    assertThat(corrupt()).containsExactly("A.st");
  }

  @Test
  void aFileThatIsNotAQueueFileIsLeftAloneAndTheStoreOpens() throws IOException {
    Files.writeString(dir.resolve("queue").resolve("README.txt"), "someone's notes");

    store = open();

    assertOnly("A", "B", "C");
    assertThat(queueFiles()).contains("README.txt");
  }

  @Test
  void aSecondDamagedFileOfTheSameNameDoesNotOverwriteTheFirstInCorrupt() throws IOException {
    truncate(messageFile("B"), 10);
    store = open();
    store.enqueue(message("B"), new ByteArrayInputStream(content("B")));
    store.close();
    truncate(messageFile("B"), 10);

    store = open();

    assertThat(corrupt()).containsExactlyInAnyOrder("B.msg", "B.msg.1");
  }

  @Test
  void theLeasesOfACrashedRunAreReleased() throws IOException {
    store = open();
    assertThat(store.claimDue(T0, 10, "node-a", Duration.ofHours(1))).hasSize(3);
    store.close(); // leases are in memory only: a crash forgets them as a close does

    store = open();

    assertThat(store.list(QueueFilter.all(T0))).allMatch(m -> m.leaseOwner() == null);
    assertThat(store.claimDue(T0, 10, "node-b", LEASE)).hasSize(3);
  }

  @Test
  void idsThatAreNotSafeFileNamesRoundTrip() throws IOException {
    store = open();
    String lower = "lower-case.id/with:odd chars";
    String longId = "L".repeat(300) + "ü";
    store.enqueue(message(lower), new ByteArrayInputStream(content(lower)));
    store.enqueue(message(longId), new ByteArrayInputStream(content(longId)));
    store.close();

    store = open();

    assertThat(store.show(lower)).isPresent();
    assertThat(store.show(longId)).isPresent();
    try (InputStream in = store.openContent(longId)) {
      assertThat(in.readAllBytes()).isEqualTo(content(longId));
    }
    assertThat(queueFiles()).allMatch(n -> n.length() < 100 && !n.contains("/"));
  }

  // ---------------------------------------------------------------------------------------------

  private FileQueueStore open() throws IOException {
    // every message in a file of its own: this test is about those files (JournalRecoveryTest
    // is about the journal)
    return FileQueueStore.builder().directory(dir).journalMessageLimit(0).open();
  }

  private void assertOnly(String... ids) throws IOException {
    assertThat(store.list(QueueFilter.all(T0)).stream().map(QueuedMessage::id))
        .containsExactly(ids);
    for (String id : ids) {
      try (InputStream in = store.openContent(id)) {
        assertThat(in.readAllBytes()).as(id).isEqualTo(content(id));
      }
    }
  }

  private static NewMessage message(String id) {
    return new NewMessage(
        id, "alice@sender.test", List.of(Recipient.of("bob@example.org")), MailParameters.NONE, T0);
  }

  private static byte[] content(String id) {
    return ("Subject: " + id + "\r\n\r\n" + "body of " + id + "\r\n").repeat(20).getBytes(UTF_8);
  }

  private static List<RecipientState> deferAll(QueuedMessage m) {
    return m.recipients().stream()
        .map(r -> r.after(RecipientState.Status.DEFERRED, "451 try later", "4.0.0", "local", T0))
        .toList();
  }

  private Path messageFile(String id) {
    return dir.resolve("queue").resolve(QueueFiles.key(id) + ".msg");
  }

  private List<String> corrupt() throws IOException {
    return names(dir.resolve("corrupt"));
  }

  private List<String> queueFiles() throws IOException {
    return names(dir.resolve("queue"));
  }

  private static List<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private void flipContentByte(String id) throws IOException {
    Path f = messageFile(id);
    long at = Files.size(f) - QueueFiles.MESSAGE_TRAILER - 5; // inside the content
    overwrite(f, at, new byte[] {(byte) (readByte(f, at) ^ 0x20)});
  }

  private static void truncate(Path f, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  private static void overwrite(Path f, long at, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), at);
    }
  }

  private static byte readByte(Path f, long at) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      return b.get(0);
    }
  }
}
