package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * The journal after a crash: a torn tail (a record cut short, failing its CRC32C or without its end
 * marker) was never acknowledged and is cut off, everything before it is kept; zeros after the last
 * record (a preallocated segment) are the log's end; damage with intact records after it is copied
 * to {@code corrupt/} and the records after it are kept. And its segments are reclaimed once their
 * messages are final, never so early that a removed message comes back.
 */
class JournalRecoveryTest {
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
  private static final Duration LEASE = Duration.ofMinutes(5);

  @TempDir Path dir;
  private FileQueueStore store;

  @AfterEach
  void closeStore() throws IOException {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void aRecordCutShortAtTheTailIsCutOffAndEverythingBeforeItIsKept() throws IOException {
    threeMessages();
    Path seg = segment(1);
    long cStarts = recordStarts(seg).get(2);
    truncate(seg, Files.size(seg) - 10);

    store = open();

    assertOnly("A", "B");
    assertThat(store.journalRecovery().tornTails()).isOne();
    assertThat(corrupt()).as("never acknowledged: nothing to keep").isEmpty();
    assertThat(Files.size(seg)).as("cut where C began").isEqualTo(cStarts);
    store.enqueue(message("D"), new ByteArrayInputStream(content("D")));
    store.close();
    store = open();
    assertOnly("A", "B", "D");
  }

  @Test
  void aTailRecordThatFailsItsChecksumIsCutOff() throws IOException {
    threeMessages();
    Path seg = segment(1);
    flip(seg, Files.size(seg) - 30); // inside C's content

    store = open();

    assertOnly("A", "B");
    assertThat(store.journalRecovery().tornTails()).isOne();
    assertThat(corrupt()).isEmpty();
  }

  @Test
  void aTailRecordWithoutItsEndMarkerIsCutOff() throws IOException {
    threeMessages();
    Path seg = segment(1);
    overwrite(seg, Files.size(seg) - 4, new byte[4]);

    store = open();

    assertOnly("A", "B");
    assertThat(store.journalRecovery().tornTails()).isOne();
  }

  @Test
  void zerosAfterTheLastRecordAreTheEndOfTheLogNotATornTail() throws IOException {
    threeMessages();
    Path seg = segment(1);
    long size = Files.size(seg);
    // what a crash leaves of a preallocated segment, or a power cut after an extending write
    overwrite(seg, size, new byte[64 * 1024]);

    store = open();

    assertOnly("A", "B", "C");
    assertThat(store.journalRecovery().tornTails()).isZero();
    assertThat(store.journalRecovery().damagedRegions()).isZero();
    assertThat(Files.size(seg)).as("cut back to its last record").isEqualTo(size);
    assertThat(corrupt()).isEmpty();
  }

  @Test
  void aRecordCutShortBeforeZerosIsATornTail() throws IOException {
    threeMessages();
    Path seg = segment(1);
    long cStarts = recordStarts(seg).get(2);
    long size = Files.size(seg);
    overwrite(seg, size - 10, new byte[10 + 64 * 1024]); // C's last bytes never arrived

    store = open();

    assertOnly("A", "B");
    assertThat(store.journalRecovery().tornTails()).isOne();
    assertThat(Files.size(seg)).as("cut where C began").isEqualTo(cStarts);
  }

  @Test
  void theActiveSegmentIsPreallocatedAndCutBackWhenSealedAndAtClose() throws IOException {
    int segmentSize = 64 * 1024;
    store = FileQueueStore.builder().directory(dir).journalSegmentSize(segmentSize).open();
    store.enqueue(message("A"), new ByteArrayInputStream(content("A")));
    assertThat(Files.size(segment(1)))
        .as("zero-filled to its limit: an append does not change the file's size")
        .isEqualTo(segmentSize);

    int n = 1;
    while (!Files.exists(segment(2))) {
      assertThat(n).as("the first segment fills up").isLessThan(1000);
      store.enqueue(message("M" + n), new ByteArrayInputStream(content("M" + n)));
      n++;
    }
    assertThat(Files.size(segment(2))).isEqualTo(segmentSize);
    long sealedEnd = recordStarts(segment(1)).getLast();
    assertThat(Files.size(segment(1)))
        .as("sealed: cut back to its last record")
        .isGreaterThan(sealedEnd)
        .isLessThan(segmentSize);
    assertThat(Files.readAllBytes(segment(1))).endsWith(Journal.RECORD_END);

    store.close();
    assertThat(Files.size(segment(2))).as("closed: cut back").isLessThan(segmentSize);
    assertThat(Files.readAllBytes(segment(2))).endsWith(Journal.RECORD_END);
    store = FileQueueStore.builder().directory(dir).journalSegmentSize(segmentSize).open();
    assertThat(store.size()).isEqualTo(n);
    assertThat(store.journalRecovery().tornTails()).isZero();
  }

  @Test
  void damageInTheMiddleIsCopiedToCorruptAndTheRecordsAfterItAreKept() throws IOException {
    threeMessages();
    Path seg = segment(1);
    List<Long> starts = recordStarts(seg);
    flip(seg, starts.get(1) + 40); // inside B's record

    store = open();

    assertOnly("A", "C");
    assertThat(store.journalRecovery().damagedRegions()).isOne();
    assertThat(store.journalRecovery().tornTails()).isZero();
    assertThat(corrupt()).containsExactly(Journal.name(1) + ".at-" + starts.get(1));
    assertThat(Files.size(dir.resolve("corrupt").resolve(corrupt().getFirst())))
        .isEqualTo(starts.get(2) - starts.get(1));
  }

  @Test
  void aSegmentWhoseCreationDidNotCompleteIsDeletedAndOneWithABadHeaderMovedToCorrupt()
      throws IOException {
    threeMessages();
    Path queue = dir.resolve("queue");
    Files.write(queue.resolve(Journal.name(7)), new byte[5]);
    Files.write(queue.resolve(Journal.name(8)), "not a journal segment at all".getBytes(UTF_8));

    store = open();

    assertOnly("A", "B", "C");
    assertThat(queue.resolve(Journal.name(7))).doesNotExist();
    assertThat(corrupt()).containsExactly(Journal.name(8));
    store.enqueue(message("D"), new ByteArrayInputStream(content("D")));
    assertThat(queue.resolve(Journal.name(9))).as("new segments come after every old one").exists();
  }

  @Test
  void stateChangesAndRemovalsAreReplayed() throws IOException {
    threeMessages();
    store = open();
    QueuedMessage a = store.claimDue(T0, 1, "node-a", LEASE).getFirst();
    store.recordAttempt("A", "node-a", deferAll(a), T0.plusSeconds(600));
    store.hold("C");
    store.delete("B");
    store.close();

    store = open();

    assertOnly("A", "C");
    QueuedMessage back = store.show("A").orElseThrow();
    assertThat(back.attempts()).isOne();
    assertThat(back.nextAttemptAt()).isEqualTo(T0.plusSeconds(600));
    assertThat(back.recipients()).allMatch(r -> r.status() == RecipientState.Status.DEFERRED);
    assertThat(store.show("C").orElseThrow().held()).isTrue();
  }

  @Test
  void segmentsAreDeletedOnceTheirMessagesAreFinal() throws IOException {
    store = smallSegments();
    for (int i = 0; i < 10; i++) {
      store.enqueue(message("M" + i), new ByteArrayInputStream(content("M" + i)));
    }
    assertThat(segmentFiles()).hasSizeGreaterThan(1);
    for (QueuedMessage m : store.claimDue(T0, 10, "node-a", LEASE)) {
      store.recordAttempt(m.id(), "node-a", deliverAll(m), null);
    }

    assertThat(store.size()).isZero();
    assertThat(segmentFiles()).as("only the active segment is left").hasSize(1);
    store.close();
    store = smallSegments();
    assertThat(store.size()).isZero();
    assertThat(segmentFiles()).as("nothing needs the last run's segment").isEmpty();
  }

  @Test
  void aSegmentPinnedByALongLivedMessageIsCompactedAndReclaimed() throws IOException {
    store = smallSegments();
    for (int i = 0; i < 10; i++) {
      store.enqueue(message("M" + i), new ByteArrayInputStream(content("M" + i)));
    }
    QueuedMessage m0 = store.claimDue(T0, 1, "node-a", LEASE).getFirst();
    store.recordAttempt("M0", "node-a", deferAll(m0), T0.plusSeconds(3600));
    for (int i = 1; i < 10; i++) {
      store.delete("M" + i);
    }

    assertThat(segmentFiles())
        .as("M0 was copied forward and the segments it pinned are gone")
        .hasSize(1)
        .doesNotContain(Journal.name(1));
    store.close();
    store = smallSegments();
    assertOnly("M0");
    assertThat(store.show("M0").orElseThrow().attempts()).as("its state came along").isOne();
  }

  @Test
  void aRemovalRecordOutlivesTheSegmentHoldingTheMessageItRemoved() throws IOException {
    store = smallSegments();
    for (int i = 0; i < 10; i++) {
      store.enqueue(message("M" + i), new ByteArrayInputStream(content("M" + i)));
    }
    List<String> firstSegment = idsIn(1);
    assertThat(firstSegment).hasSizeGreaterThan(3);
    store.delete(firstSegment.getFirst()); // removal record in a later segment
    for (int i = 0; i < 10; i++) {
      if (!firstSegment.contains("M" + i)) {
        store.delete("M" + i); // empties the later segments
      }
    }
    store.close();

    store = smallSegments();

    assertOnly(firstSegment.subList(1, firstSegment.size()).toArray(String[]::new));
  }

  @Test
  void aMessageUpToTheLimitGoesToTheJournalAndALargerOneToAFileOfItsOwn() throws IOException {
    store = FileQueueStore.builder().directory(dir).journalMessageLimit(40_000).open();
    byte[] fits = ("Subject: fits\r\n\r\n" + "x".repeat(40_000 - 17)).getBytes(UTF_8);
    byte[] over = ("Subject: over\r\n\r\n" + "x".repeat(40_000 - 16)).getBytes(UTF_8);
    assertThat(fits).hasSize(40_000);
    assertThat(over).hasSize(40_001);

    store.enqueue(message("FITS"), new ByteArrayInputStream(fits));
    store.enqueue(message("OVER"), new ByteArrayInputStream(over));

    assertThat(names(dir.resolve("queue"))).containsExactly("OVER.msg", Journal.name(1));
    store.close();
    store = FileQueueStore.builder().directory(dir).journalMessageLimit(40_000).open();
    try (InputStream in = store.openContent("FITS")) {
      assertThat(in.readAllBytes()).isEqualTo(fits);
    }
    try (InputStream in = store.openContent("OVER")) {
      assertThat(in.readAllBytes()).isEqualTo(over);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void threeMessages() throws IOException {
    store = open();
    for (String id : List.of("A", "B", "C")) {
      store.enqueue(message(id), new ByteArrayInputStream(content(id)));
    }
    store.close();
    store = null;
    assertThat(segmentFiles()).containsExactly(Journal.name(1));
  }

  private FileQueueStore open() throws IOException {
    return FileQueueStore.builder().directory(dir).open();
  }

  private FileQueueStore smallSegments() throws IOException {
    return FileQueueStore.builder().directory(dir).journalSegmentSize(4096).open();
  }

  /** The ids whose message records are in segment {@code seq}, in order. */
  private List<String> idsIn(long seq) throws IOException {
    String all = new String(Files.readAllBytes(segment(seq)), UTF_8);
    List<String> ids = new ArrayList<>();
    for (QueuedMessage m : store.list(QueueFilter.all(T0))) {
      if (all.contains("Subject: " + m.id() + "\r\n")) {
        ids.add(m.id());
      }
    }
    return ids;
  }

  private void assertOnly(String... ids) throws IOException {
    assertThat(store.list(QueueFilter.all(T0)).stream().map(QueuedMessage::id))
        .containsExactlyInAnyOrder(ids);
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

  /** About 600 bytes: five messages to a 4 KiB segment. */
  private static byte[] content(String id) {
    return ("Subject: " + id + "\r\n\r\n" + ("body of " + id + " ").repeat(50) + "\r\n")
        .getBytes(UTF_8);
  }

  private static List<RecipientState> deferAll(QueuedMessage m) {
    return m.recipients().stream()
        .map(r -> r.after(RecipientState.Status.DEFERRED, "451 try later", "4.0.0", "local", T0))
        .toList();
  }

  private static List<RecipientState> deliverAll(QueuedMessage m) {
    return m.recipients().stream()
        .map(r -> r.after(RecipientState.Status.DELIVERED, "250 ok", "2.0.0", "local", T0))
        .toList();
  }

  private Path segment(long seq) {
    return dir.resolve("queue").resolve(Journal.name(seq));
  }

  private List<String> segmentFiles() throws IOException {
    return names(dir.resolve("queue")).stream().filter(n -> n.startsWith(Journal.PREFIX)).toList();
  }

  private List<String> corrupt() throws IOException {
    return names(dir.resolve("corrupt"));
  }

  private static List<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Where each record starts: the offsets of the record magic. */
  private static List<Long> recordStarts(Path seg) throws IOException {
    byte[] all = Files.readAllBytes(seg);
    List<Long> starts = new ArrayList<>();
    for (int i = Journal.SEGMENT_HEADER; i + 4 <= all.length; i++) {
      if (all[i] == 'M' && all[i + 1] == 'Q' && all[i + 2] == 'J' && all[i + 3] == 'R') {
        starts.add((long) i);
      }
    }
    return starts;
  }

  private static void flip(Path f, long at) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ 0x20)}), at);
    }
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
}
