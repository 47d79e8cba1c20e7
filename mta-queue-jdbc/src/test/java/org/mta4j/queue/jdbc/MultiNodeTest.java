package org.mta4j.queue.jdbc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.NewMessage;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.ChildJvm;

/**
 * Several nodes, one queue: three mta4j nodes, each in a JVM of its own ({@link NodeChild}), share
 * one PostgreSQL queue. The test enqueues 3,000 messages into that queue while the nodes run; they
 * claim them with {@code FOR UPDATE SKIP LOCKED} and leases and deliver each to one sink, a local
 * delivery hook that appends the message's id to a shared fsynced log. Without a failure every
 * message is delivered exactly once. With one node killed ({@code kill -9}) mid-run and a short
 * lease (5 s), nothing is lost, and a message is delivered twice only under a lease that had
 * expired: each node logs, with every delivery, the claim and the lease it delivered under, and a
 * second delivery's claim must come at or after the first one's lease expiry. (The killed node's
 * claims expire that way; on this shared 2-core machine a surviving node's attempt can also outlast
 * a 5 s lease, and is then, correctly, claimed again; the counts say which.)
 */
@Tag("multinode")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MultiNodeTest {
  private static final int NODES = 3;
  private static final int MESSAGES = 3000;
  private static final int SHORT_LEASE_SECONDS = 5;
  // generous: the nodes are JVMs starting on a shared 2-core machine
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path work;

  @Test
  void threeNodesDeliverEachOfThreeThousandMessagesExactlyOnce() throws Exception {
    // a lease far longer than any attempt here takes: no lease expires, so nothing is redelivered
    Outcome o = run(false, 60);

    assertThat(o.lost()).as("lost").isEmpty();
    assertThat(o.duplicates()).as("delivered more than once").isEmpty();
    assertThat(o.deliveries()).hasSize(MESSAGES);
    for (int n = 1; n <= NODES; n++) {
      assertThat(o.perNode().getOrDefault("node-" + n, 0))
          .as("node-%d took part (claims do not serialize on one node)", n)
          .isPositive();
    }
  }

  @Test
  void aNodeKilledMidRunLosesNothingAndADuplicateIsOnlyEverAnExpiredLease() throws Exception {
    Outcome o = run(true, SHORT_LEASE_SECONDS);

    assertThat(o.lost()).as("lost").isEmpty();
    for (Map.Entry<String, List<Delivery>> d : o.duplicates().entrySet()) {
      List<Delivery> all = new ArrayList<>(d.getValue());
      all.sort(Comparator.comparingLong(Delivery::claimedAt));
      for (int i = 1; i < all.size(); i++) {
        Delivery before = all.get(i - 1);
        Delivery after = all.get(i);
        assertThat(after.claimedAt())
            .as(
                "%s claimed by %s while %s's lease held: %s",
                d.getKey(), after.node(), before.node(), all)
            .isGreaterThanOrEqualTo(before.leaseExpiry());
      }
    }
    assertThat(o.perNode().getOrDefault("node-1", 0))
        .as("node-1 delivered before it died")
        .isPositive();
  }

  /** One line of the delivery log: who delivered what, when, under which lease (epoch ms). */
  record Delivery(
      String node,
      String testId,
      String queueId,
      long atMillis,
      long claimedAt,
      long leaseExpiry) {}

  record Outcome(
      List<Delivery> deliveries,
      Map<String, Integer> perNode,
      Map<String, List<Delivery>> duplicates,
      List<String> lost) {}

  private Outcome run(boolean kill, int leaseSeconds) throws Exception {
    String url = PostgresServer.shared().newDatabase("multinode");
    Path deliveries = work.resolve("deliveries.log");
    long started = System.nanoTime();
    List<Process> nodes = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try (HikariDataSource pool = Pools.pool(url, 8)) {
      // the nodes start at once on an empty database: they also race to create the schema
      for (int n = 1; n <= NODES; n++) {
        Path log = work.resolve("node-" + n + ".log");
        logs.add(log);
        nodes.add(
            ChildJvm.start(
                log,
                List.of("-XX:+UseSerialGC", "-Xmx256m"),
                NodeChild.class,
                url,
                deliveries.toString(),
                work.resolve("port-" + n).toString(),
                "node-" + n,
                Integer.toString(leaseSeconds)));
      }
      for (int n = 1; n <= NODES; n++) {
        Process node = nodes.get(n - 1);
        Path log = logs.get(n - 1);
        Path portFile = work.resolve("port-" + n);
        try {
          await("node-" + n + " listens")
              .atMost(START_TIMEOUT)
              .pollInterval(Duration.ofMillis(20))
              .failFast("node-" + n + " died", () -> !node.isAlive())
              .until(() -> Files.exists(portFile));
        } catch (ConditionTimeoutException e) {
          throw new AssertionError(
              e.getMessage() + "; the node's log:\n" + ChildJvm.tail(log, 40), e);
        }
      }

      JdbcQueueStore store = JdbcQueueStore.builder().dataSource(pool).build();
      enqueueAll(store);

      if (kill) {
        await("a third of the messages delivered")
            .atMost(DRAIN_TIMEOUT)
            .pollInterval(Duration.ofMillis(10))
            .until(() -> readDeliveries(deliveries).size() >= MESSAGES / 3);
        nodes.getFirst().destroyForcibly(); // kill -9, with deliveries in flight
        assertThat(nodes.getFirst().waitFor(10, TimeUnit.SECONDS)).as("killed").isTrue();
      }

      Set<String> expected = new HashSet<>();
      for (int i = 0; i < MESSAGES; i++) {
        expected.add(id(i));
      }
      try {
        await("every message delivered and the queue empty")
            .atMost(DRAIN_TIMEOUT)
            .pollInterval(Duration.ofMillis(100))
            .until(
                () ->
                    readDeliveries(deliveries).stream()
                            .map(Delivery::testId)
                            .collect(Collectors.toSet())
                            .containsAll(expected)
                        && queued(pool) == 0);
      } catch (ConditionTimeoutException e) {
        // the counts below say what is missing
        System.out.println("multi-node: drain timed out; " + ChildJvm.tail(logs.get(1), 20));
      }
    } finally {
      for (Process node : nodes) {
        node.destroyForcibly();
        node.waitFor(10, TimeUnit.SECONDS);
      }
    }

    List<Delivery> record = readDeliveries(deliveries);
    Map<String, Integer> perNode = new TreeMap<>();
    Map<String, List<Delivery>> byId = new TreeMap<>();
    for (Delivery d : record) {
      perNode.merge(d.node(), 1, Integer::sum);
      byId.computeIfAbsent(d.testId(), k -> new ArrayList<>()).add(d);
    }
    Map<String, List<Delivery>> duplicates = new TreeMap<>();
    byId.forEach(
        (id, list) -> {
          if (list.size() > 1) {
            duplicates.put(id, list);
          }
        });
    List<String> lost = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      if (!byId.containsKey(id(i))) {
        lost.add(id(i));
      }
    }
    System.out.printf(
        "multi-node (%s, %.1f s): %d nodes, %d messages enqueued, %d delivered (%d deliveries),"
            + " per node %s, %d duplicates (first delivered by %s), %d lost%n",
        (kill ? "node-1 killed with kill -9 mid-run" : "no failure")
            + ", lease "
            + leaseSeconds
            + " s",
        (System.nanoTime() - started) / 1e9,
        NODES,
        MESSAGES,
        byId.size(),
        record.size(),
        perNode,
        duplicates.size(),
        duplicates.values().stream()
            .collect(
                Collectors.groupingBy(
                    l -> l.getFirst().node(), TreeMap::new, Collectors.counting())),
        lost.size());
    return new Outcome(record, perNode, duplicates, lost);
  }

  /** The test plays intake: 3,000 messages into the shared queue, from four threads. */
  private static void enqueueAll(JdbcQueueStore store) throws Exception {
    try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int first = t;
        done.add(
            threads.submit(
                () -> {
                  for (int i = first; i < MESSAGES; i += 4) {
                    store.enqueue(
                        new NewMessage(
                            id(i),
                            "driver@client.test",
                            List.of(Recipient.of("sink@example.test")),
                            MailParameters.NONE,
                            Instant.now()),
                        new ByteArrayInputStream(content(id(i))));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
    }
  }

  private static String id(int i) {
    return String.format("M%05d", i);
  }

  private static byte[] content(String id) {
    return ("From: driver@client.test\r\nTo: sink@example.test\r\nSubject: multi-node "
            + id
            + "\r\nX-Test-Id: "
            + id
            + "\r\n\r\nbody of "
            + id
            + "\r\n")
        .getBytes(US_ASCII);
  }

  private static long queued(HikariDataSource pool) throws Exception {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT COUNT(*) FROM mta_message")) {
      r.next();
      return r.getLong(1);
    }
  }

  /** The shared delivery log; a torn last line (no newline) is skipped. */
  static List<Delivery> readDeliveries(Path log) throws IOException {
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
      all.add(
          new Delivery(
              f[0], f[1], f[2], Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5])));
    }
    return all;
  }
}
