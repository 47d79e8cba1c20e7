package org.mta4j.queue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.mta4j.smtp.MailParameters;

/**
 * A {@link QueueStore} in the heap: the core's default, for tests, for null clients that can afford
 * to lose queued mail, and as the reference the durable stores are measured against.
 *
 * <p><b>Not durable.</b> The queue lives only in this object: a restart or crash loses every queued
 * message, so a {@code 250} from a server on this store promises only as much as the JVM's
 * lifetime. Use {@code mta-queue-file} or {@code mta-queue-jdbc} where mail must survive.
 *
 * <p>Content is held as a {@code byte[]}, read in full at {@link #enqueue}, so the heap bounds the
 * queue; intake's message size limit bounds each message.
 *
 * <p>Thread-safe: one lock guards the maps, held only for index work (content is read before the
 * lock is taken and returned as a stream over an array that is never written again). {@link
 * #claimDue} costs O(k log n) for k claimed messages: due messages are kept in a sorted set by the
 * time they can next be claimed (the later of the next attempt and the lease expiry), so a claim
 * reads the head of the set and never the whole queue. {@link #list} and {@link #flush} walk the
 * queue; they are admin operations.
 *
 * <p>Contract choices, the same for every store (see {@link QueueStore}): a duplicate id at enqueue
 * is an {@link IllegalArgumentException}; an attempt is recorded for the lease owner even after its
 * lease expired, as long as no one else claimed the message since. After {@link #close} every
 * method but {@code close} throws {@link IllegalStateException}.
 */
public final class MemoryQueueStore implements QueueStore {

  /** Claimable order: by the time the message can next be claimed, then by id. */
  private static final Comparator<Entry> BY_CLAIMABLE_AT =
      Comparator.comparing((Entry e) -> e.claimableAt).thenComparing(e -> e.id);

  /** The {@code mailq} order: oldest first, then by id. */
  private static final Comparator<Entry> BY_ARRIVAL =
      Comparator.comparing((Entry e) -> e.arrivedAt).thenComparing(e -> e.id);

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Entry> byId = new HashMap<>();

  /** Every message that is not held; its key ({@code claimableAt}) changes only while it is out. */
  private final NavigableSet<Entry> claimable = new TreeSet<>(BY_CLAIMABLE_AT);

  private final NavigableSet<Entry> byArrival = new TreeSet<>(BY_ARRIVAL);
  private boolean closed;

  /** An empty store. */
  public MemoryQueueStore() {}

  @Override
  public void enqueue(NewMessage message, InputStream content) throws IOException {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(content, "content");
    lock.lock();
    try {
      checkOpen();
      checkNew(message.id());
    } finally {
      lock.unlock();
    }
    // Read outside the lock: a slow client stream must not stall the queue.
    byte[] bytes = content.readAllBytes();
    Entry entry = new Entry(message, bytes);
    lock.lock();
    try {
      checkOpen();
      checkNew(message.id()); // again: another thread may have taken the id meanwhile
      byId.put(entry.id, entry);
      byArrival.add(entry);
      claimable.add(entry);
    } finally {
      lock.unlock();
    }
  }

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
      // Every entry at the head with claimableAt <= now is due and not under a valid lease.
      List<Entry> due = new ArrayList<>(Math.min(max, claimable.size()));
      for (Entry e : claimable) {
        if (due.size() == max || e.claimableAt.isAfter(now)) {
          break;
        }
        due.add(e);
      }
      List<QueuedMessage> claimed = new ArrayList<>(due.size());
      for (Entry e : due) {
        claimable.remove(e);
        e.leaseOwner = owner;
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
    byte[] content;
    lock.lock();
    try {
      checkOpen();
      Entry e = byId.get(id);
      if (e == null) {
        throw new NoSuchFileException(id, null, "no such message in the memory queue");
      }
      content = e.content;
    } finally {
      lock.unlock();
    }
    return new ByteArrayInputStream(content);
  }

  @Override
  public boolean recordAttempt(
      String id, String owner, List<RecipientState> recipients, Instant nextAttempt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(owner, "owner");
    List<RecipientState> states = List.copyOf(recipients);
    boolean allFinal = states.stream().allMatch(r -> r.status().isFinal());
    if (!allFinal) {
      Objects.requireNonNull(nextAttempt, "nextAttempt (recipients remain to be tried)");
    }
    lock.lock();
    try {
      checkOpen();
      Entry e = byId.get(id);
      if (e == null || !owner.equals(e.leaseOwner)) {
        return false;
      }
      checkSameRecipients(e, states);
      if (allFinal) {
        remove(e);
        return true;
      }
      boolean wasClaimable = claimable.remove(e);
      e.recipients = states;
      e.attempts++;
      e.nextAttemptAt = nextAttempt;
      e.leaseOwner = null;
      e.leaseExpiry = null;
      e.rekey();
      if (wasClaimable) {
        claimable.add(e);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

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
  public boolean hold(String id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      checkOpen();
      Entry e = byId.get(id);
      if (e == null) {
        return false;
      }
      if (!e.held) {
        claimable.remove(e);
        e.held = true;
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean release(String id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      checkOpen();
      Entry e = byId.get(id);
      if (e == null || !e.held) {
        return false;
      }
      e.held = false;
      e.nextAttemptAt = e.arrivedAt;
      e.rekey();
      claimable.add(e);
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean delete(String id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      checkOpen();
      Entry e = byId.get(id);
      if (e == null) {
        return false;
      }
      remove(e);
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean requeue(String id, Instant now) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(now, "now");
    lock.lock();
    try {
      checkOpen();
      Entry e = byId.get(id);
      if (e == null || e.held) {
        return false;
      }
      claimable.remove(e);
      e.nextAttemptAt = now;
      e.rekey();
      claimable.add(e);
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int flush(Instant now) {
    Objects.requireNonNull(now, "now");
    lock.lock();
    try {
      checkOpen();
      List<Entry> deferred = new ArrayList<>();
      for (Entry e : claimable) { // held messages are not in it
        if (e.attempts > 0 && (e.leaseExpiry == null || !e.leaseExpiry.isAfter(now))) {
          deferred.add(e);
        }
      }
      for (Entry e : deferred) {
        claimable.remove(e);
        e.nextAttemptAt = now;
        e.rekey();
        claimable.add(e);
      }
      return deferred.size();
    } finally {
      lock.unlock();
    }
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

  /** Marks the store closed; the messages stay in this object but can no longer be reached. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    lock.lock();
    try {
      return "MemoryQueueStore[" + byId.size() + " messages" + (closed ? ", closed]" : "]");
    } finally {
      lock.unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the memory queue store is closed");
    }
  }

  private void checkNew(String id) {
    if (byId.containsKey(id)) {
      throw new IllegalArgumentException("queue id already in the store: " + id);
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

  private void remove(Entry e) {
    byId.remove(e.id);
    byArrival.remove(e);
    claimable.remove(e);
  }

  /** One queued message; mutable, guarded by the store's lock. */
  private static final class Entry {
    final String id;
    final String reversePath;
    final MailParameters parameters;
    final Instant arrivedAt;
    final byte[] content;
    List<RecipientState> recipients;
    Instant nextAttemptAt;
    int attempts;
    boolean held;
    String leaseOwner;
    Instant leaseExpiry;

    /** The later of nextAttemptAt and leaseExpiry: the key in {@code claimable}. */
    Instant claimableAt;

    Entry(NewMessage m, byte[] content) {
      this.id = m.id();
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
          content.length,
          held,
          leaseOwner,
          leaseExpiry);
    }
  }
}
