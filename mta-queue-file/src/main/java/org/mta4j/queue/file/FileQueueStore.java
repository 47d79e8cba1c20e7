package org.mta4j.queue.file;

import static org.mta4j.queue.file.QueueFiles.MESSAGE_SUFFIX;
import static org.mta4j.queue.file.QueueFiles.STATE_SUFFIX;
import static org.mta4j.queue.file.QueueFiles.TEMP_SUFFIX;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.smtp.MailParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link QueueStore} in a directory: the embedded default for one node, with no database.
 * A message is on stable storage before {@link #enqueue} returns, so before the SMTP server answers
 * {@code 250}; it survives a crash, a {@code kill -9} or a power cut.
 *
 * <pre>{@code
 * try (FileQueueStore queue = FileQueueStore.builder()
 *         .directory(Path.of("/var/spool/mta4j"))
 *         .open();
 *     Mta mta = Mta.builder().queueStore(queue) ... .build()) {
 *   mta.start();
 *   ...
 * }
 * }</pre>
 *
 * <p><b>On disk</b> (the module's README has the byte layout): under {@code GROUP_COMMIT}, a small
 * message (content up to {@link Builder#journalMessageLimit}, 64 KiB) is a record appended to a
 * shared journal, and so are its state changes and its removal; each record has a length, a CRC32C
 * and an end marker. A larger message, and every message in the other modes, is a message file
 * written once (the envelope and the content, each with a CRC32C, and an end marker) and, once the
 * message has been tried, held or rescheduled, a small state file that is replaced whole, each
 * written under a temporary name, fsynced, renamed into place, and the directory fsynced before the
 * call returns. At {@link Builder#open() open} the store rebuilds its index: a torn journal tail
 * and incomplete file writes are discarded (never acknowledged), damage is moved or copied to
 * {@code corrupt/} with a WARN line, and the leases of a crashed run are gone (leases live in
 * memory only), so what was being delivered is delivered again: at-least-once, never lost.
 *
 * <p><b>Durability</b> ({@link Durability}): {@code GROUP_COMMIT} (the default) lets concurrent
 * callers share one journal flush per batch, so many SMTP sessions get a durable {@code 250}
 * without paying one disk flush each; {@code PER_MESSAGE} gives every call a file and a flush of
 * its own; {@code NONE} is for tests only and loses mail on a power cut.
 *
 * <p><b>One owner</b>: the store takes an exclusive lock on {@code <directory>/lock}; a second
 * store on the same directory, in this JVM or in another process, fails at open with a {@link
 * QueueStoreException} naming the owner. The operating system drops the lock when the owner dies.
 *
 * <p><b>Storage errors</b> are {@link QueueStoreException}s; {@link
 * QueueStoreException#isInsufficientStorage()} is true when the disk is full or read-only, or free
 * space is below {@link Builder#minFreeSpace(long)} (the server answers {@code 452 4.3.1}). A
 * failed enqueue leaves nothing behind and never touches what is queued already.
 *
 * <p>Content is streamed to and from disk through a fixed buffer: a 50 MB message does not take 50
 * MB of heap. The index (envelopes, recipient states, due times) is in memory, as in {@code
 * MemoryQueueStore}: {@link #claimDue} costs O(k log n) for k claimed messages.
 *
 * <p>Thread-safe. The contract choices are those of every store (see {@link QueueStore}); after
 * {@link #close} every method but {@code close} throws {@link IllegalStateException}.
 */
public final class FileQueueStore implements QueueStore {
  private static final Logger log = LoggerFactory.getLogger(FileQueueStore.class);

  /** How a store makes its writes durable before it returns. */
  public enum Durability {
    /**
     * The default: durable before the call returns; concurrent callers share the flushes (one per
     * batch, as a database commits its log): small messages, their state changes and removals are
     * appended to a shared journal that one fdatasync per batch makes durable; a large message gets
     * a file of its own (its own fdatasync) and shares the directory fsync.
     */
    GROUP_COMMIT,
    /**
     * Durable before the call returns, one flush of its own per call, never shared: every message
     * is a file of its own, fdatasynced, renamed, and the directory fsynced.
     */
    PER_MESSAGE,
    /**
     * <b>Unsafe: for tests only.</b> No fsync at all: the files reach the disk when the operating
     * system gets round to it, so a power cut or kernel crash loses acknowledged mail (a process
     * crash does not). Open logs a WARN.
     */
    NONE
  }

  private static final Comparator<Entry> BY_CLAIMABLE_AT =
      Comparator.comparing((Entry e) -> e.claimableAt).thenComparing(e -> e.id);
  private static final Comparator<Entry> BY_ARRIVAL =
      Comparator.comparing((Entry e) -> e.arrivedAt).thenComparing(e -> e.id);

  /** Below this much free space a failed write is taken for a full disk. */
  private static final long FULL_DISK_FLOOR = 1024 * 1024;

  /** The largest {@link Builder#journalMessageLimit}; envelopes larger than this get a file too. */
  static final int MAX_JOURNAL_MESSAGE = 1024 * 1024;

  private final Path directory;
  private final Path queueDir;
  private final Path corruptDir;
  private final Durability durability;
  private final long minFreeSpace;
  private final DiskFaults faults;
  private final FileStore fileStore;
  private final String fileSystemType;
  private final DirectoryLock directoryLock;
  private final FileChannel queueDirChannel;
  private final DirectorySync sync;
  private final Recovery.Report recovery;
  private final LongAdder fileSyncs = new LongAdder();
  private final Journal journal;
  private final Journal.Replayed journalRecovery;
  private final int journalMessageLimit;

  /** One thread at a time compacts and reclaims journal segments. */
  private final ReentrantLock maintenance = new ReentrantLock();

  private volatile boolean maintenanceWanted = true;

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Entry> byId = new HashMap<>();
  private final NavigableSet<Entry> claimable = new TreeSet<>(BY_CLAIMABLE_AT);
  private final NavigableSet<Entry> byArrival = new TreeSet<>(BY_ARRIVAL);

  /** Ids being enqueued right now: taken, but not durable yet. */
  private final Set<String> reserved = new HashSet<>();

  private boolean closed;

  private FileQueueStore(Builder b, DirectoryLock directoryLock) throws IOException {
    this.directory = b.directory.toRealPath();
    this.queueDir = directory.resolve("queue");
    this.corruptDir = directory.resolve("corrupt");
    this.durability = b.durability;
    this.minFreeSpace = b.minFreeSpace;
    this.faults = b.faults;
    this.directoryLock = directoryLock;
    Files.createDirectories(queueDir);
    Files.createDirectories(corruptDir);
    if (durability != Durability.NONE) {
      Recovery.syncDirectory(directory); // queue/ and corrupt/ themselves must survive a crash
    }
    this.fileStore = Files.getFileStore(queueDir);
    this.fileSystemType = fileStore.type();
    volumeWarning(fileSystemType)
        .ifPresent(w -> log.warn("*** file queue {}: {} ***", directory, w));
    if (durability == Durability.NONE) {
      log.warn(
          "*** file queue {}: durability NONE: nothing is fsynced, a power cut loses"
              + " acknowledged mail. For tests only. ***",
          directory);
    }
    Recovery.Result recovered = Recovery.run(queueDir, corruptDir, b.verifyContentAtOpen);
    for (Recovery.Found f : recovered.found()) {
      Entry e =
          new Entry(
              f.message().envelope(),
              f.key(),
              f.message().content(),
              queueDir.resolve(f.key() + MESSAGE_SUFFIX));
      if (f.state() != null) {
        e.attempts = f.state().attempts();
        e.nextAttemptAt = f.state().nextAttemptAt();
        e.held = f.state().held();
        e.recipients = f.state().recipients();
        e.rekey();
      }
      byId.put(e.id, e);
      byArrival.add(e);
      if (!e.held) {
        claimable.add(e);
      }
    }
    this.recovery = recovered.report();
    this.journalMessageLimit = durability == Durability.GROUP_COMMIT ? b.journalMessageLimit : 0;
    Journal.Replayed replayed = Journal.replay(queueDir, corruptDir);
    this.journalRecovery = replayed;
    for (Journal.Found f : replayed.messages().values()) {
      String id = f.envelope.id();
      if (byId.containsKey(id)) {
        log.warn(
            "file queue {}: message {} is both in a message file and in the journal; keeping the"
                + " file, the journal's copy goes when its segment is reclaimed",
            directory,
            id);
        continue;
      }
      Entry e = new Entry(f.envelope, QueueFiles.key(id), f.content, f.segment.path);
      e.msgSeg = f.segment;
      e.recordOffset = f.recordOffset;
      e.recordLength = f.recordLength;
      e.msgSegs.addAll(f.messageSegments);
      ref(f.segment, f.recordLength);
      if (f.state != null) {
        e.attempts = f.state.attempts();
        e.nextAttemptAt = f.state.nextAttemptAt();
        e.held = f.state.held();
        e.recipients = f.state.recipients();
        e.stateSeg = f.stateSegment;
        e.stateLength = f.stateLength;
        ref(f.stateSegment, f.stateLength);
        e.rekey();
      }
      byId.put(id, e);
      byArrival.add(e);
      if (!e.held) {
        claimable.add(e);
      }
    }
    this.journal =
        new Journal(
            queueDir,
            durability,
            b.commitWindow,
            b.journalSegmentSize,
            faults,
            replayed.segments(),
            replayed.nextSeq());
    this.queueDirChannel = FileChannel.open(queueDir, StandardOpenOption.READ);
    this.sync = new DirectorySync(queueDirChannel, durability, b.commitWindow, faults);
    Recovery.Report r = recovery;
    if (r.tempFilesDeleted() + r.corruptFilesMoved() + r.orphanStatesDeleted() == 0) {
      log.info(
          "file queue {} open ({}, {}): {} messages{}",
          directory,
          fileSystemType,
          durability,
          byId.size(),
          replayed.tornTails() + replayed.damagedRegions() == 0
              ? ""
              : "; journal: "
                  + replayed.tornTails()
                  + " torn tails cut off, "
                  + replayed.damagedRegions()
                  + " damaged regions copied to corrupt/");
    } else {
      log.info(
          "file queue {} open ({}, {}): {} messages recovered; {} incomplete writes deleted, {}"
              + " damaged files moved to corrupt/, {} interrupted removals finished; journal: {}"
              + " torn tails cut off, {} damaged regions copied to corrupt/",
          directory,
          fileSystemType,
          durability,
          byId.size(),
          r.tempFilesDeleted(),
          r.corruptFilesMoved(),
          r.orphanStatesDeleted(),
          replayed.tornTails(),
          replayed.damagedRegions());
    }
    maintain(); // segments of earlier runs that nothing needs any more
  }

  /** A builder; {@link Builder#directory(Path)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------------------------------------
  // enqueue

  @Override
  public void enqueue(NewMessage message, InputStream content) throws IOException {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(content, "content");
    String id = message.id();
    lock.lock();
    try {
      checkOpen();
      if (byId.containsKey(id) || !reserved.add(id)) {
        throw new IllegalArgumentException("queue id already in the store: " + id);
      }
    } finally {
      lock.unlock();
    }
    String key = QueueFiles.key(id);
    Path target = queueDir.resolve(key + MESSAGE_SUFFIX);
    Path temp = queueDir.resolve(key + MESSAGE_SUFFIX + TEMP_SUFFIX);
    boolean renamed = false;
    boolean stored = false;
    try {
      checkFreeSpace(id);
      byte[] envelope = Records.envelope(message);
      InputStream rest = content;
      if (journalMessageLimit > 0 && envelope.length <= MAX_JOURNAL_MESSAGE) {
        byte[] head = new byte[Math.min(journalMessageLimit, 16 * 1024)];
        int n = readUpTo(content, head, 0);
        while (n == head.length && head.length < journalMessageLimit) {
          head = Arrays.copyOf(head, Math.min(journalMessageLimit, 2 * head.length));
          n += readUpTo(content, head, n);
        }
        int next = n < head.length ? -1 : readByte(content);
        if (next < 0) {
          enqueueInJournal(message, key, envelope, head, n);
          stored = true;
          return;
        }
        rest =
            new SequenceInputStream(
                new SequenceInputStream(
                    new ByteArrayInputStream(head, 0, n),
                    new ByteArrayInputStream(new byte[] {(byte) next})),
                content);
      }
      QueueFiles.ContentExtent extent;
      try (FileChannel ch =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        extent = QueueFiles.writeMessage(ch, temp, envelope, rest, faults);
        force(ch);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      renamed = true;
      sync.awaitDurable();
      Entry e = new Entry(message, key, extent, target);
      lock.lock();
      try {
        byId.put(id, e);
        byArrival.add(e);
        claimable.add(e);
      } finally {
        lock.unlock();
      }
      stored = true;
    } catch (QueueFiles.ContentSourceException e) {
      throw (IOException) e.getCause(); // the client's stream failed, not the disk
    } catch (IOException e) {
      throw storageFailure("storing message " + id, e);
    } finally {
      if (!stored) {
        deleteQuietly(temp);
        if (renamed) {
          deleteQuietly(target);
        }
      }
      lock.lock();
      try {
        reserved.remove(id);
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * A small message: one record appended to the journal, made durable by the batch's flush, which
   * it shares with every caller waiting at the time.
   */
  private void enqueueInJournal(
      NewMessage message, String key, byte[] envelope, byte[] content, int length)
      throws IOException {
    CRC32C crc = new CRC32C();
    crc.update(content, 0, length);
    int contentCrc = (int) crc.getValue();
    byte[] record = Journal.messageRecord(envelope, content, length, contentCrc);
    Journal.Appended a = journal.append(record);
    boolean durable = false;
    try {
      journal.awaitDurable(a.lsn());
      durable = true;
    } finally {
      lock.lock();
      try {
        if (durable) {
          QueueFiles.ContentExtent extent =
              new QueueFiles.ContentExtent(
                  Journal.contentOffset(a.offset(), envelope.length), length, contentCrc);
          Entry e = new Entry(message, key, extent, a.segment().path);
          e.msgSeg = a.segment();
          e.recordOffset = a.offset();
          e.recordLength = record.length;
          e.msgSegs.add(a.segment());
          ref(a.segment(), record.length);
          byId.put(e.id, e);
          byArrival.add(e);
          claimable.add(e);
        }
        a.segment().pending.decrementAndGet();
      } finally {
        lock.unlock();
      }
    }
  }

  private static int readByte(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (IOException e) {
      throw new QueueFiles.ContentSourceException(e);
    }
  }

  /**
   * Reads {@code in} into {@code buf} from {@code from} on, until it is full or the stream ends;
   * returns the bytes read.
   */
  private static int readUpTo(InputStream in, byte[] buf, int from) throws IOException {
    int n = from;
    try {
      while (n < buf.length) {
        int r = in.read(buf, n, buf.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
    } catch (IOException e) {
      throw new QueueFiles.ContentSourceException(e);
    }
    return n - from;
  }

  // ---------------------------------------------------------------------------------------------
  // claim and record

  @Override
  public List<QueuedMessage> claimDue(Instant now, int max, String owner, Duration lease) {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(lease, "lease");
    if (max <= 0) {
      throw new IllegalArgumentException("max must be > 0: " + max);
    }
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be > 0: " + lease);
    }
    Instant expiry = now.plus(lease);
    lock.lock();
    try {
      checkOpen();
      List<Entry> due = new ArrayList<>(Math.min(max, claimable.size()));
      for (Entry e : claimable) {
        if (due.size() == max || e.claimableAt.isAfter(now)) {
          break;
        }
        if (!e.busy) { // a busy one is being updated: its outcome comes first
          due.add(e);
        }
      }
      List<QueuedMessage> claimed = new ArrayList<>(due.size());
      for (Entry e : due) {
        claimable.remove(e);
        e.leaseOwner = owner; // leases are not written: a crash releases them
        e.leaseExpiry = expiry;
        e.rekey();
        claimable.add(e);
        claimed.add(e.snapshot());
      }
      return claimed;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<Instant> nextDue() {
    lock.lock();
    try {
      checkOpen();
      return claimable.isEmpty() ? Optional.empty() : Optional.of(claimable.first().claimableAt);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public InputStream openContent(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    for (int tries = 0; ; tries++) {
      Path file;
      QueueFiles.ContentExtent extent;
      lock.lock();
      try {
        checkOpen();
        Entry e = byId.get(id);
        if (e == null) {
          throw new NoSuchFileException(id, null, "no such message in the file queue");
        }
        file = e.file;
        extent = e.content;
      } finally {
        lock.unlock();
      }
      FileChannel ch;
      try {
        ch = FileChannel.open(file, StandardOpenOption.READ);
      } catch (NoSuchFileException gone) {
        if (tries < 3) {
          continue; // compaction moved it and reclaimed its old segment: look it up again
        }
        throw new NoSuchFileException(id, null, "removed from the file queue");
      }
      return new BufferedInputStream(new ContentStream(ch, id, extent));
    }
  }

  @Override
  public boolean recordAttempt(
      String id, String owner, List<RecipientState> recipients, Instant nextAttempt)
      throws IOException {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(owner, "owner");
    List<RecipientState> states = List.copyOf(recipients);
    boolean allFinal = states.stream().allMatch(r -> r.status().isFinal());
    if (!allFinal) {
      Objects.requireNonNull(nextAttempt, "nextAttempt (recipients remain to be tried)");
    }
    Entry e = find(id);
    if (e == null) {
      return false;
    }
    e.io.lock();
    try {
      Records.State next;
      lock.lock();
      try {
        checkOpen();
        if (byId.get(id) != e || !owner.equals(e.leaseOwner)) {
          return false;
        }
        checkSameRecipients(e, states);
        next = new Records.State(e.attempts + 1, nextAttempt, e.held, states);
        e.busy = true; // no claim until this outcome is in: it is still the owner's
      } finally {
        lock.unlock();
      }
      try {
        if (allFinal) {
          removeFiles(e, "removing delivered message " + id);
          return true;
        }
        writeState(e, next, true);
        lock.lock();
        try {
          boolean wasClaimable = claimable.remove(e);
          e.recipients = states;
          e.attempts = next.attempts();
          e.nextAttemptAt = nextAttempt;
          e.leaseOwner = null;
          e.leaseExpiry = null;
          e.rekey();
          if (wasClaimable) {
            claimable.add(e);
          }
        } finally {
          lock.unlock();
        }
        return true;
      } finally {
        lock.lock();
        try {
          e.busy = false;
        } finally {
          lock.unlock();
        }
      }
    } finally {
      e.io.unlock();
      maintain();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // admin

  @Override
  public List<QueuedMessage> list(QueueFilter filter) {
    Objects.requireNonNull(filter, "filter");
    lock.lock();
    try {
      checkOpen();
      List<QueuedMessage> result = new ArrayList<>();
      for (Entry e : byArrival) {
        QueuedMessage m = e.snapshot();
        if (filter.matches(m)) {
          result.add(m);
          if (result.size() == filter.limit()) {
            break;
          }
        }
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<QueuedMessage> show(String id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      checkOpen();
      return Optional.ofNullable(byId.get(id)).map(Entry::snapshot);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean hold(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    Entry e = find(id);
    if (e == null) {
      return false;
    }
    e.io.lock();
    try {
      Records.State next;
      lock.lock();
      try {
        checkOpen();
        if (byId.get(id) != e) {
          return false;
        }
        if (e.held) {
          return true;
        }
        next = new Records.State(e.attempts, e.nextAttemptAt, true, e.recipients);
      } finally {
        lock.unlock();
      }
      writeState(e, next, true);
      lock.lock();
      try {
        claimable.remove(e);
        e.held = true; // a lease in force stays: its owner can still record the attempt
      } finally {
        lock.unlock();
      }
      return true;
    } finally {
      e.io.unlock();
      maintain();
    }
  }

  @Override
  public boolean release(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    Entry e = find(id);
    if (e == null) {
      return false;
    }
    e.io.lock();
    try {
      Records.State next;
      lock.lock();
      try {
        checkOpen();
        if (byId.get(id) != e || !e.held) {
          return false;
        }
        next = new Records.State(e.attempts, e.arrivedAt, false, e.recipients);
      } finally {
        lock.unlock();
      }
      writeState(e, next, true);
      lock.lock();
      try {
        e.held = false;
        e.nextAttemptAt = e.arrivedAt;
        e.rekey();
        claimable.add(e);
      } finally {
        lock.unlock();
      }
      return true;
    } finally {
      e.io.unlock();
      maintain();
    }
  }

  @Override
  public boolean delete(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    Entry e = find(id);
    if (e == null) {
      return false;
    }
    e.io.lock();
    try {
      lock.lock();
      try {
        checkOpen();
        if (byId.get(id) != e) {
          return false;
        }
      } finally {
        lock.unlock();
      }
      removeFiles(e, "deleting message " + id);
      return true;
    } finally {
      e.io.unlock();
      maintain();
    }
  }

  @Override
  public boolean requeue(String id, Instant now) throws IOException {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(now, "now");
    Entry e = find(id);
    if (e == null) {
      return false;
    }
    e.io.lock();
    try {
      Records.State next;
      lock.lock();
      try {
        checkOpen();
        if (byId.get(id) != e || e.held) {
          return false;
        }
        next = new Records.State(e.attempts, now, false, e.recipients);
      } finally {
        lock.unlock();
      }
      writeState(e, next, true);
      lock.lock();
      try {
        claimable.remove(e);
        e.nextAttemptAt = now;
        e.rekey();
        claimable.add(e);
      } finally {
        lock.unlock();
      }
      return true;
    } finally {
      e.io.unlock();
      maintain();
    }
  }

  @Override
  public int flush(Instant now) throws IOException {
    Objects.requireNonNull(now, "now");
    List<Entry> candidates = new ArrayList<>();
    lock.lock();
    try {
      checkOpen();
      for (Entry e : claimable) { // held messages are not in it
        if (isDeferredAt(e, now)) {
          candidates.add(e);
        }
      }
    } finally {
      lock.unlock();
    }
    int flushed = 0;
    long journalLsn = 0;
    boolean anyFile = false;
    for (Entry e : candidates) {
      e.io.lock();
      try {
        Records.State next;
        lock.lock();
        try {
          checkOpen();
          if (byId.get(e.id) != e || e.held || !isDeferredAt(e, now)) {
            continue;
          }
          next = new Records.State(e.attempts, now, false, e.recipients);
        } finally {
          lock.unlock();
        }
        long lsn = writeState(e, next, false); // one fsync for all of them, below
        if (lsn > 0) {
          journalLsn = Math.max(journalLsn, lsn);
        } else {
          anyFile = true;
        }
        lock.lock();
        try {
          claimable.remove(e);
          e.nextAttemptAt = now;
          e.rekey();
          claimable.add(e);
        } finally {
          lock.unlock();
        }
        flushed++;
      } finally {
        e.io.unlock();
      }
    }
    if (anyFile) {
      awaitDurable("flushing the queue");
    }
    if (journalLsn > 0) {
      awaitJournal(journalLsn, "flushing the queue");
    }
    maintain();
    return flushed;
  }

  private static boolean isDeferredAt(Entry e, Instant now) {
    return e.attempts > 0 && (e.leaseExpiry == null || !e.leaseExpiry.isAfter(now));
  }

  /** How many messages are in the queue, held ones included. */
  public int size() {
    lock.lock();
    try {
      checkOpen();
      return byId.size();
    } finally {
      lock.unlock();
    }
  }

  /** The queue directory (its real path). */
  public Path directory() {
    return directory;
  }

  /**
   * Waits for writes under way, stops the committer and releases the directory lock. The data
   * stays; leases are forgotten.
   */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lock.unlock();
    }
    try {
      maintenance.lock(); // let a compaction under way finish
      try {
        sync.close();
        journal.close();
        queueDirChannel.close();
      } finally {
        maintenance.unlock();
      }
    } finally {
      directoryLock.close();
    }
  }

  @Override
  public String toString() {
    lock.lock();
    try {
      return "FileQueueStore["
          + directory
          + ", "
          + durability
          + ", "
          + byId.size()
          + " messages"
          + (closed ? ", closed]" : "]");
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // package-private, for tests

  long directorySyncs() {
    return sync.syncs();
  }

  long fileSyncs() {
    return fileSyncs.sum();
  }

  long journalSyncs() {
    return journal.syncs();
  }

  int waitingForJournal() {
    return journal.waiting();
  }

  Journal.Replayed journalRecovery() {
    return journalRecovery;
  }

  List<Journal.Segment> journalSegments() {
    return journal.segments();
  }

  int waitingForCommit() {
    return sync.waiting();
  }

  Recovery.Report recovery() {
    return recovery;
  }

  String fileSystemType() {
    return fileSystemType;
  }

  /** Why a directory on a file system of this type is a risk, if it is. */
  static Optional<String> volumeWarning(String type) {
    String t = type.toLowerCase(Locale.ROOT);
    if (t.equals("tmpfs") || t.equals("ramfs") || t.equals("devtmpfs")) {
      return Optional.of(
          "the queue is on "
              + type
              + " (memory): every queued message is LOST when the host restarts. Put the queue"
              + " on a persistent disk");
    }
    if (t.equals("overlay") || t.equals("overlayfs") || t.equals("aufs")) {
      return Optional.of(
          "the queue is on "
              + type
              + ", a container's writable layer: queued mail is LOST when the container is"
              + " removed or rescheduled. Mount a persistent volume on the queue directory");
    }
    if (t.startsWith("nfs") || t.equals("cifs") || t.equals("smb3") || t.startsWith("fuse")) {
      return Optional.of(
          "the queue is on "
              + type
              + ", a network or user-space file system: its locking and fsync may not keep the"
              + " promises this queue relies on. Prefer a local disk");
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------------------------------------
  // files

  /** fdatasync: the data, and the metadata needed to read it back (size, blocks). */
  private void force(FileChannel ch) throws IOException {
    if (durability != Durability.NONE) {
      ch.force(false);
      fileSyncs.increment();
    }
  }

  /**
   * Writes the new state of {@code e}: for a message in the journal, a state record appended to it;
   * otherwise its state file replaced (temporary file, fsync, rename, and the directory). Returns
   * the journal position to await, or 0 for a state file.
   */
  private long writeState(Entry e, Records.State state, boolean awaitDurable) throws IOException {
    if (e.msgSeg != null) {
      String what = "writing the state of " + e.id;
      byte[] record =
          Journal.record(Journal.STATE, Journal.idPayload(e.id, Records.state(e.id, state)));
      Journal.Appended a;
      try {
        a = journal.append(record);
      } catch (IOException x) {
        throw storageFailure(what, x);
      }
      lock.lock();
      try {
        if (e.stateSeg != null) {
          unref(e.stateSeg, e.stateLength);
        }
        e.stateSeg = a.segment();
        e.stateLength = record.length;
        ref(a.segment(), record.length);
        a.segment().pending.decrementAndGet();
      } finally {
        lock.unlock();
      }
      if (awaitDurable) {
        awaitJournal(a.lsn(), what);
      }
      return a.lsn();
    }
    Path target = queueDir.resolve(e.key + STATE_SUFFIX);
    Path temp = queueDir.resolve(e.key + STATE_SUFFIX + TEMP_SUFFIX);
    byte[] bytes = QueueFiles.stateFile(Records.state(e.id, state));
    try {
      try (FileChannel ch =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        QueueFiles.writeAll(ch, temp, bytes, faults);
        force(ch);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException x) {
      deleteQuietly(temp);
      throw storageFailure("writing the state of " + e.id, x);
    }
    if (awaitDurable) {
      awaitDurable("writing the state of " + e.id);
    }
    return 0;
  }

  /**
   * Removes a message: the message file first (the point of no return), then its state, then from
   * the index. A crash in between leaves an orphan state file, which open deletes.
   */
  private void removeFiles(Entry e, String what) throws IOException {
    if (e.msgSeg != null) {
      removeFromJournal(e, what);
      return;
    }
    try {
      Files.deleteIfExists(e.file);
    } catch (IOException x) {
      throw storageFailure(what, x);
    }
    lock.lock();
    try {
      byId.remove(e.id);
      byArrival.remove(e);
      claimable.remove(e);
    } finally {
      lock.unlock();
    }
    try {
      Files.deleteIfExists(queueDir.resolve(e.key + STATE_SUFFIX));
    } catch (IOException x) {
      log.warn("file queue {}: {}: state file left behind: {}", directory, what, x.toString());
    }
    awaitDurable(what);
  }

  /**
   * Removes a message in the journal: a removal record (which cancels its records in older
   * segments), then out of the index; its segments are reclaimed once nothing else needs them.
   */
  private void removeFromJournal(Entry e, String what) throws IOException {
    byte[] record = Journal.record(Journal.REMOVED, Journal.idPayload(e.id, new byte[0]));
    Journal.Appended a;
    try {
      a = journal.append(record);
    } catch (IOException x) {
      throw storageFailure(what, x);
    }
    lock.lock();
    try {
      byId.remove(e.id);
      byArrival.remove(e);
      claimable.remove(e);
      unref(e.msgSeg, e.recordLength);
      if (e.stateSeg != null) {
        unref(e.stateSeg, e.stateLength);
      }
      for (Journal.Segment s : e.msgSegs) {
        if (s != a.segment() && !s.deleted) {
          a.segment().deps.add(s); // this record must outlive every copy of the message
        }
      }
      a.segment().pending.decrementAndGet();
    } finally {
      lock.unlock();
    }
    awaitJournal(a.lsn(), what);
  }

  private void awaitJournal(long lsn, String what) throws IOException {
    try {
      journal.awaitDurable(lsn);
    } catch (IOException x) {
      throw storageFailure(what, x);
    }
  }

  /** Counts a live record in a segment; call with the lock held. */
  private static void ref(Journal.Segment s, int bytes) {
    s.refs++;
    s.liveBytes += bytes;
  }

  /** Forgets a live record; call with the lock held. */
  private void unref(Journal.Segment s, int bytes) {
    s.refs--;
    s.liveBytes -= bytes;
    if (s != journal.active() && (s.refs == 0 || isMostlyDead(s))) {
      maintenanceWanted = true;
    }
  }

  /** A sealed segment whose live records fill less than a quarter of it: worth compacting. */
  private static boolean isMostlyDead(Journal.Segment s) {
    return s.liveBytes * 4 < s.size - Journal.SEGMENT_HEADER;
  }

  // ---------------------------------------------------------------------------------------------
  // journal maintenance

  /**
   * Compacts and reclaims journal segments if something changed that may allow it. Runs in the
   * caller's thread after its own work is done, one thread at a time; never throws (a failure is
   * logged and tried again later).
   */
  private void maintain() {
    if (!(maintenanceWanted || journal.takeRolled()) || !maintenance.tryLock()) {
      return;
    }
    try {
      if (closed) {
        return;
      }
      maintenanceWanted = false;
      compact();
      reclaim();
    } catch (IOException | RuntimeException x) {
      maintenanceWanted = true;
      log.warn(
          "file queue {}: reclaiming journal space failed (tried again later): {}",
          directory,
          x.toString());
    } finally {
      maintenance.unlock();
    }
  }

  /**
   * Copies the live messages of one mostly dead sealed segment (and their newest state) to the end
   * of the log, so the segment can go. A message being written right now is passed by.
   */
  private void compact() throws IOException {
    Journal.Segment victim = null;
    List<Entry> movers = new ArrayList<>();
    lock.lock();
    try {
      Journal.Segment active = journal.active();
      for (Journal.Segment s : journal.segments()) {
        if (s != active && !s.deleted && s.refs > 0 && isMostlyDead(s)) {
          victim = s;
          break;
        }
      }
      if (victim == null) {
        return;
      }
      for (Entry e : byId.values()) {
        if (e.msgSeg == victim || e.stateSeg == victim) {
          movers.add(e);
        }
      }
    } finally {
      lock.unlock();
    }
    for (Entry e : movers) {
      relocate(e, victim);
    }
  }

  private void relocate(Entry e, Journal.Segment victim) throws IOException {
    if (!e.io.tryLock()) {
      maintenanceWanted = true; // busy: next time
      return;
    }
    try {
      boolean copyMessage;
      boolean copyState;
      long recordOffset;
      int recordLength;
      Records.State state;
      lock.lock();
      try {
        if (byId.get(e.id) != e) {
          return;
        }
        copyMessage = e.msgSeg == victim;
        // a copied message takes its state along: the old state record may go before it
        copyState = e.stateSeg != null && (copyMessage || e.stateSeg == victim);
        recordOffset = e.recordOffset;
        recordLength = e.recordLength;
        state = new Records.State(e.attempts, e.nextAttemptAt, e.held, e.recipients);
      } finally {
        lock.unlock();
      }
      byte[] message =
          copyMessage ? Journal.readRecord(victim.path, recordOffset, recordLength) : new byte[0];
      byte[] stateRecord =
          copyState
              ? Journal.record(Journal.STATE, Journal.idPayload(e.id, Records.state(e.id, state)))
              : new byte[0];
      byte[] both = new byte[message.length + stateRecord.length];
      System.arraycopy(message, 0, both, 0, message.length);
      System.arraycopy(stateRecord, 0, both, message.length, stateRecord.length);
      Journal.Appended a = journal.append(both);
      lock.lock();
      try {
        if (copyMessage) {
          unref(e.msgSeg, e.recordLength);
          long moved = a.offset() - e.recordOffset;
          e.content =
              new QueueFiles.ContentExtent(
                  e.content.offset() + moved, e.content.size(), e.content.crc());
          e.msgSeg = a.segment();
          e.recordOffset = a.offset();
          e.file = a.segment().path;
          e.msgSegs.add(a.segment());
          ref(a.segment(), e.recordLength);
        }
        if (copyState) {
          unref(e.stateSeg, e.stateLength);
          e.stateSeg = a.segment();
          e.stateLength = stateRecord.length;
          ref(a.segment(), stateRecord.length);
        }
        a.segment().pending.decrementAndGet();
      } finally {
        lock.unlock();
      }
    } finally {
      e.io.unlock();
    }
  }

  /**
   * Deletes every sealed segment that no live message needs and whose removal records cancel
   * nothing that still exists; the log is flushed first, so whatever superseded their records is on
   * disk, and the directory after, so a deleted segment does not come back.
   */
  private void reclaim() throws IOException {
    while (true) {
      List<Journal.Segment> gone = new ArrayList<>();
      lock.lock();
      try {
        Journal.Segment active = journal.active();
        for (Journal.Segment s : journal.segments()) {
          s.deps.removeIf(d -> d.deleted);
          if (s != active
              && !s.deleted
              && s.refs == 0
              && s.pending.get() == 0
              && s.deps.isEmpty()) {
            gone.add(s);
          }
        }
      } finally {
        lock.unlock();
      }
      if (gone.isEmpty()) {
        return;
      }
      journal.awaitDurable(journal.written());
      for (Journal.Segment s : gone) {
        journal.delete(s);
      }
      if (durability != Durability.NONE) {
        Recovery.syncDirectory(queueDir);
      }
      lock.lock();
      try {
        for (Journal.Segment s : gone) {
          s.deleted = true;
        }
      } finally {
        lock.unlock();
      }
    }
  }

  private void awaitDurable(String what) throws IOException {
    try {
      sync.awaitDurable();
    } catch (IOException x) {
      throw storageFailure(what, x);
    }
  }

  private void checkFreeSpace(String id) throws QueueStoreException {
    if (minFreeSpace == 0) {
      return;
    }
    long usable;
    try {
      usable = fileStore.getUsableSpace();
    } catch (IOException e) {
      return; // the write itself will tell
    }
    if (usable < minFreeSpace) {
      throw new QueueStoreException(
          "file queue "
              + directory
              + ": not storing message "
              + id
              + ": "
              + usable
              + " bytes free, below minFreeSpace "
              + minFreeSpace,
          null,
          true);
    }
  }

  private QueueStoreException storageFailure(String what, IOException e) {
    if (e instanceof QueueStoreException q) {
      return q;
    }
    return new QueueStoreException(
        "file queue " + directory + ": " + what + " failed: " + e, e, isOutOfStorage(e));
  }

  /** Disk full, over quota or read-only: by the error's text, else by asking the file system. */
  private boolean isOutOfStorage(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null) {
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left")
            || lower.contains("quota exceeded")
            || lower.contains("read-only file system")) {
          return true;
        }
      }
    }
    try {
      return fileStore.isReadOnly()
          || fileStore.getUsableSpace() < Math.max(minFreeSpace, FULL_DISK_FLOOR);
    } catch (IOException | RuntimeException x) {
      return false;
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.warn("file queue: could not delete {}: {}", p, e.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // index

  private Entry find(String id) {
    lock.lock();
    try {
      checkOpen();
      return byId.get(id);
    } finally {
      lock.unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the file queue store is closed: " + directory);
    }
  }

  private static void checkSameRecipients(Entry e, List<RecipientState> states) {
    if (states.size() != e.recipients.size()) {
      throw new IllegalArgumentException(
          "message "
              + e.id
              + " has "
              + e.recipients.size()
              + " recipients, the attempt records "
              + states.size());
    }
    for (int i = 0; i < states.size(); i++) {
      if (!states.get(i).recipient().equals(e.recipients.get(i).recipient())) {
        throw new IllegalArgumentException(
            "message "
                + e.id
                + " recipient "
                + i
                + " is "
                + e.recipients.get(i).recipient().address()
                + ", the attempt records "
                + states.get(i).recipient().address());
      }
    }
  }

  /** One queued message; mutable fields guarded by the store's lock, file writes by {@link #io}. */
  private static final class Entry {
    final String id;
    final String key;
    final String reversePath;
    final MailParameters parameters;
    final Instant arrivedAt;

    /** The file its content is in: its message file, or a journal segment. */
    Path file;

    QueueFiles.ContentExtent content;

    /** In the journal: the segment and place of its message record, else null. */
    Journal.Segment msgSeg;

    long recordOffset;
    int recordLength;

    /** Every segment holding a copy of its message record (a removal must outlive them). */
    final List<Journal.Segment> msgSegs = new ArrayList<>(1);

    /** In the journal: the segment of its newest state record, null while it has none. */
    Journal.Segment stateSeg;

    int stateLength;

    /** Serializes the file writes of this message, so the last write is the last state. */
    final ReentrantLock io = new ReentrantLock();

    List<RecipientState> recipients;
    Instant nextAttemptAt;
    int attempts;
    boolean held;
    String leaseOwner;
    Instant leaseExpiry;

    /** True while an outcome is being written: claimDue passes it by. */
    boolean busy;

    /** The later of nextAttemptAt and leaseExpiry: the key in {@code claimable}. */
    Instant claimableAt;

    Entry(NewMessage m, String key, QueueFiles.ContentExtent content, Path file) {
      this.id = m.id();
      this.file = file;
      this.key = key;
      this.reversePath = m.reversePath();
      this.parameters = m.parameters();
      this.arrivedAt = m.arrivedAt();
      this.content = content;
      this.recipients = m.recipients().stream().map(RecipientState::pending).toList();
      this.nextAttemptAt = m.arrivedAt();
      rekey();
    }

    /** Call only while the entry is out of {@code claimable}. */
    void rekey() {
      claimableAt =
          leaseExpiry != null && leaseExpiry.isAfter(nextAttemptAt) ? leaseExpiry : nextAttemptAt;
    }

    QueuedMessage snapshot() {
      return new QueuedMessage(
          id,
          reversePath,
          parameters,
          recipients,
          arrivedAt,
          nextAttemptAt,
          attempts,
          content.size(),
          held,
          leaseOwner,
          leaseExpiry);
    }
  }

  /**
   * Builds a {@link FileQueueStore}. Each setter checks its value at once and names the option;
   * {@link #open()} checks them together, takes the directory and recovers what is in it.
   */
  public static final class Builder {
    private Path directory;
    private Durability durability = Durability.GROUP_COMMIT;
    private Duration commitWindow = Duration.ZERO;
    private long minFreeSpace = 64L * 1024 * 1024;
    private boolean verifyContentAtOpen = true;
    private int journalMessageLimit = 64 * 1024;
    private long journalSegmentSize = 16L * 1024 * 1024;
    private DiskFaults faults = DiskFaults.NONE;

    private Builder() {}

    /** The queue directory; created if missing. Required. Give each store its own. */
    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** How writes are made durable; default {@link Durability#GROUP_COMMIT}. */
    public Builder durability(Durability durability) {
      this.durability = Objects.requireNonNull(durability, "durability");
      return this;
    }

    /**
     * How long the committer waits, after the first caller of a batch arrives, for others to join
     * before it fsyncs; only for {@link Durability#GROUP_COMMIT}. Default zero: a batch is whoever
     * arrived while the previous fsync ran, which adds no latency. A window trades latency for
     * fewer fsyncs on disks where an fsync is cheap. At most one second.
     */
    public Builder commitWindow(Duration window) {
      Objects.requireNonNull(window, "commitWindow");
      if (window.isNegative() || window.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException("commitWindow must be between 0 and 1s: " + window);
      }
      this.commitWindow = window;
      return this;
    }

    /**
     * Enqueue refuses new mail (insufficient storage, {@code 452 4.3.1}) while the file system has
     * less than this many bytes free, so that attempts already queued can still record their
     * outcome (as Postfix's {@code queue_minfree}). Default 64 MiB; 0 turns the check off.
     */
    public Builder minFreeSpace(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("minFreeSpace must be >= 0: " + bytes);
      }
      this.minFreeSpace = bytes;
      return this;
    }

    /**
     * Whether open reads every message's content to check its CRC32C (default true). Off, open
     * checks only the lengths and end markers (fast with a large queue), and a damaged content is
     * found when it is read for delivery, which then fails and is retried.
     */
    public Builder verifyContentAtOpen(boolean verify) {
      this.verifyContentAtOpen = verify;
      return this;
    }

    /**
     * {@code GROUP_COMMIT} only: a message whose content is at most this many bytes is appended to
     * the shared journal, where concurrent enqueues share one flush; a larger one gets a message
     * file of its own, written as it streams in (so it never sits in the heap as a whole). Default
     * 64 KiB (the stream is read through a buffer of this size either way), at most 1 MiB; 0 gives
     * every message its own file.
     */
    public Builder journalMessageLimit(int bytes) {
      if (bytes < 0 || bytes > MAX_JOURNAL_MESSAGE) {
        throw new IllegalArgumentException(
            "journalMessageLimit must be between 0 and " + MAX_JOURNAL_MESSAGE + ": " + bytes);
      }
      this.journalMessageLimit = bytes;
      return this;
    }

    /**
     * The size at which a journal segment is sealed and a new one started (tests make it small).
     */
    Builder journalSegmentSize(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("journalSegmentSize must be >= 1024: " + bytes);
      }
      this.journalSegmentSize = bytes;
      return this;
    }

    /** Test seam: disk failures that cannot be caused for real without mounting a file system. */
    Builder diskFaults(DiskFaults faults) {
      this.faults = Objects.requireNonNull(faults, "diskFaults");
      return this;
    }

    /**
     * Creates the directory if needed, takes its lock, and recovers the queue in it.
     *
     * @throws IllegalStateException no directory was set, or a commit window was set for a mode
     *     other than {@code GROUP_COMMIT}
     * @throws QueueStoreException another store, in this JVM or another process, owns the directory
     * @throws IOException the directory cannot be created, read or locked
     */
    public FileQueueStore open() throws IOException {
      if (directory == null) {
        throw new IllegalStateException("directory is required");
      }
      if (!commitWindow.isZero() && durability != Durability.GROUP_COMMIT) {
        throw new IllegalStateException(
            "commitWindow " + commitWindow + " needs durability GROUP_COMMIT, not " + durability);
      }
      if (!Files.isDirectory(directory)) {
        Files.createDirectories(directory);
        Path parent = directory.toAbsolutePath().getParent();
        if (parent != null && durability != Durability.NONE) {
          Recovery.syncDirectory(parent);
        }
      }
      DirectoryLock lock = DirectoryLock.acquire(directory);
      try {
        return new FileQueueStore(this, lock);
      } catch (IOException | RuntimeException e) {
        try {
          lock.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }
  }
}
