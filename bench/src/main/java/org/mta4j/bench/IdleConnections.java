package org.mta4j.bench;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Heap and latency of a server holding many idle SMTP sessions, all on loopback.
 *
 * <pre>
 *   java -cp ... org.mta4j.bench.IdleConnections [--server=mta4j] [--connections=10000]
 *       [--sessions=20] [--size=10240] [--sources=1]
 * </pre>
 *
 * <ol>
 *   <li>starts the server (a BenchServer JVM), warms it up with 500 full sessions;
 *   <li>baseline: heap used after GC, RSS, threads, and the latency of {@code --sessions} full
 *       sessions (EHLO, MAIL, RCPT, DATA of {@code --size} bytes, QUIT), one after another;
 *   <li>opens {@code --connections} connections that read the greeting and then stay idle (from
 *       {@code --sources} loopback addresses 127.0.0.2.. when more than one);
 *   <li>the same measurements with them open, plus {@code jcmd GC.heap_info};
 *   <li>checks that a sample of the idle sessions still answers NOOP, then closes everything.
 * </ol>
 *
 * Every loop is bounded by count and by a deadline. Exit code 0 only if every connection opened,
 * every session succeeded, the sample answered and the server counted every message.
 */
public final class IdleConnections {
  private static final int TIMEOUT_MILLIS = 30_000;
  private static final Duration OPEN_DEADLINE = Duration.ofMinutes(3);

  /** No AlwaysPreTouch here, so that the RSS reported means something. */
  static final List<String> JVM_FLAGS = Procs.serverJvmFlags("-Xms1g -Xmx1g -XX:+UseG1GC");

  private IdleConnections() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = ThroughputBench.options(args);
    String kind = opt.getOrDefault("server", "mta4j");
    int connections = Integer.parseInt(opt.getOrDefault("connections", "10000"));
    int sessions = Integer.parseInt(opt.getOrDefault("sessions", "20"));
    int size = Integer.parseInt(opt.getOrDefault("size", "10240"));
    int sources = Integer.parseInt(opt.getOrDefault("sources", "1"));
    if (connections <= 0 || sessions <= 0 || size <= 0 || sources <= 0 || sources > 250) {
      throw new IllegalArgumentException("connections, sessions, size > 0; sources 1..250");
    }
    byte[] content = SmtpClient.message(size);
    int port = Procs.freePort();
    boolean ok = true;
    System.out.printf(
        Locale.ROOT, "# idle connections: %s, %d idle sessions, %d timed sessions of %d bytes%n",
        kind, connections, sessions, content.length);
    System.out.println("# server JVM: " + System.getProperty("java.home") + " " + JVM_FLAGS);

    try (Procs.JavaServer server = new Procs.JavaServer(kind, port, JVM_FLAGS)) {
      server.awaitReady(Duration.ofSeconds(60));
      long pid = server.pid();

      long warmDeadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      for (int i = 0; i < 500 && System.nanoTime() < warmDeadline; i++) {
        SmtpClient.fullSession("127.0.0.1", port, content, TIMEOUT_MILLIS);
      }
      server.ask("RESET", "RESET", Duration.ofSeconds(30));

      System.out.println();
      System.out.println("## baseline (no idle connections)");
      long heap0 = heap(server);
      printProcess(pid);
      double[] base = latencies(port, content, sessions);
      printLatencies(base);

      System.out.println();
      System.out.printf(Locale.ROOT, "## opening %d idle connections%n", connections);
      List<SmtpClient> idle = new ArrayList<>(connections);
      long t0 = System.nanoTime();
      long deadline = t0 + OPEN_DEADLINE.toNanos();
      String failure = null;
      try {
        for (int i = 0; i < connections && System.nanoTime() < deadline; i++) {
          InetAddress source =
              sources == 1 ? null : InetAddress.getByName("127.0.0." + (2 + i % sources));
          try {
            idle.add(SmtpClient.connect(source, "127.0.0.1", port, TIMEOUT_MILLIS));
          } catch (Exception e) {
            failure = "connection " + i + ": " + e;
            break;
          }
        }
        double openSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            Locale.ROOT, "opened %d of %d in %.1f s (each read its 220 greeting)%s%n",
            idle.size(), connections, openSeconds, failure == null ? "" : "; FAILED at " + failure);
        ok &= idle.size() == connections;

        System.out.println();
        System.out.printf(Locale.ROOT, "## with %d idle connections open%n", idle.size());
        long heap1 = heap(server);
        System.out.printf(
            Locale.ROOT, "heap growth: %.1f MiB, %.1f KiB per idle session%n",
            (heap1 - heap0) / 1048576.0, idle.isEmpty() ? 0 : (heap1 - heap0) / 1024.0 / idle.size());
        printProcess(pid);
        Procs.Result jcmd =
            Procs.run(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.heap_info"),
                Duration.ofSeconds(60));
        System.out.println("jcmd " + pid + " GC.heap_info:");
        jcmd.output().lines().forEach(l -> System.out.println("    " + l));
        double[] loaded = latencies(port, content, sessions);
        printLatencies(loaded);

        int sample = Math.min(100, idle.size());
        int answered = 0;
        for (int i = 0; i < sample; i++) {
          try {
            idle.get(i * (idle.size() / sample)).command("NOOP", 250);
            answered++;
          } catch (Exception e) {
            System.out.println("idle session " + i + " did not answer NOOP: " + e);
          }
        }
        System.out.printf(Locale.ROOT, "NOOP check: %d of %d sampled idle sessions answered 250%n", answered, sample);
        ok &= answered == sample;
      } finally {
        for (SmtpClient c : idle) {
          try {
            c.close();
          } catch (Exception ignored) {
            // closing anyway
          }
        }
      }
      long counted = server.count();
      long expected = 2L * sessions;
      System.out.printf(Locale.ROOT, "server counted %d of %d timed messages%n", counted, expected);
      ok &= counted == expected;
    }
    System.out.println(ok ? "RESULT ok" : "RESULT FAILED");
    System.exit(ok ? 0 : 1);
  }

  private static long heap(Procs.JavaServer server) throws Exception {
    String[] f = server.ask("HEAP", "HEAP", Duration.ofSeconds(60)).split(" ");
    long used = Long.parseLong(f[1]);
    System.out.printf(
        Locale.ROOT, "heap used after System.gc(): %.1f MiB (committed %.0f MiB)%n",
        used / 1048576.0, Long.parseLong(f[2]) / 1048576.0);
    return used;
  }

  private static void printProcess(long pid) throws Exception {
    System.out.printf(
        "server process: VmRSS %s, threads %s%n", Procs.status(pid, "VmRSS"), Procs.status(pid, "Threads"));
  }

  /** Full sessions one after another; each timed from connect to the 221 reply to QUIT. */
  private static double[] latencies(int port, byte[] content, int sessions) throws Exception {
    double[] ms = new double[sessions];
    for (int i = 0; i < sessions; i++) {
      long t = System.nanoTime();
      SmtpClient.fullSession("127.0.0.1", port, content, TIMEOUT_MILLIS);
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    return ms;
  }

  private static void printLatencies(double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    System.out.printf(
        Locale.ROOT, "full session (EHLO/MAIL/RCPT/DATA/QUIT) latency over %d sessions: median %.2f ms, min %.2f, p90 %.2f, max %.2f%n",
        s.length, ThroughputBench.median(s), s[0], s[(int) Math.ceil(0.9 * s.length) - 1], s[s.length - 1]);
  }
}
