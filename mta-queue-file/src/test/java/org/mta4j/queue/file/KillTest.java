package org.mta4j.queue.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.testing.ChildJvm;
import org.mta4j.testing.KillTestDriver;

/**
 * The durability promise under {@code kill -9}: an MTA on the file queue in a child JVM is killed
 * at random moments, 20 times, and started again on the same directory each time, while SMTP
 * sessions send it a stream of messages. A final run that is not killed lets the queue drain. Then
 * every message that got a {@code 250} was delivered at least once, and a message was delivered
 * twice only across a kill (its delivery was recorded by the hook but not yet by the queue when the
 * JVM died) or because the client sent it twice (its first {@code 250} was lost in the kill, so it
 * was sent again, as a real client would).
 *
 * <p>Each message carries a unique {@code X-Test-Id}; the child's delivery hook appends it, with
 * the run number, to an fsynced log. Four kills in twenty land at a random time during start-up
 * (store recovery included); the others after a random number of acknowledged messages, with
 * sessions mid-transaction and deliveries under way. The seed is printed; rerun one with {@code
 * -Dmta4j.killTest.seed=...}.
 */
@Tag("kill")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KillTest {
  private static final int KILLS = 20;
  private static final int SESSIONS = 8;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path work;

  private final KillTestDriver driver = new KillTestDriver(SESSIONS, ROUND_TIMEOUT);

  @Test
  void everyAcknowledgedMessageIsDeliveredThroughTwentyKill9s() throws Exception {
    long seed = Long.getLong("mta4j.killTest.seed", System.nanoTime());
    Random random = new Random(seed);
    Path queue = work.resolve("queue");
    Path deliveries = work.resolve("deliveries.log");
    long started = System.nanoTime();
    List<String> startupKills = new ArrayList<>();

    for (int run = 1; run <= KILLS; run++) {
      Path log = work.resolve("child-" + run + ".log");
      Path portFile = work.resolve("port-" + run);
      Process child = startChild(queue, deliveries, portFile, run, log);
      try {
        if (run % 5 == 3) {
          long at = KillTestDriver.killDuringStartup(child, random, log);
          startupKills.add(
              at
                  + " ms, "
                  + (Files.readString(log).contains(" open (") ? "after" : "before")
                  + " the store finished opening");
        } else {
          int port = KillTestDriver.awaitPort(child, portFile, log, START_TIMEOUT);
          int acksBeforeKill = 1 + random.nextInt(120);
          driver.sendUntilKilled(child, port, acksBeforeKill, log);
        }
      } finally {
        KillTestDriver.kill(child);
      }
    }

    // the final run: resend what never got its 250, then let the queue drain
    ConditionTimeoutException drainTimedOut = null;
    int finalRun = KILLS + 1;
    Path log = work.resolve("child-" + finalRun + ".log");
    Process child = startChild(queue, deliveries, work.resolve("port-final"), finalRun, log);
    try {
      int port = KillTestDriver.awaitPort(child, work.resolve("port-final"), log, START_TIMEOUT);
      driver.resendTheRest(port);
      try {
        await("every acknowledged message delivered and the queue empty; " + log)
            .atMost(DRAIN_TIMEOUT)
            .pollInterval(Duration.ofMillis(100))
            .failFast("the final run died", () -> !child.isAlive())
            .until(
                () ->
                    driver.allAcknowledgedDelivered(deliveries)
                        && isDrained(queue.resolve("queue")));
      } catch (ConditionTimeoutException e) {
        drainTimedOut = e; // the counts below say what is missing
      }
    } finally {
      child.destroy();
      if (!child.waitFor(10, TimeUnit.SECONDS)) {
        KillTestDriver.kill(child);
      }
    }

    System.out.println("kill test: start-up kills at " + startupKills);
    driver.verify(deliveries, "kill test", seed, started, KILLS);
    assertThat(drainTimedOut).as("the final run drained the queue").isNull();
    assertThat(countFiles(queue.resolve("corrupt")))
        .as("a kill tears only writes that never completed: nothing in corrupt/")
        .isZero();
  }

  // ---------------------------------------------------------------------------------------------

  private Process startChild(Path queue, Path deliveries, Path portFile, int run, Path log)
      throws IOException {
    return ChildJvm.start(
        log,
        List.of("-XX:+UseSerialGC", "-Xmx256m"),
        KillTestChild.class,
        queue.toString(),
        deliveries.toString(),
        portFile.toString(),
        Integer.toString(run));
  }

  /**
   * No message or state file left, and no journal segment but the final run's active one: every
   * segment of the killed runs was reclaimed, so every message in it is final.
   */
  private static boolean isDrained(Path queueDir) throws IOException {
    try (Stream<Path> s = Files.list(queueDir)) {
      List<String> names = s.map(p -> p.getFileName().toString()).toList();
      long segments = names.stream().filter(n -> n.startsWith(Journal.PREFIX)).count();
      return segments <= 1 && names.size() == segments;
    }
  }

  private static long countFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }
}
