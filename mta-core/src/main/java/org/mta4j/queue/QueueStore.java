package org.mta4j.queue;

import java.io.IOException;
import java.io.InputStream;
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
 * between claim and record leaves the lease to expire and the message is claimed again: delivery
 * is at-least-once, never lost.
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
   * @param message the envelope, with an id chosen by intake that is not in the store yet
   * @param content the RFC 5322 content, CRLF line endings; read to its end, not closed
   * @throws IOException the message was not stored (and nothing of it remains)
   */
  void enqueue(NewMessage message, InputStream content) throws IOException;

  /**
   * Claims up to {@code max} messages that are due at {@code now}: not held, next attempt at or
   * before {@code now}, and not leased (or leased with an expired lease). Each is leased to {@code
   * owner} until {@code now + lease}; earliest due first.
   */
  List<QueuedMessage> claimDue(Instant now, int max, String owner, Duration lease)
      throws IOException;

  /** The earliest next-attempt time among messages that are not held, if any; for the scheduler. */
  Optional<Instant> nextDue() throws IOException;

  /** Opens the content of a message in the queue. */
  InputStream openContent(String id) throws IOException;

  /**
   * Records one delivery attempt on a message leased to {@code owner} and releases the lease.
   *
   * @param recipients the new state of every recipient, in the message's recipient order
   * @param nextAttempt when to try the pending and deferred recipients again
   * @return false, changing nothing, if the message is gone or its lease is not {@code owner}'s
   *     any more (another node took it over after the lease expired)
   */
  boolean recordAttempt(
      String id, String owner, List<RecipientState> recipients, Instant nextAttempt)
      throws IOException;

  /** The messages that match the filter, oldest first (the {@code mailq} of mta4j). */
  List<QueuedMessage> list(QueueFilter filter) throws IOException;

  /** One message, with its per-recipient states. */
  Optional<QueuedMessage> show(String id) throws IOException;

  /** Puts a message on hold: it is not claimed until released. False if there is no such message. */
  boolean hold(String id) throws IOException;

  /** Releases a held message; it is due at once. False if there is no such held message. */
  boolean release(String id) throws IOException;

  /** Deletes a message without delivering it or bouncing it. False if there is no such message. */
  boolean delete(String id) throws IOException;

  /** Makes a (not held) message due at {@code now}. False if there is no such message. */
  boolean requeue(String id, Instant now) throws IOException;

  /** Makes every deferred, not held message due at {@code now}; returns how many. */
  int flush(Instant now) throws IOException;

  /** Releases the store's resources; the data stays. */
  @Override
  void close() throws IOException;
}
