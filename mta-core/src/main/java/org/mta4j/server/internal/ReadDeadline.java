package org.mta4j.server.internal;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The read timeout of a plain-text session, enforced by the server's one timeout sweeper instead of
 * the socket's {@code SO_TIMEOUT}. On a virtual thread, a read with {@code SO_TIMEOUT} is a timed
 * park: each blocking read queues a wake-up with the JDK's delay scheduler and cancels it again,
 * which with one connection per message cost about four futex calls and a few context switches per
 * message. Here a read only notes its deadline; the sweeper ({@link SmtpServer}) shuts down the
 * input of a session whose read is overdue, the read returns, and {@link #disarm()} turns that into
 * the {@link SocketTimeoutException} the socket would have thrown. A timeout is never early; it is
 * late by at most one sweep period.
 *
 * <p>One reader (the session's thread) and one checker (the sweeper): the deadline is written
 * before the volatile {@code armed} flag that publishes it, and {@code expired} is set before the
 * input is shut down, so every read that sees the shutdown also sees {@code expired}.
 */
final class ReadDeadline {
  private final Socket socket;
  private long timeoutNanos;
  private long deadline;
  private volatile boolean armed;
  private volatile boolean expired;

  ReadDeadline(Socket socket, Duration timeout) {
    this.socket = socket;
    timeout(timeout);
  }

  /** The timeout of the following reads (command or data timeout). */
  void timeout(Duration timeout) {
    // at most ~73 years: nanoTime() + timeout must not overflow
    timeoutNanos = Math.clamp(saturatedNanos(timeout), 1, Long.MAX_VALUE / 4);
  }

  /** Before a blocking read. */
  void arm() {
    deadline = System.nanoTime() + timeoutNanos;
    armed = true;
  }

  /** After the read, whatever its outcome; throws if the sweeper timed it out. */
  void disarm() throws SocketTimeoutException {
    armed = false;
    if (expired) {
      throw new SocketTimeoutException("Read timed out");
    }
  }

  /** Called by the sweeper: times out an overdue read. */
  void check(long now) {
    if (armed && !expired && now - deadline >= 0) {
      expired = true;
      try {
        socket.shutdownInput(); // the blocked read returns end of stream
      } catch (IOException | RuntimeException ignored) {
        // the socket is going away already
      }
    }
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4; // "never" without overflowing nanoTime() + timeout
    }
  }
}
