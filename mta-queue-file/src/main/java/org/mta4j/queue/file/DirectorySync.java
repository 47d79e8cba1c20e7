package org.mta4j.queue.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.mta4j.queue.file.FileQueueStore.Durability;

/**
 * Makes renames and unlinks in the queue directory durable: one directory fsync per caller ({@code
 * PER_MESSAGE}), none ({@code NONE}), or one per batch of callers ({@code GROUP_COMMIT}).
 *
 * <p>Group commit, as databases commit their log: a caller that has renamed its file joins the open
 * batch and waits; one committer thread closes the batch (after the commit window, if any), fsyncs
 * the directory once and wakes every member. Callers that arrive while an fsync runs form the next
 * batch, so under load N writers pay about one directory fsync per fsync time, not N. A member's
 * rename happened before it joined, and the batch's fsync starts after it closes, so the fsync
 * covers every member.
 */
final class DirectorySync implements AutoCloseable {
  private final FileChannel directory;
  private final Durability mode;
  private final long windowNanos;
  private final DiskFaults faults;
  private final LongAdder syncs = new LongAdder();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Condition done = lock.newCondition();
  private Batch open = new Batch();
  private boolean closed;
  private final Thread committer;

  /** One group of callers sharing an fsync; guarded by the lock. */
  private static final class Batch {
    int members;
    boolean done;
    IOException failure;
  }

  DirectorySync(FileChannel directory, Durability mode, Duration window, DiskFaults faults) {
    this.directory = directory;
    this.mode = mode;
    this.windowNanos = window.toNanos();
    this.faults = faults;
    this.committer =
        mode == Durability.GROUP_COMMIT
            ? Thread.ofPlatform().name("mta4j-queue-commit").daemon(true).start(this::commitLoop)
            : null;
  }

  /**
   * Returns once every rename and unlink this thread did in the directory before the call is on
   * stable storage (in {@code NONE} mode: at once).
   *
   * @throws IOException the directory fsync failed; what it should have covered may be lost
   */
  void awaitDurable() throws IOException {
    switch (mode) {
      case NONE -> {}
      case PER_MESSAGE -> sync();
      case GROUP_COMMIT -> awaitBatch();
    }
  }

  /** Directory fsyncs done so far. */
  long syncs() {
    return syncs.sum();
  }

  /** Callers waiting for the batch that is not closed yet (for tests). */
  int waiting() {
    lock.lock();
    try {
      return open.members;
    } finally {
      lock.unlock();
    }
  }

  private void awaitBatch() throws IOException {
    Batch b = null;
    boolean interrupted = false;
    lock.lock();
    try {
      if (!closed && committer.isAlive()) {
        b = open;
        b.members++;
        work.signal();
        while (!b.done) {
          try {
            done.await();
          } catch (InterruptedException e) {
            // the 250 must not go out before the fsync: wait on, keep the interrupt for later
            interrupted = true;
          }
        }
      }
    } finally {
      lock.unlock();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (b == null) {
      sync(); // the committer is gone (a caller racing close): sync for ourselves
    } else if (b.failure != null) {
      throw new IOException("directory fsync failed: " + b.failure.getMessage(), b.failure);
    }
  }

  private void commitLoop() {
    while (true) {
      Batch b;
      lock.lock();
      try {
        while (open.members == 0 && !closed) {
          work.awaitUninterruptibly();
        }
        if (open.members == 0) {
          return; // closed and drained
        }
        long left = windowNanos;
        while (left > 0 && !closed) {
          try {
            left = work.awaitNanos(left);
          } catch (InterruptedException e) {
            left = 0;
          }
        }
        b = open;
        open = new Batch();
      } finally {
        lock.unlock();
      }
      IOException failure = null;
      try {
        sync();
      } catch (IOException e) {
        failure = e;
      } catch (RuntimeException | Error e) {
        failure = new IOException(e.toString(), e);
        finish(b, failure);
        if (e instanceof Error error) {
          throw error; // the members are told; later callers fall back to syncing themselves
        }
        continue;
      }
      finish(b, failure);
    }
  }

  private void finish(Batch b, IOException failure) {
    lock.lock();
    try {
      b.done = true;
      b.failure = failure;
      done.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void sync() throws IOException {
    faults.beforeDirectorySync();
    directory.force(true);
    syncs.increment();
  }

  /** Commits what is pending, stops the committer; later callers sync for themselves. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      work.signalAll();
    } finally {
      lock.unlock();
    }
    if (committer != null) {
      boolean interrupted = false;
      while (committer.isAlive()) {
        try {
          committer.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
