package org.mta4j.client;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A timeout for socket writes, which Java's blocking sockets lack: a write that has not finished in
 * time closes the TCP socket, which ends the blocked write with an exception that is reported as a
 * {@link SocketTimeoutException}. A stalled server that stops reading would otherwise hold a
 * delivery thread forever (RFC 5321 §4.5.3.2.5 gives the data block 3 minutes).
 *
 * <p>One daemon timer thread serves every connection of the JVM; it only closes sockets. (A timer
 * injected through the builder would be purer, but this timer measures wall time on a socket, not
 * queue time, so tests never need to drive it.)
 */
final class WriteDeadline {
  private WriteDeadline() {}

  private static final ScheduledThreadPoolExecutor TIMER = newTimer();

  private static ScheduledThreadPoolExecutor newTimer() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1, r -> Thread.ofPlatform().daemon().name("mta4j-smtp-write-deadline").unstarted(r));
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  /** Writes and flushes {@code bytes}, closing {@code tcp} if that takes longer than timeout. */
  static void write(Socket tcp, OutputStream out, byte[] bytes, int off, int len, Duration timeout)
      throws IOException {
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> alarm =
        TIMER.schedule(
            () -> {
              expired.set(true);
              try {
                tcp.close();
              } catch (IOException ignored) {
                // closing is all we can do
              }
            },
            timeout.toNanos(),
            TimeUnit.NANOSECONDS);
    try {
      out.write(bytes, off, len);
      out.flush();
    } catch (IOException e) {
      if (expired.get()) {
        SocketTimeoutException timedOut =
            new SocketTimeoutException("write timed out after " + timeout);
        timedOut.initCause(e);
        throw timedOut;
      }
      throw e;
    } finally {
      alarm.cancel(false);
    }
    if (expired.get()) {
      throw new SocketTimeoutException("write timed out after " + timeout);
    }
  }
}
