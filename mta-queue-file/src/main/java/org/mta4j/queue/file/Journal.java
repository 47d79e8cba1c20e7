package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.file.FileQueueStore.Durability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared append-only log that makes group commit real: small messages, and the state changes
 * and removals of the messages in it, are records appended to one segment file, and one {@code
 * fdatasync} makes a whole batch of concurrent callers durable (as a database commits its log).
 *
 * <p>Group commit is leader/follower: a caller whose record is not on disk yet either waits for the
 * flush under way (its record is in the next one) or, if none is, becomes the leader: it takes the
 * log's end as its target, flushes once, and wakes everyone whose record lies before the target. So
 * N concurrent callers pay about one flush per flush time, not N, with no thread hand-off. In
 * {@code PER_MESSAGE} mode every caller flushes for itself; in {@code NONE} nobody does.
 *
 * <p>Segments roll over at a size limit; the store counts, per segment, the live messages whose
 * newest records it holds ({@link Segment#refs}) and deletes a sealed segment once none is left and
 * no tombstone in it still cancels a record of an older segment ({@link Segment#deps}). A segment
 * pinned by a few long-lived messages is compacted by copying them forward.
 *
 * <p>In {@code GROUP_COMMIT} mode a new segment is filled with zeros to its size limit before it is
 * used (as databases preallocate their write-ahead log): an append then overwrites zeros and does
 * not change the file's size, so the batch's fdatasync writes the data alone and not also the
 * inode. A segment is cut back to its last record when it is sealed and at a clean close; after a
 * crash, zeros after the last record are the log's end, not damage.
 */
final class Journal {
  private static final Logger log = LoggerFactory.getLogger(FileQueueStore.class);

  static final String PREFIX = "journal-";
  static final String SUFFIX = ".log";
  private static final Pattern NAME = Pattern.compile("journal-([0-9a-f]{16})\\.log");

  static final byte[] SEGMENT_MAGIC = "MTA4JQJ1".getBytes(US_ASCII);
  static final int SEGMENT_HEADER = 8 + 8; // magic, sequence number

  /** Zeros written per call when a segment is preallocated. */
  private static final int PREALLOCATE_CHUNK = 1 << 20;

  static final byte[] RECORD_MAGIC = "MQJR".getBytes(US_ASCII);
  static final byte[] RECORD_END = "MQJE".getBytes(US_ASCII);

  /** magic, type, payload length. */
  static final int RECORD_HEAD = 4 + 1 + 4;

  /** magic, type, payload length, CRC32C, end marker. */
  static final int RECORD_OVERHEAD = RECORD_HEAD + 4 + 4;

  /** No record the store writes is larger (a journal message is at most 1 MiB + 1 MiB). */
  static final int MAX_RECORD = 4 * 1024 * 1024;

  static final byte MESSAGE = 'M';
  static final byte STATE = 'S';
  static final byte REMOVED = 'D';

  /**
   * One segment file. {@code size} and {@code channel} are guarded by the journal's append lock;
   * {@code refs}, {@code liveBytes}, {@code deps} and {@code deleted} by the store's lock.
   */
  static final class Segment {
    final long seq;
    final Path path;
    FileChannel channel;
    long size;

    /** Appends whose caller has not yet counted its reference: the segment must stay. */
    final AtomicInteger pending = new AtomicInteger();

    /** Live messages whose message or newest state record is here (each counted per record). */
    int refs;

    /** Bytes of the records {@link #refs} counts. */
    long liveBytes;

    /** Older segments holding records that a removal record here cancels. */
    final Set<Segment> deps = new HashSet<>();

    boolean deleted;

    Segment(long seq, Path path) {
      this.seq = seq;
      this.path = path;
    }

    @Override
    public String toString() {
      return path.getFileName().toString();
    }
  }

  /** Where an append went: its segment, the offset of its first record, and its end in the log. */
  record Appended(Segment segment, long offset, long lsn) {}

  private final Path queueDir;
  private final Durability mode;
  private final long windowNanos;
  private final long segmentSize;
  private final DiskFaults faults;
  private final LongAdder syncs = new LongAdder();

  /** Every segment not deleted, oldest first (the active one last). */
  private final List<Segment> segments = new CopyOnWriteArrayList<>();

  private final ReentrantLock appendLock = new ReentrantLock();
  private volatile Segment active; // written under appendLock
  private long nextSeq;
  private long written; // log sequence number: bytes appended since open
  private final List<Segment> sealedUnsynced = new ArrayList<>();
  private volatile boolean rolled;

  private final ReentrantLock syncLock = new ReentrantLock();
  private final Condition synced = syncLock.newCondition();
  private long syncedLsn;
  private boolean syncing;
  private int waiting;
  private volatile IOException broken;

  Journal(
      Path queueDir,
      Durability mode,
      Duration window,
      long segmentSize,
      DiskFaults faults,
      List<Segment> existing,
      long nextSeq) {
    this.queueDir = queueDir;
    this.mode = mode;
    this.windowNanos = window.toNanos();
    this.segmentSize = segmentSize;
    this.faults = faults;
    this.segments.addAll(existing);
    this.nextSeq = nextSeq;
  }

  // ---------------------------------------------------------------------------------------------
  // records

  /** A record: magic, type, payload length, payload, CRC32C of type + length + payload, end. */
  static byte[] record(byte type, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(RECORD_OVERHEAD + payload.length);
    b.put(RECORD_MAGIC).put(type).putInt(payload.length).put(payload);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 4, 1 + 4 + payload.length);
    b.putInt((int) crc.getValue()).put(RECORD_END);
    return b.array();
  }

  /**
   * A whole message record, built in one array: its payload is the envelope length, the envelope,
   * the content's CRC32C and the content.
   */
  static byte[] messageRecord(byte[] envelope, byte[] content, int contentLength, int contentCrc) {
    int payload = 4 + envelope.length + 4 + contentLength;
    ByteBuffer b = ByteBuffer.allocate(RECORD_OVERHEAD + payload);
    b.put(RECORD_MAGIC).put(MESSAGE).putInt(payload);
    b.putInt(envelope.length).put(envelope).putInt(contentCrc).put(content, 0, contentLength);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 4, 1 + 4 + payload);
    b.putInt((int) crc.getValue()).put(RECORD_END);
    return b.array();
  }

  /** Where the content of a message record written at {@code recordOffset} starts. */
  static long contentOffset(long recordOffset, int envelopeLength) {
    return recordOffset + RECORD_HEAD + 4 + envelopeLength + 4;
  }

  /** A state or removal record's payload: the id, then (for a state) the state record. */
  static byte[] idPayload(String id, byte[] rest) {
    byte[] utf8 = id.getBytes(UTF_8);
    return ByteBuffer.allocate(4 + utf8.length + rest.length)
        .putInt(utf8.length)
        .put(utf8)
        .put(rest)
        .array();
  }

  // ---------------------------------------------------------------------------------------------
  // writing

  /**
   * Appends one or more whole records to the active segment (creating or rolling it over as
   * needed). Does not flush: call {@link #awaitDurable}. The caller must decrement the segment's
   * {@link Segment#pending} once it has counted its reference. A failed write is cut off again, so
   * the log stays a sequence of whole records.
   */
  Appended append(byte[] records) throws IOException {
    appendLock.lock();
    try {
      checkUsable();
      Segment s = active;
      if (s == null || (s.size > SEGMENT_HEADER && s.size + records.length > segmentSize)) {
        s = roll();
      }
      long at = s.size;
      ByteBuffer b = ByteBuffer.wrap(records);
      try {
        faults.beforeWrite(s.path);
        while (b.hasRemaining()) {
          s.channel.write(b, at + b.position());
        }
      } catch (IOException e) {
        try {
          s.channel.truncate(at);
        } catch (IOException t) {
          e.addSuppressed(t);
          broken = new IOException("could not cut off a failed write in " + s.path + ": " + t, t);
        }
        throw e;
      }
      s.size = at + records.length;
      written += records.length;
      s.pending.incrementAndGet();
      return new Appended(s, at, written);
    } finally {
      appendLock.unlock();
    }
  }

  /** The end of the log so far: awaiting it makes everything appended before durable. */
  long written() {
    appendLock.lock();
    try {
      return written;
    } finally {
      appendLock.unlock();
    }
  }

  /** The segment appends go to now, or null before the first append of this run. */
  Segment active() {
    return active;
  }

  /** Whether a segment was sealed since the last call: a time to look for space to reclaim. */
  boolean takeRolled() {
    boolean r = rolled;
    rolled = false;
    return r;
  }

  /** Every segment not deleted, oldest first. */
  List<Segment> segments() {
    return segments;
  }

  /** Creates the next segment (header fsynced, directory fsynced) and makes it the active one. */
  private Segment roll() throws IOException {
    Segment next = new Segment(nextSeq, queueDir.resolve(name(nextSeq)));
    FileChannel ch =
        FileChannel.open(next.path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER).put(SEGMENT_MAGIC).putLong(nextSeq);
      header.flip();
      faults.beforeWrite(next.path);
      while (header.hasRemaining()) {
        ch.write(header, header.position());
      }
      if (mode == Durability.GROUP_COMMIT) {
        preallocate(ch, next.path);
      }
      if (mode != Durability.NONE) {
        ch.force(false);
        Recovery.syncDirectory(queueDir);
      }
    } catch (IOException | RuntimeException e) {
      try {
        ch.close();
        Files.deleteIfExists(next.path);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    nextSeq++;
    next.channel = ch;
    next.size = SEGMENT_HEADER;
    Segment old = active;
    if (old != null) {
      sealedUnsynced.add(old); // the next flush forces and closes it
    }
    segments.add(next);
    active = next;
    rolled = true;
    return next;
  }

  /** Fills a new segment with zeros from its header to the size limit. */
  private void preallocate(FileChannel ch, Path path) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(PREALLOCATE_CHUNK, segmentSize));
    for (long at = SEGMENT_HEADER; at < segmentSize; ) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), segmentSize - at));
      faults.beforeWrite(path);
      while (zeros.hasRemaining()) {
        at += ch.write(zeros, at);
      }
    }
  }

  static String name(long seq) {
    return PREFIX + String.format("%016x", seq) + SUFFIX;
  }

  /**
   * Returns once the log is on stable storage up to {@code lsn} (an {@link Appended#lsn()}). {@code
   * GROUP_COMMIT}: shares a flush with every caller waiting at the time; {@code PER_MESSAGE}: a
   * flush of its own; {@code NONE}: at once.
   *
   * @throws IOException the flush failed. The journal is then unusable until the store is reopened:
   *     after a failed fsync nobody knows what is on disk (PostgreSQL stops for the same reason),
   *     so every later write fails instead of acknowledging on top of it.
   */
  void awaitDurable(long lsn) throws IOException {
    if (mode == Durability.NONE) {
      checkUsable();
      return;
    }
    boolean interrupted = false;
    syncLock.lock();
    try {
      waiting++;
      try {
        while (mode == Durability.PER_MESSAGE || syncedLsn < lsn) {
          checkUsable();
          if (syncing) {
            try {
              synced.await();
            } catch (InterruptedException e) {
              interrupted = true; // the 250 must not go out before the flush: wait on
            }
            continue;
          }
          lead();
          if (mode == Durability.PER_MESSAGE) {
            checkUsable();
            break;
          }
        }
      } finally {
        waiting--;
      }
    } finally {
      syncLock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Called with syncLock held; returns with it held, after one flush. */
  private void lead() {
    syncing = true;
    waiting--;
    syncLock.unlock();
    long target = 0;
    IOException failure = null;
    try {
      if (windowNanos > 0 && mode == Durability.GROUP_COMMIT) {
        long deadline = System.nanoTime() + windowNanos; // let the batch gather
        for (long left = windowNanos; left > 0; left = deadline - System.nanoTime()) {
          LockSupport.parkNanos(left);
        }
      }
      List<Segment> sealed;
      Segment current;
      appendLock.lock();
      try {
        target = written;
        sealed = new ArrayList<>(sealedUnsynced);
        sealedUnsynced.clear();
        current = active;
      } finally {
        appendLock.unlock();
      }
      for (Segment s : sealed) {
        faults.beforeJournalSync();
        s.channel.truncate(s.size); // its unused preallocated zeros
        s.channel.force(false);
        s.channel.close(); // sealed: nothing is written to it any more
      }
      if (current != null) {
        faults.beforeJournalSync();
        current.channel.force(false);
      }
      syncs.increment();
    } catch (IOException e) {
      failure = e;
    } catch (RuntimeException | Error e) {
      failure = new IOException(e.toString(), e);
    } finally {
      syncLock.lock();
      waiting++;
      syncing = false;
      if (failure != null) {
        broken = failure;
      } else if (target > syncedLsn) {
        syncedLsn = target;
      }
      synced.signalAll();
    }
  }

  private void checkUsable() throws IOException {
    IOException b = broken;
    if (b != null) {
      throw new IOException(
          "the journal is unusable until the store is reopened: an earlier flush failed: "
              + b.getMessage(),
          b);
    }
  }

  /** Flushes done so far (one per batch in group commit). */
  long syncs() {
    return syncs.sum();
  }

  /** Callers waiting for a flush (the leader not counted). */
  int waiting() {
    syncLock.lock();
    try {
      return waiting;
    } finally {
      syncLock.unlock();
    }
  }

  /** Flushes what is appended and closes the segment files. */
  void close() throws IOException {
    IOException failure = null;
    if (broken == null) {
      try {
        awaitDurable(written());
      } catch (IOException e) {
        failure = e;
      }
    }
    appendLock.lock();
    try {
      Segment last = active;
      if (failure == null
          && broken == null
          && mode == Durability.GROUP_COMMIT
          && last != null
          && last.channel.isOpen()) {
        try {
          last.channel.truncate(last.size); // its unused preallocated zeros
          last.channel.force(false);
        } catch (IOException e) {
          failure = e;
        }
      }
      for (Segment s : segments) {
        if (s.channel != null && s.channel.isOpen()) {
          s.channel.close();
        }
      }
    } finally {
      appendLock.unlock();
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Deletes a segment's file; the caller fsyncs the directory. */
  void delete(Segment s) throws IOException {
    appendLock.lock();
    try {
      if (s == active) {
        throw new IllegalStateException("the active segment cannot be deleted: " + s);
      }
      if (s.channel != null && s.channel.isOpen() && !sealedUnsynced.contains(s)) {
        s.channel.close();
      }
    } finally {
      appendLock.unlock();
    }
    Files.deleteIfExists(s.path);
    segments.remove(s);
  }

  /** Reads one whole record (for copying it forward) and checks it. */
  static byte[] readRecord(Path file, long offset, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Parsed p = parse(ch, offset, ch.size());
      if (p == null || p.length() != length) {
        throw new CorruptFileException(
            "no intact record of " + length + " bytes at " + offset + " in " + file.getFileName());
      }
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          throw new CorruptFileException("ends early");
        }
      }
      return b.array();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // recovery

  /** A message found in the log, with its newest state. */
  static final class Found {
    final NewMessage envelope;
    QueueFiles.ContentExtent content;
    Segment segment;
    long recordOffset;
    int recordLength;
    final List<Segment> messageSegments = new ArrayList<>(1);
    Records.State state;
    Segment stateSegment;
    int stateLength;

    Found(NewMessage envelope) {
      this.envelope = envelope;
    }
  }

  /** What replay found: messages in log order, segments, and what it cleaned up. */
  record Replayed(
      Map<String, Found> messages,
      List<Segment> segments,
      long nextSeq,
      int tornTails,
      int damagedRegions,
      int records) {}

  /**
   * Reads every segment in order and rebuilds the live messages. A torn tail (a record cut short,
   * failing its CRC32C or lacking its end marker, with nothing intact after it) was never
   * acknowledged: it is cut off with an INFO line. Damage followed by intact records is copied to
   * {@code corrupt/} with a WARN line and skipped; the records after it are kept.
   */
  static Replayed replay(Path queueDir, Path corruptDir) throws IOException {
    TreeMap<Long, Path> files = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(queueDir, PREFIX + "*" + SUFFIX)) {
      for (Path p : ds) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (m.matches() && Files.isRegularFile(p)) {
          files.put(Long.parseUnsignedLong(m.group(1), 16), p);
        }
      }
    }
    Map<String, Found> live = new LinkedHashMap<>();
    List<Segment> segments = new ArrayList<>();
    int torn = 0;
    int damaged = 0;
    int records = 0;
    boolean corruptTouched = false;
    for (var f : files.entrySet()) {
      Segment seg = new Segment(f.getKey(), f.getValue());
      try (FileChannel ch =
          FileChannel.open(seg.path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        long size = ch.size();
        if (size < SEGMENT_HEADER) {
          log.info(
              "file queue {}: deleting {}, a segment whose creation did not complete (never"
                  + " acknowledged)",
              queueDir,
              seg);
          ch.close();
          Files.delete(seg.path);
          torn++;
          continue;
        }
        ByteBuffer head = readFully(ch, 0, SEGMENT_HEADER);
        byte[] magic = new byte[8];
        head.get(0, magic);
        if (!Arrays.equals(magic, SEGMENT_MAGIC) || head.getLong(8) != seg.seq) {
          log.warn(
              "file queue {}: {} is not a journal segment (bad header); moved to {}",
              queueDir,
              seg,
              corruptDir);
          ch.close();
          moveAside(seg.path, corruptDir);
          damaged++;
          corruptTouched = true;
          continue;
        }
        long pos = SEGMENT_HEADER;
        while (pos < size) {
          Parsed p = parse(ch, pos, size);
          String problem = p == null ? "no intact record" : apply(p, seg, pos, live);
          if (problem == null) {
            records++;
            pos += p.length();
            continue;
          }
          if (p == null && allZero(ch, pos, size)) {
            // the preallocated rest of the segment a crash left behind: the log ends here
            log.debug(
                "file queue {}: {} ends at byte {}; cutting off its zeros", queueDir, seg, pos);
            ch.truncate(pos);
            ch.force(false);
            size = pos;
            break;
          }
          long next = p == null ? resync(ch, pos + 1, size) : pos + p.length();
          if (next < 0) {
            log.info(
                "file queue {}: cutting off the torn tail of {} at byte {} ({} bytes, {}): a"
                    + " write that never completed, so never acknowledged",
                queueDir,
                seg,
                pos,
                size - pos,
                problem);
            ch.truncate(pos);
            ch.force(false);
            size = pos;
            torn++;
            break;
          }
          Path copy = corruptDir.resolve(seg.path.getFileName() + ".at-" + pos);
          copyRange(ch, pos, next - pos, copy);
          log.warn(
              "file queue {}: {} is damaged at bytes {} to {} ({}); copied them to {} and kept"
                  + " the records after them",
              queueDir,
              seg,
              pos,
              next,
              problem,
              copy);
          damaged++;
          corruptTouched = true;
          pos = next;
        }
        seg.size = size;
      }
      segments.add(seg);
    }
    if (torn + damaged > 0) {
      Recovery.syncDirectory(queueDir);
      if (corruptTouched) {
        Recovery.syncDirectory(corruptDir);
      }
    }
    long nextSeq = files.isEmpty() ? 1 : files.lastKey() + 1;
    return new Replayed(live, segments, nextSeq, torn, damaged, records);
  }

  /** A record that passed its checks: type, payload, total length. */
  private record Parsed(byte type, byte[] payload, int length) {}

  /** The record at {@code pos} if it is whole and intact, else null. */
  private static Parsed parse(FileChannel ch, long pos, long size) throws IOException {
    if (size - pos < RECORD_OVERHEAD) {
      return null;
    }
    ByteBuffer head = readFully(ch, pos, RECORD_HEAD);
    byte[] magic = new byte[4];
    head.get(0, magic);
    byte type = head.get(4);
    int length = head.getInt(5);
    if (!Arrays.equals(magic, RECORD_MAGIC)
        || (type != MESSAGE && type != STATE && type != REMOVED)
        || length < 0
        || length > MAX_RECORD
        || RECORD_OVERHEAD + (long) length > size - pos) {
      return null;
    }
    ByteBuffer body = readFully(ch, pos + RECORD_HEAD, length + 8);
    CRC32C crc = new CRC32C();
    crc.update(head.array(), 4, 5);
    crc.update(body.array(), 0, length);
    byte[] end = new byte[4];
    body.get(length + 4, end);
    if ((int) crc.getValue() != body.getInt(length) || !Arrays.equals(end, RECORD_END)) {
      return null;
    }
    return new Parsed(type, Arrays.copyOf(body.array(), length), RECORD_OVERHEAD + length);
  }

  /** Whether every byte from {@code from} to {@code size} is zero. */
  private static boolean allZero(FileChannel ch, long from, long size) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(QueueFiles.BUFFER_SIZE);
    byte[] zeros = new byte[buf.capacity()];
    for (long base = from; base < size; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), size - base));
      int n = ch.read(buf, base);
      if (n < 0) {
        return true;
      }
      if (Arrays.mismatch(buf.array(), 0, n, zeros, 0, n) >= 0) {
        return false;
      }
      base += n;
    }
    return true;
  }

  /** The offset of the next intact record at or after {@code from}, or -1. */
  private static long resync(FileChannel ch, long from, long size) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(QueueFiles.BUFFER_SIZE);
    long base = from;
    while (base < size) {
      buf.clear().limit((int) Math.min(buf.capacity(), size - base));
      int n = 0;
      while (buf.hasRemaining()) {
        int r = ch.read(buf, base + buf.position());
        if (r < 0) {
          break;
        }
        n += r;
      }
      byte[] a = buf.array();
      for (int i = 0; i + RECORD_MAGIC.length <= n; i++) {
        if (a[i] == RECORD_MAGIC[0]
            && a[i + 1] == RECORD_MAGIC[1]
            && a[i + 2] == RECORD_MAGIC[2]
            && a[i + 3] == RECORD_MAGIC[3]
            && parse(ch, base + i, size) != null) {
          return base + i;
        }
      }
      if (n < RECORD_MAGIC.length) {
        break;
      }
      base += n - (RECORD_MAGIC.length - 1);
    }
    return -1;
  }

  /** Applies an intact record; returns why it cannot be used, or null. */
  private static String apply(Parsed p, Segment seg, long pos, Map<String, Found> live) {
    try {
      ByteBuffer b = ByteBuffer.wrap(p.payload());
      switch (p.type()) {
        case MESSAGE -> {
          int envelopeLength = b.getInt();
          if (envelopeLength < 0 || 4 + (long) envelopeLength + 4 > p.payload().length) {
            return "message record with an envelope length of " + envelopeLength;
          }
          byte[] envelope = new byte[envelopeLength];
          b.get(envelope);
          int contentCrc = b.getInt();
          int contentLength = b.remaining();
          CRC32C crc = new CRC32C();
          crc.update(p.payload(), b.position(), contentLength);
          if ((int) crc.getValue() != contentCrc) {
            return "message content fails its CRC32C";
          }
          NewMessage m = Records.parseEnvelope(envelope);
          Found f = live.get(m.id());
          if (f == null) {
            f = new Found(m);
            live.put(m.id(), f);
          } // else: a copy made by compaction; the state found so far stays
          f.content =
              new QueueFiles.ContentExtent(
                  contentOffset(pos, envelopeLength), contentLength, contentCrc);
          f.segment = seg;
          f.recordOffset = pos;
          f.recordLength = p.length();
          if (!f.messageSegments.contains(seg)) {
            f.messageSegments.add(seg);
          }
        }
        case STATE -> {
          String id = readId(b);
          Found f = live.get(id);
          if (f != null) { // else: a message removed since
            byte[] state = new byte[b.remaining()];
            b.get(state);
            f.state = Records.parseState(state, f.envelope);
            f.stateSegment = seg;
            f.stateLength = p.length();
          }
        }
        case REMOVED -> {
          String id = readId(b);
          Found f = live.remove(id);
          if (f != null) {
            for (Segment s : f.messageSegments) {
              if (s != seg) {
                seg.deps.add(s);
              }
            }
          }
        }
        default -> {
          return "unknown record type " + p.type();
        }
      }
      return null;
    } catch (CorruptFileException e) {
      return e.getMessage();
    } catch (RuntimeException e) {
      return "record does not parse: " + e;
    }
  }

  private static String readId(ByteBuffer b) throws CorruptFileException {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw new CorruptFileException("id length " + n);
    }
    byte[] utf8 = new byte[n];
    b.get(utf8);
    return new String(utf8, UTF_8);
  }

  private static ByteBuffer readFully(FileChannel ch, long position, int length)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) {
        throw new CorruptFileException("ends early, at " + (position + b.position()));
      }
    }
    return b.flip();
  }

  private static void copyRange(FileChannel ch, long from, long count, Path target)
      throws IOException {
    Path t = target;
    for (int n = 1; Files.exists(t); n++) {
      t = target.resolveSibling(target.getFileName() + "." + n);
    }
    try (FileChannel out =
        FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long done = 0;
      while (done < count) {
        done += ch.transferTo(from + done, count - done, out);
      }
      out.force(false);
    }
  }

  private static void moveAside(Path file, Path corruptDir) throws IOException {
    String name = file.getFileName().toString();
    Path target = corruptDir.resolve(name);
    for (int n = 1; Files.exists(target); n++) {
      target = corruptDir.resolve(name + "." + n);
    }
    Files.move(file, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
