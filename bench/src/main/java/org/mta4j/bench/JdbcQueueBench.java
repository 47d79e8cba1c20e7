package org.mta4j.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.mta4j.Mta;
import org.mta4j.queue.MemoryQueueStore;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.file.FileQueueStore;
import org.mta4j.queue.jdbc.JdbcQueueStore;
import org.mta4j.server.Listener;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * The JDBC queue's benchmark (docs/benchmarks.md, "JDBC queue"); run by bench/jdbc-queue.sh, which
 * starts the PostgreSQL cluster, smtp-sink and the delaying proxy.
 *
 * <p><b>single</b>: one node in this JVM, {@code submit()} of N messages (2 KB) from 8 threads
 * into a local delivery hook that only counts, on each store in turn: memory (the ceiling), file,
 * H2 (file database) and PostgreSQL; rounds interleaved, medians reported. Enqueue rate (all
 * {@code submit()} calls returned: every message durable) and end-to-end rate (all delivered).
 *
 * <p><b>scale</b>: 1 or 3 nodes ({@link JdbcBenchNode}, one JVM each) share one PostgreSQL
 * queue, each limited to C deliveries at once to smtp-sink behind a proxy that adds a 20 ms round
 * trip: latency-bound, like the internet. The nodes first deliver 200 warm-up messages (JIT, pools,
 * connections to the sink) while the M measured messages wait in the queue (due in an hour); then
 * one UPDATE makes all M due at once. Rate = messages drained between 10 % and 90 % of M divided by
 * the time that took (the tail excluded); 1 and 3 nodes alternate.
 *
 * <pre>
 *   java ... JdbcQueueBench --pg-url=URL --proxy-port=P [--part=all|single|scale] [--messages=2000]
 *       [--scale-messages=1200] [--concurrency=2] [--rounds=3]
 * </pre>
 */
public final class JdbcQueueBench {
  private static final int SUBMITTERS = 8;
  private static final int WARMUP = 200;

  private JdbcQueueBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      opt.put(a.substring(2, eq), a.substring(eq + 1));
    }
    String pgUrl = opt.get("pg-url");
    int proxyPort = Integer.parseInt(opt.getOrDefault("proxy-port", "0"));
    String part = opt.getOrDefault("part", "all");
    int messages = Integer.parseInt(opt.getOrDefault("messages", "2000"));
    int scaleMessages = Integer.parseInt(opt.getOrDefault("scale-messages", "1200"));
    int concurrency = Integer.parseInt(opt.getOrDefault("concurrency", "2"));
    int rounds = Integer.parseInt(opt.getOrDefault("rounds", "3"));
    boolean ok = true;
    if (part.equals("all") || part.equals("single")) {
      single(pgUrl, messages, rounds);
    }
    if (part.equals("all") || part.equals("scale")) {
      ok = scale(pgUrl, proxyPort, scaleMessages, concurrency, rounds);
    }
    System.exit(ok ? 0 : 1);
  }

  // ---------------------------------------------------------------------------------------------
  // one node: enqueue + deliver

  private static void single(String pgUrl, int n, int rounds) throws Exception {
    List<String> stores = List.of("memory", "file", "h2", "postgresql");
    Map<String, List<double[]>> results = new HashMap<>();
    Path work = Files.createTempDirectory("mta4j-jdbc-bench-");
    System.out.printf("single node: %d messages of 2 KB, %d submitting threads, local delivery%n",
        n, SUBMITTERS);
    // warm-up: one small run per store, discarded
    for (String s : stores) {
      runSingle(s, pgUrl, work, "w_", Math.min(n, 300));
    }
    for (int r = 1; r <= rounds; r++) {
      for (int i = 0; i < stores.size(); i++) {
        String s = stores.get((i + r) % stores.size()); // rotate the order each round
        double[] rate = runSingle(s, pgUrl, work, "r" + r + "_", n);
        results.computeIfAbsent(s, k -> new ArrayList<>()).add(rate);
        System.out.printf(
            "  round %d %-10s enqueue %7.0f msgs/s   enqueue+deliver %7.0f msgs/s   (load %s)%n",
            r, s, rate[0], rate[1], load());
      }
    }
    double memory = median(results.get("memory"), 1);
    System.out.println("single node, medians:");
    for (String s : stores) {
      double enq = median(results.get(s), 0);
      double e2e = median(results.get(s), 1);
      System.out.printf(
          "  %-10s enqueue %7.0f msgs/s   enqueue+deliver %7.0f msgs/s   (%.2fx memory)%n",
          s, enq, e2e, e2e / memory);
    }
    deleteTree(work);
  }

  /** One run; {enqueue msgs/s, end-to-end msgs/s}. */
  private static double[] runSingle(String kind, String pgUrl, Path work, String prefix, int n)
      throws Exception {
    HikariDataSource pool = null;
    QueueStore store;
    switch (kind) {
      case "memory" -> store = new MemoryQueueStore();
      case "file" -> {
        Path dir = Files.createTempDirectory(work, "file-");
        store = FileQueueStore.builder().directory(dir).open();
      }
      case "h2" -> {
        Path dir = Files.createTempDirectory(work, "h2-");
        pool = pool("jdbc:h2:file:" + dir.resolve("queue") + ";WRITE_DELAY=0", 10);
        store = JdbcQueueStore.builder().dataSource(pool).tablePrefix(prefix).build();
      }
      case "postgresql" -> {
        pool = pool(pgUrl, 10);
        store = JdbcQueueStore.builder().dataSource(pool).tablePrefix(prefix + kind + "_").build();
        truncate(pool, prefix + kind + "_");
      }
      default -> throw new IllegalArgumentException(kind);
    }
    CountDownLatch delivered = new CountDownLatch(n);
    Mta mta =
        Mta.builder()
            .hostname("bench.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .queueStore(store)
            .localDelivery(d -> delivered.countDown())
            .build();
    mta.start();
    byte[] content = content();
    try (ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS)) {
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < SUBMITTERS; t++) {
        int first = t;
        done.add(
            submitters.submit(
                () -> {
                  for (int i = first; i < n; i += SUBMITTERS) {
                    mta.submit("bench@client.test", List.of("sink@example.test"), content);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
      long tEnqueued = System.nanoTime();
      if (!delivered.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException(kind + ": not all delivered");
      }
      long t1 = System.nanoTime();
      return new double[] {n / ((tEnqueued - t0) / 1e9), n / ((t1 - t0) / 1e9)};
    } finally {
      mta.close();
      store.close();
      if (pool != null) {
        pool.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // scale-out

  private static boolean scale(String pgUrl, int proxyPort, int m, int c, int rounds)
      throws Exception {
    System.out.printf(
        "scale-out: %d messages pre-enqueued in PostgreSQL; each node %d deliveries at once to"
            + " smtp-sink behind a 20 ms round trip%n",
        m, c);
    Map<Integer, List<Double>> rates = new HashMap<>();
    boolean ok = true;
    for (int r = 1; r <= rounds; r++) {
      int[] order = r % 2 == 1 ? new int[] {1, 3} : new int[] {3, 1};
      for (int nodes : order) {
        String prefix = "s" + r + "_" + nodes + "_";
        double rate = runScale(pgUrl, proxyPort, m, c, nodes, prefix);
        if (rate < 0) {
          ok = false;
          continue;
        }
        rates.computeIfAbsent(nodes, k -> new ArrayList<>()).add(rate);
        System.out.printf(
            "  round %d  %d node(s): %6.1f msgs/s  (load %s)%n", r, nodes, rate, load());
      }
    }
    double one = medianOf(rates.get(1));
    double three = medianOf(rates.get(3));
    System.out.printf(
        "scale-out, medians: 1 node %.1f msgs/s, 3 nodes %.1f msgs/s: %.2fx (target >= 2.5x)%n",
        one, three, three / one);
    return ok;
  }

  /** One scale-out run; messages/s between 10 % and 90 % drained, or -1 on failure. */
  private static double runScale(String pgUrl, int proxyPort, int m, int c, int nodes, String prefix)
      throws Exception {
    try (HikariDataSource pool = pool(pgUrl, 8)) {
      JdbcQueueStore store = JdbcQueueStore.builder().dataSource(pool).tablePrefix(prefix).build();
      truncate(pool, prefix);
      byte[] content = content();
      // the measured messages wait (due in an hour) while the nodes start and warm up on the
      // warm-up messages (due now); then all of them fall due at once
      enqueue(store, prefix + "w", WARMUP, Instant.now(), content);
      enqueue(store, prefix + "m", m, Instant.now().plusSeconds(3600), content);
      List<Process> children = new ArrayList<>();
      try {
        for (int i = 1; i <= nodes; i++) {
          children.add(startNode(pgUrl, prefix, proxyPort, c, "node-" + i));
        }
        for (Process p : children) {
          BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
          String line;
          while ((line = out.readLine()) != null && !line.equals("READY")) {
            System.out.println("    node: " + line);
          }
          if (line == null) {
            System.out.println("    a node died at start");
            return -1;
          }
        }
        long warmupDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (count(pool, prefix) > m && System.nanoTime() < warmupDeadline) {
          Thread.sleep(20); // sampling the queue's size, not waiting for an event
        }
        makeDue(pool, prefix);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        long t10 = 0;
        long t90 = 0;
        long left;
        while ((left = count(pool, prefix)) > 0 && System.nanoTime() < deadline) {
          long now = System.nanoTime();
          if (t10 == 0 && left <= m * 0.9) {
            t10 = now;
          }
          if (t90 == 0 && left <= m * 0.1) {
            t90 = now;
          }
          Thread.sleep(20); // sampling the queue's size, not waiting for an event
        }
        if (left > 0 || t10 == 0 || t90 == 0) {
          System.out.println("    " + left + " messages still queued after 5 minutes");
          return -1;
        }
        return (m * 0.8) / ((t90 - t10) / 1e9);
      } finally {
        for (Process p : children) {
          p.getOutputStream().close(); // the node's stdin: it stops
        }
        for (Process p : children) {
          if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
          String rest = new String(p.getInputStream().readAllBytes(), US_ASCII).strip();
          if (!rest.isEmpty() && !rest.startsWith("DONE ") || rest.contains("FIRST-FAILURE")) {
            System.out.println("    node: " + rest.replace("\n", "\n    node: "));
          }
        }
      }
    }
  }

  private static void enqueue(
      JdbcQueueStore store, String idPrefix, int n, Instant arrivedAt, byte[] content)
      throws Exception {
    try (ExecutorService t = Executors.newFixedThreadPool(SUBMITTERS)) {
      List<Future<?>> done = new ArrayList<>();
      for (int s = 0; s < SUBMITTERS; s++) {
        int first = s;
        done.add(
            t.submit(
                () -> {
                  for (int i = first; i < n; i += SUBMITTERS) {
                    store.enqueue(
                        new NewMessage(
                            idPrefix + i,
                            "bench@client.test",
                            List.of(Recipient.of("sink@remote.test")),
                            MailParameters.NONE,
                            arrivedAt),
                        new ByteArrayInputStream(content));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
    }
  }

  /** The benchmark's one write behind the store's back: every waiting message due now. */
  private static void makeDue(HikariDataSource pool, String prefix) throws Exception {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.executeUpdate(
          "UPDATE "
              + prefix
              + "message SET next_attempt_at = now(), claimable_at = now() WHERE NOT held");
    }
  }

  private static Process startNode(String url, String prefix, int port, int c, String nodeId)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        new ArrayList<>(
            List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), JdbcBenchNode.class.getName(), url, prefix,
                Integer.toString(port), Integer.toString(c), nodeId));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  // ---------------------------------------------------------------------------------------------

  private static HikariDataSource pool(String url, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    return new HikariDataSource(config);
  }

  private static void truncate(HikariDataSource pool, String prefix) throws Exception {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DELETE FROM " + prefix + "message");
    }
  }

  private static long count(HikariDataSource pool, String prefix) throws Exception {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT COUNT(*) FROM " + prefix + "message")) {
      r.next();
      return r.getLong(1);
    }
  }

  private static byte[] content() {
    StringBuilder b =
        new StringBuilder("From: bench@client.test\r\nTo: sink@example.test\r\nSubject: bench\r\n\r\n");
    while (b.length() < 2048) {
      b.append("x".repeat(76)).append("\r\n");
    }
    return b.toString().getBytes(US_ASCII);
  }

  private static double median(List<double[]> runs, int index) {
    double[] v = runs.stream().mapToDouble(a -> a[index]).sorted().toArray();
    return v[v.length / 2];
  }

  private static double medianOf(List<Double> runs) {
    if (runs == null || runs.isEmpty()) {
      return Double.NaN;
    }
    double[] v = runs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v[v.length / 2];
  }

  private static String load() {
    try {
      return Arrays.stream(Files.readString(Path.of("/proc/loadavg")).split(" "))
          .limit(3)
          .reduce((a, b) -> a + " " + b)
          .orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
