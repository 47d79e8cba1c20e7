package org.mta4j.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where accepted mail waits for delivery: the queue SPI behind which the memory, file and JDBC
 * stores sit. Every store passes the same contract suite ({@code QueueStoreContract} in mta-core's
 * test jar).
 *
 * <p>The pipeline's only writer is intake (it calls {@link #enqueue}); the scheduler claims due
 * messages with a lease and records each attempt's per-recipient outcome. A message whose
 * recipients are all final (delivered or failed) is removed by {@link #recordAttempt}. A crash
 * between claim and record leaves the lease to expire and the message is claimed again: delivery is
 * at-least-once, never lost.
 *
 * <p>Implementations are thread-safe. Storage failures are {@link IOException}s (a {@link
 * QueueStoreException} where the store knows more); nothing is half-enqueued when {@code enqueue}
 * throws.
 */
public interface QueueStore extends AutoCloseable {

  /**
   * Stores a new message. When this returns, the message is durable as far as this store can make
   * it (for a file or database store: on stable storage), and the SMTP server may answer 250.
   *
   * <p>The new message has every recipient {@link RecipientState.Status#PENDING}, no attempts, no
   * lease, and is due at once: its next attempt time is its arrival time.
   *
   * @param message the envelope, with an id chosen by intake that is not in the store yet
   * @param content the RFC 5322 content, CRLF line endings; read to its end, not closed
   * @throws IllegalArgumentException a message with this id is in the store already (intake's ids
   *     are unique, so this is a bug); the stored message is unchanged
   * @throws IOException the message was not stored (and nothing of it remains)
   */
  void enqueue(NewMessage message, InputStream content) throws IOException;

  /**
   * Claims up to {@code max} messages that are due at {@code now}: not held, next attempt at or
   * before {@code now}, and not leased (or leased with an expired lease: one whose expiry is at or
   * before {@code now}). Each is leased to {@code owner} until {@code now + lease}; earliest due
   * first. The returned messages show the new lease.
   *
   * @throws IllegalArgumentException {@code max} is not positive, or {@code lease} is not positive
   */
  List<QueuedMessage> claimDue(Instant now, int max, String owner, Duration lease)
      throws IOException;

  /**
   * The earliest time at which {@link #claimDue} would claim something, for the scheduler: the
   * least, over the messages that are not held, of the next attempt time, or of the lease expiry
   * where a lease ends later. Empty when every message is held or the store is empty.
   */
  Optional<Instant> nextDue() throws IOException;

  /**
   * Opens the content of a message in the queue, byte for byte as it was enqueued.
   *
   * @throws NoSuchFileException there is no message with this id (never enqueued, deleted, or
   *     removed once all its recipients were final); the exception's file is the id
   * @throws IOException the content could not be read
   */
  InputStream openContent(String id) throws IOException;

  /**
   * Records one delivery attempt on a message leased to {@code owner} and releases the lease. The
   * attempt count goes up by one; a hold stays. When every recipient is final (delivered or failed)
   * the message and its content are removed.
   *
   * <p>The lease is {@code owner}'s until someone else claims the message: a lease that expired but
   * was not claimed again is still {@code owner}'s (this method has no clock to judge expiry by,
   * and accepting the outcome then avoids a needless second delivery).
   *
   * @param recipients the new state of every recipient, in the message's recipient order
   * @param nextAttempt when to try the pending and deferred recipients again; ignored, and may be
   *     null, when every recipient is final
   * @return false, changing nothing, if the message is gone or its lease is not {@code owner}'s any
   *     more (never claimed, or another node took it over after the lease expired)
   * @throws IllegalArgumentException {@code recipients} does not hold one state per recipient of
   *     the message, in its order; nothing is changed
   */
  boolean recordAttempt(
      String id, String owner, List<RecipientState> recipients, Instant nextAttempt)
      throws IOException;

  /**
   * The messages that {@linkplain QueueFilter#matches match} the filter, oldest first (by arrival
   * time, then id), at most {@code filter.limit()} of them: the {@code mailq} of mta4j.
   */
  List<QueuedMessage> list(QueueFilter filter) throws IOException;

  /** One message, with its per-recipient states. */
  Optional<QueuedMessage> show(String id) throws IOException;

  /**
   * Puts a message on hold: it is not claimed until released. True also when it was held already; a
   * lease in force is not broken (its owner can still record the attempt). False if there is no
   * such message.
   */
  boolean hold(String id) throws IOException;

  /**
   * Releases a held message; it is due at once (its next attempt time becomes its arrival time, so
   * a store needs no clock for it). False, changing nothing, if there is no such held message.
   */
  boolean release(String id) throws IOException;

  /** Deletes a message without delivering it or bouncing it. False if there is no such message. */
  boolean delete(String id) throws IOException;

  /**
   * Makes a message due at {@code now} (its next attempt time becomes {@code now}). False, changing
   * nothing, if there is no such message or it is held ({@link #release} it instead).
   */
  boolean requeue(String id, Instant now) throws IOException;

  /**
   * Makes every deferred message due at {@code now} (Postfix's {@code postqueue -f}): each message
   * whose {@link QueuedMessage#state state} at {@code now} is {@link QueueState#DEFERRED} (tried
   * before, not held, not under a lease that is still valid) gets {@code now} as its next attempt
   * time. Returns how many messages that was.
   */
  int flush(Instant now) throws IOException;

  /** Releases the store's resources; the data stays. */
  @Override
  void close() throws IOException;
}
