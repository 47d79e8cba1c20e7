package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The SMTP side of a store's kill test: sessions that send numbered messages to a child MTA until
 * enough were acknowledged, then kill the child mid-transaction; a message without its 250 goes on
 * a resend list, as a real client would send it again. Keeps what was sent and acknowledged, for
 * the test's checks (every acknowledged message delivered at least once; a duplicate only for a
 * message sent more than once).
 */
public final class KillTestDriver {
  private final int sessionCount;
  private final Duration roundTimeout;
  private final AtomicLong lastId = new AtomicLong();
  private final ConcurrentLinkedQueue<String> toResend = new ConcurrentLinkedQueue<>();
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();

  /** How many times each message's content and final dot went out. */
  private final Map<String, Integer> sent = new ConcurrentHashMap<>();

  public KillTestDriver(int sessions, Duration roundTimeout) {
    this.sessionCount = sessions;
    this.roundTimeout = roundTimeout;
  }

  /** The ids of the messages that got their 250. */
  public Set<String> acknowledged() {
    return acknowledged;
  }

  /** How many times each message id was sent up to its final dot. */
  public Map<String, Integer> sent() {
    return sent;
  }

  /** Sessions send until {@code acks} more messages got their 250; then the child is killed. */
  public void sendUntilKilled(Process child, int port, int acks, Path log) throws Exception {
    CountDownLatch killPoint = new CountDownLatch(acks);
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService sessions = Executors.newVirtualThreadPerTaskExecutor();
    try {
      for (int s = 0; s < sessionCount; s++) {
        sessions.submit(() -> session(port, stop, killPoint, false));
      }
      assertThat(killPoint.await(roundTimeout.toSeconds(), TimeUnit.SECONDS))
          .as("%d acknowledgements within %s: %s", acks, roundTimeout, ChildJvm.tail(log, 30))
          .isTrue();
      kill(child); // while the sessions are mid-transaction
    } finally {
      stop.set(true);
      sessions.shutdown();
      assertThat(sessions.awaitTermination(30, TimeUnit.SECONDS)).as("sessions end").isTrue();
    }
  }

  /** The final run: sessions send only what is left to resend. */
  public void resendTheRest(int port) throws Exception {
    ExecutorService sessions = Executors.newVirtualThreadPerTaskExecutor();
    try {
      for (int s = 0; s < sessionCount; s++) {
        sessions.submit(() -> session(port, new AtomicBoolean(), new CountDownLatch(0), true));
      }
    } finally {
      sessions.shutdown();
      assertThat(sessions.awaitTermination(60, TimeUnit.SECONDS)).as("resent").isTrue();
    }
    assertThat(toResend).as("every message resent has its 250").isEmpty();
  }

  /**
   * One SMTP session: a transaction per message until stopped or the server goes away. A message
   * without its 250 (refused, or the connection died) goes back on the resend list.
   */
  private Void session(int port, AtomicBoolean stop, CountDownLatch acks, boolean resendOnly) {
    try (SmtpClientWire smtp = SmtpClientWire.connect(port, Duration.ofSeconds(10))) {
      smtp.expect(smtp.command("EHLO driver.test"), "250");
      while (!stop.get()) {
        String id = toResend.poll();
        if (id == null) {
          if (resendOnly) {
            return null;
          }
          id = String.format("T%06d", lastId.incrementAndGet());
        }
        boolean acknowledgedNow = false;
        try {
          smtp.expect(smtp.command("MAIL FROM:<driver@client.test>"), "250");
          smtp.expect(smtp.command("RCPT TO:<sink@example.test>"), "250");
          smtp.expect(smtp.command("DATA"), "354");
          sent.merge(id, 1, Integer::sum);
          String reply = smtp.data(content(id));
          if (reply.startsWith("250")) {
            acknowledged.add(id);
            acknowledgedNow = true;
            acks.countDown();
          } else {
            smtp.command("RSET");
          }
        } finally {
          if (!acknowledgedNow) {
            toResend.add(id);
          }
        }
      }
    } catch (IOException e) {
      // the child was killed under this session
    }
    return null;
  }

  public static byte[] content(String id) {
    int n = Integer.parseInt(id.substring(1));
    StringBuilder b =
        new StringBuilder()
            .append("From: driver@client.test\r\n")
            .append("To: sink@example.test\r\n")
            .append("Subject: kill test ")
            .append(id)
            .append("\r\nX-Test-Id: ")
            .append(id)
            .append("\r\n\r\n");
    for (int i = 0; i < 1 + n % 40; i++) { // 1 to 40 lines of about 100 bytes
      b.append("line ").append(i).append(" of ").append(id).append(" ").append("x".repeat(80));
      b.append("\r\n");
    }
    return b.toString().getBytes(US_ASCII);
  }

  /** SIGKILL (kill -9), and wait for the child to be gone. */
  public static void kill(Process child) throws InterruptedException {
    child.destroyForcibly();
    assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("killed").isTrue();
  }
}
