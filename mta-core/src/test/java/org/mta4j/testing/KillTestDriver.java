package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

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

  /** One line of a kill test's delivery log: the run, the message's test id, its queue id. */
  public record Delivery(int run, String testId, String queueId) {}

  /**
   * Reads the fsynced delivery log: lines {@code RUN TEST-ID QUEUE-ID} ({@code RUN} a number,
   * optionally {@code run-}prefixed); a torn last line (no newline) is skipped.
   */
  public static List<Delivery> readDeliveries(Path log) throws IOException {
    List<Delivery> all = new ArrayList<>();
    if (!Files.exists(log)) {
      return all;
    }
    String text = Files.readString(log, US_ASCII);
    int end = text.lastIndexOf('\n');
    if (end < 0) {
      return all;
    }
    for (String line : text.substring(0, end).split("\n")) {
      String[] f = line.split(" ");
      String run = f[0].startsWith("run-") ? f[0].substring("run-".length()) : f[0];
      all.add(new Delivery(Integer.parseInt(run), f[1], f[2]));
    }
    return all;
  }

  /** Whether every acknowledged message is in the delivery log. */
  public boolean allAcknowledgedDelivered(Path log) throws IOException {
    return readDeliveries(log).stream()
        .map(Delivery::testId)
        .collect(Collectors.toSet())
        .containsAll(acknowledged);
  }

  /**
   * Checks the delivery log against what was sent and acknowledged, prints the counts, and fails
   * the test if an acknowledged message was never delivered, a duplicate is not explained by a kill
   * (the same queued copy delivered again in a later run, each run but the last killed) or by the
   * client sending the message twice, or something was delivered that was never sent.
   *
   * @param label what the printed line starts with, e.g. {@code "kill test"}
   * @param kills the number of killed runs (the final run is {@code kills + 1})
   */
  public void verify(Path deliveryLog, String label, long seed, long startedNanos, int kills)
      throws IOException {
    List<Delivery> record = readDeliveries(deliveryLog);
    Map<String, List<Delivery>> byTestId = new TreeMap<>();
    Map<String, List<Integer>> runsByQueueId = new TreeMap<>();
    for (Delivery d : record) {
      byTestId.computeIfAbsent(d.testId(), k -> new ArrayList<>()).add(d);
      runsByQueueId.computeIfAbsent(d.queueId(), k -> new ArrayList<>()).add(d.run());
    }
    List<String> unexplained = new ArrayList<>();
    Set<String> redeliveredAfterKill = new HashSet<>();
    for (var q : runsByQueueId.entrySet()) {
      List<Integer> runs = q.getValue();
      if (runs.size() > 1) {
        if (new HashSet<>(runs).size() == runs.size()
            && runs.subList(0, runs.size() - 1).stream().allMatch(r -> r <= kills)) {
          redeliveredAfterKill.add(q.getKey());
        } else {
          unexplained.add("queue id " + q.getKey() + " delivered in runs " + runs);
        }
      }
    }
    List<String> duplicates = new ArrayList<>();
    int resentByClient = 0;
    for (var t : byTestId.entrySet()) {
      if (t.getValue().size() > 1) {
        duplicates.add(t.getKey());
      }
      long copies = t.getValue().stream().map(Delivery::queueId).distinct().count();
      if (copies > 1) {
        resentByClient++;
        if (sent.getOrDefault(t.getKey(), 0) < copies) {
          unexplained.add(
              t.getKey() + " sent " + sent.get(t.getKey()) + " times, queued " + copies + " times");
        }
      }
    }
    List<String> lost = acknowledged.stream().filter(id -> !byTestId.containsKey(id)).toList();
    long cutByAKill = sent.values().stream().filter(n -> n > 1).count();
    System.out.printf(
        "%s (seed %d, %.1f s): %d kills; %d messages acknowledged, %d delivered (%d"
            + " deliveries), %d duplicates (%d copies redelivered after a kill, %d messages sent"
            + " twice by the client after a lost 250), %d lost; %d transactions cut by a kill and"
            + " sent again%n",
        label,
        seed,
        (System.nanoTime() - startedNanos) / 1e9,
        kills,
        acknowledged.size(),
        byTestId.size(),
        record.size(),
        duplicates.size(),
        redeliveredAfterKill.size(),
        resentByClient,
        lost.size(),
        cutByAKill);

    assertThat(acknowledged).as("messages acknowledged").hasSizeGreaterThan(100);
    assertThat(lost).as("acknowledged but never delivered (seed %d)", seed).isEmpty();
    assertThat(unexplained).as("duplicates not explained by a kill (seed %d)", seed).isEmpty();
    assertThat(byTestId.keySet()).as("delivered but never sent").allMatch(sent::containsKey);
  }

  /**
   * Kills the child at a random moment of its start-up (JVM, store open and recovery, MTA start),
   * 60 to 300 ms after it was launched; returns that moment in milliseconds.
   */
  public static long killDuringStartup(Process child, Random random, Path log) throws Exception {
    long at = 60 + random.nextInt(240);
    assertThat(child.waitFor(at, TimeUnit.MILLISECONDS))
        .as("child exited by itself: %s", ChildJvm.tail(log, 30))
        .isFalse();
    kill(child);
    return at;
  }

  /** Waits until the child MTA listens (it writes its port file then); fails if it dies first. */
  public static int awaitPort(Process child, Path portFile, Path log, Duration timeout)
      throws IOException {
    Awaitility.await("the child MTA listens; " + log)
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(10))
        .failFast("the child died: " + log, () -> !child.isAlive())
        .until(() -> Files.exists(portFile));
    return Integer.parseInt(Files.readString(portFile, US_ASCII).strip());
  }

  /** SIGKILL (kill -9), and wait for the child to be gone. */
  public static void kill(Process child) throws InterruptedException {
    child.destroyForcibly();
    assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("killed").isTrue();
  }
}
