package org.mta4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Relay throughput end to end: {@code smtp-source → relay → smtp-sink}, all on 127.0.0.1, where the
 * relay is mta4j ({@link RelayServer}: memory queue, smarthost = the sink) or a throwaway Postfix
 * ({@code bench/lib/postfix-instance.sh} in {@code relay:127.0.0.1:SINKPORT} mode, queue under
 * /tmp).
 *
 * <pre>
 *   java -cp ... org.mta4j.bench.RelayBench [--messages=10000] [--rounds=3] [--warmup=N]
 *       [--sessions=20] [--size=10240] [--relays=mta4j,postfix] [--max-foreign=15] [--attempts=3]
 *       [--postfix-script=bench/lib/postfix-instance.sh] [--drain-timeout=300] [--jfr=DIR]
 *       [--destination-concurrency=N]
 * </pre>
 *
 * <p>For each round, and in each round for each relay in turn (round-robin, as {@link
 * ThroughputBench}): start a fresh smtp-sink and the relay, warm up with one discarded run (wait
 * until the sink has all of it), then time one run: the clock starts just before smtp-source
 * starts and stops when the sink's counter reaches N (polled every 10 ms), so the rate includes
 * queueing and delivery, not only acceptance. The time at which smtp-source exited gives the accept
 * rate too. Checks: smtp-source exits 0, the sink counts exactly N (read again 1 s later, to catch
 * duplicates), and mta4j's own counters say N delivered and nothing deferred. CPU per message of
 * the relay (mta4j's JVM; Postfix's master and all its workers), the sink and smtp-source, and the
 * "other load" guard, as in {@link ThroughputBench}.
 */
public final class RelayBench {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);

  private RelayBench() {}

  record Measurement(
      String relay, int round, double e2eRate, double acceptRate, double relayCpuMicros,
      double relayUserMicros, double relaySysMicros, double sinkCpuMicros, double sourceCpuMicros,
      long sinkSessions, double foreignLoad, boolean ok, String note) {
    Measurement failed(String why) {
      return new Measurement(relay, round, e2eRate, acceptRate, relayCpuMicros, relayUserMicros,
          relaySysMicros, sinkCpuMicros, sourceCpuMicros, sinkSessions, foreignLoad, false,
          note.isEmpty() ? why : note + "; " + why);
    }

    Measurement withNote(String text) {
      return new Measurement(relay, round, e2eRate, acceptRate, relayCpuMicros, relayUserMicros,
          relaySysMicros, sinkCpuMicros, sourceCpuMicros, sinkSessions, foreignLoad, ok,
          note.isEmpty() ? text : note + "; " + text);
    }
  }

  private record Settings(
      int messages, int warmup, int sessions, int size, double maxForeign, int attempts,
      Path postfixScript, Duration drainTimeout, String jfrDir, Integer destinationConcurrency) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = ThroughputBench.options(args);
    int messages = Integer.parseInt(opt.getOrDefault("messages", "10000"));
    int rounds = Integer.parseInt(opt.getOrDefault("rounds", "3"));
    int warmup = Integer.parseInt(opt.getOrDefault("warmup", Integer.toString(messages)));
    int sessions = Integer.parseInt(opt.getOrDefault("sessions", "20"));
    int size = Integer.parseInt(opt.getOrDefault("size", "10240"));
    List<String> relays = Arrays.asList(opt.getOrDefault("relays", "mta4j,postfix").split(","));
    for (String r : relays) {
      if (!List.of("mta4j", "postfix").contains(r)) {
        throw new IllegalArgumentException("unknown relay: " + r);
      }
    }
    double maxForeign = Double.parseDouble(opt.getOrDefault("max-foreign", "15")) / 100;
    int attempts = Integer.parseInt(opt.getOrDefault("attempts", "3"));
    Path script = Path.of(opt.getOrDefault("postfix-script", "bench/lib/postfix-instance.sh"));
    Duration drain = Duration.ofSeconds(Long.parseLong(opt.getOrDefault("drain-timeout", "300")));
    Integer destConc =
        opt.containsKey("destination-concurrency")
            ? Integer.valueOf(opt.get("destination-concurrency"))
            : null;
    if (messages <= 0 || rounds <= 0 || rounds > 20 || warmup < 0 || sessions <= 0 || size <= 0
        || attempts <= 0 || attempts > 10 || drain.isNegative() || drain.isZero()) {
      throw new IllegalArgumentException(
          "messages, sessions, size, drain-timeout > 0; rounds 1..20; attempts 1..10");
    }
    if (relays.contains("postfix") && !Files.isReadable(script)) {
      throw new IllegalArgumentException("postfix-script not found: " + script.toAbsolutePath());
    }
    Settings s = new Settings(messages, warmup, sessions, size, maxForeign, attempts, script, drain,
        opt.get("jfr"), destConc);

    System.out.printf(
        Locale.ROOT,
        "# relay end to end: smtp-source -> relay -> smtp-sink, %d msgs x %d bytes, %d sessions,"
            + " %d rounds, warm-up %d msgs%n",
        messages, size, sessions, rounds, warmup);
    System.out.println("# mta4j JVM: " + System.getProperty("java.home") + " " + ThroughputBench.JVM_FLAGS
        + " org.mta4j.bench.RelayServer PORT SINKPORT"
        + (destConc != null ? " " + destConc : ""));
    System.out.println("# postfix: " + script + " start /tmp/mta4j-bench-postfix-... PORT relay:127.0.0.1:SINKPORT");
    System.out.println("# sink: smtp-sink -u nobody -c 127.0.0.1:SINKPORT 1024");
    System.out.println("# source: " + String.join(" ",
        ThroughputBench.sourceCommand(messages, sessions, size, false, 0)).replace(":0", ":PORT"));

    List<Measurement> all = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      for (String relay : relays) {
        Measurement m;
        try {
          m = measure(relay, round, s);
        } catch (Exception e) {
          m = new Measurement(relay, round, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, e.toString());
        }
        all.add(m);
        System.out.printf(
            Locale.ROOT,
            "round %d %-8s %6.0f msgs/s end to end (accept %6.0f msgs/s)  CPU/msg: relay %6.1f us"
                + "%s, smtp-sink %5.1f us, smtp-source %5.1f us; sink sessions %d; other load %3.0f %%  %s%s%n",
            round, relay, m.e2eRate(), m.acceptRate(), m.relayCpuMicros(),
            m.relayUserMicros() >= 0
                ? String.format(Locale.ROOT, " (user %.1f + sys %.1f)", m.relayUserMicros(), m.relaySysMicros())
                : "",
            m.sinkCpuMicros(), m.sourceCpuMicros(), m.sinkSessions(), 100 * m.foreignLoad(),
            m.ok() ? "ok" : "FAILED", m.note().isEmpty() ? "" : " (" + m.note() + ")");
      }
    }
    System.exit(report(all, relays, messages) ? 0 : 1);
  }

  /** A relay under test: mta4j's JVM or a Postfix instance. */
  private interface Relay extends AutoCloseable {
    /** CPU (ms) so far: {total, user, sys}; user and sys are -1 when not known separately. */
    long[] cpu() throws IOException;

    void reset() throws Exception;

    /**
     * Waits (bounded) until the relay itself has finished with what the sink already counted: the
     * sink counts a message at its ".", the relay records the delivery only after the 250, so a
     * reset right after the sink's count could see the last deliveries of the previous run.
     */
    void settle(Duration timeout) throws Exception;

    /** Extra checks after a run; null when all is well, else why not. */
    String check(int messages) throws Exception;

    void startProfile(String jfrDir) throws Exception;

    void stopProfile(String jfrDir, int round) throws Exception;

    @Override
    void close() throws Exception;
  }

  private static Measurement measure(String kind, int round, Settings s) throws Exception {
    int sinkPort = Procs.freePort();
    try (SmtpSinkProcess sink = SmtpSinkProcess.start(sinkPort)) {
      int port = Procs.freePort();
      try (Relay relay =
          kind.equals("mta4j") ? startMta4j(port, sinkPort, s) : startPostfix(port, sinkPort, round, s)) {
        if (s.warmup() > 0) {
          Procs.Result w = Procs.run(
              ThroughputBench.sourceCommand(s.warmup(), s.sessions(), s.size(), false, port),
              RUN_TIMEOUT);
          if (w.exitCode() != 0) {
            return failed(kind, round, "warm-up smtp-source exit " + w.exitCode() + ": " + w.output().strip());
          }
          long seen = sink.awaitCount(s.warmup(), s.drainTimeout(), Duration.ofMillis(50));
          if (seen != s.warmup()) {
            return failed(kind, round, "warm-up: the sink counted " + seen + " of " + s.warmup());
          }
          relay.settle(Duration.ofSeconds(30));
        }
        Measurement best = null;
        for (int attempt = 1; attempt <= s.attempts(); attempt++) {
          relay.settle(Duration.ofSeconds(30));
          Measurement m = timedRun(kind, round, relay, sink, port, s);
          if (!m.ok()) {
            return m;
          }
          if (best == null || m.foreignLoad() < best.foreignLoad()) {
            best = attempt == 1 ? m : m.withNote("attempt " + attempt);
          }
          if (m.foreignLoad() <= s.maxForeign()) {
            break;
          }
          System.out.printf(
              Locale.ROOT,
              "  (%s round %d attempt %d: other processes took %.0f %% of the CPU, %.0f msgs/s%s)%n",
              kind, round, attempt, 100 * m.foreignLoad(), m.e2eRate(),
              attempt < s.attempts() ? "; measuring again" : "");
        }
        return best;
      }
    }
  }

  private static Measurement timedRun(
      String kind, int round, Relay relay, SmtpSinkProcess sink, int port, Settings s)
      throws Exception {
    int n = s.messages();
    relay.reset();
    sink.reset();
    long sessions0 = sink.sessions();
    if (s.jfrDir() != null) {
      relay.startProfile(s.jfrDir());
    }
    long[] relay0 = relay.cpu();
    long[] sink0 = Procs.cpuMillis(sink.pid());
    long[] self0 = Procs.selfCpuMillis();
    long[] machine0 = Procs.machineJiffies();
    long t0 = System.nanoTime();
    Procs.Result r = Procs.run(
        ThroughputBench.sourceCommand(n, s.sessions(), s.size(), false, port), RUN_TIMEOUT);
    long tAccepted = System.nanoTime();
    long seen = sink.awaitCount(n, s.drainTimeout(), Duration.ofMillis(10));
    long tEnd = System.nanoTime();
    long[] relay1 = relay.cpu();
    long[] sink1 = Procs.cpuMillis(sink.pid());
    long[] self1 = Procs.selfCpuMillis();
    long[] machine1 = Procs.machineJiffies();
    if (s.jfrDir() != null) {
      relay.stopProfile(s.jfrDir(), round);
    }
    long relayMs = relay1[0] - relay0[0];
    long sinkMs = (sink1[0] + sink1[1]) - (sink0[0] + sink0[1]);
    long sourceMs = self1[1] - self0[1]; // smtp-source, the only child reaped in between
    long driverMs = self1[0] - self0[0];
    long busyMs = (machine1[0] - machine0[0]) * 10;
    long capacityMs = Math.max(1, (machine1[1] - machine0[1]) * 10);
    double foreign =
        Math.max(0, busyMs - relayMs - sinkMs - sourceMs - driverMs) / (double) capacityMs;
    double perMsg = 1000.0 / n;
    Measurement m = new Measurement(
        kind, round, n / ((tEnd - t0) / 1e9), n / ((tAccepted - t0) / 1e9), relayMs * perMsg,
        relay1[1] < 0 ? -1 : (relay1[1] - relay0[1]) * perMsg,
        relay1[2] < 0 ? -1 : (relay1[2] - relay0[2]) * perMsg,
        sinkMs * perMsg, sourceMs * perMsg, sink.sessions() - sessions0, foreign, true, "");
    if (r.exitCode() != 0) {
      return m.failed("smtp-source exit " + r.exitCode() + ": " + r.output().strip());
    }
    if (seen != n) {
      return m.failed("the sink counted " + seen + " of " + n + " within " + s.drainTimeout());
    }
    Thread.sleep(1000); // anything more arriving now would be a duplicate delivery
    long after = sink.count();
    if (after != n) {
      return m.failed("the sink counted " + after + " of " + n + " one second later (duplicates)");
    }
    String trouble = relay.check(n);
    if (trouble != null) {
      return m.failed(trouble);
    }
    return r.output().isBlank() ? m : m.withNote("smtp-source said: " + r.output().strip());
  }

  private static Measurement failed(String relay, int round, String why) {
    return new Measurement(relay, round, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, why);
  }

  private static Relay startMta4j(int port, int sinkPort, Settings s) throws Exception {
    List<String> args = new ArrayList<>(List.of(Integer.toString(port), Integer.toString(sinkPort)));
    if (s.destinationConcurrency() != null) {
      args.add(Integer.toString(s.destinationConcurrency()));
    }
    Procs.JavaServer js =
        new Procs.JavaServer("mta4j-relay", port, ThroughputBench.JVM_FLAGS, RelayServer.class, args);
    try {
      js.awaitReady(Duration.ofSeconds(60));
    } catch (Exception e) {
      js.close();
      throw e;
    }
    return new Relay() {
      @Override
      public long[] cpu() throws IOException {
        long[] c = Procs.cpuMillis(js.pid());
        return new long[] {c[0] + c[1], c[0], c[1]};
      }

      @Override
      public void reset() throws Exception {
        js.ask("RESET", "RESET", Duration.ofSeconds(30));
      }

      @Override
      public void settle(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
          String[] c = js.ask("COUNT", "COUNT", Duration.ofSeconds(30)).split(" ");
          long attempts = Long.parseLong(c[1]) + Long.parseLong(c[2]) + Long.parseLong(c[3]);
          if (attempts >= Long.parseLong(c[4])
              && js.ask("QUEUE", "QUEUE", Duration.ofSeconds(30)).equals("QUEUE 0")) {
            return;
          }
          Thread.sleep(20);
        }
      }

      @Override
      public String check(int messages) throws Exception {
        String[] c = js.ask("COUNT", "COUNT", Duration.ofSeconds(30)).split(" ");
        long delivered = Long.parseLong(c[1]);
        long deferred = Long.parseLong(c[2]);
        long bounced = Long.parseLong(c[3]);
        long queued = Long.parseLong(c[4]);
        String left = js.ask("QUEUE", "QUEUE", Duration.ofSeconds(30)).split(" ")[1];
        if (delivered != messages || deferred != 0 || bounced != 0 || queued != messages
            || !left.equals("0")) {
          return "mta4j counted queued " + queued + ", delivered " + delivered + ", deferred "
              + deferred + ", bounced " + bounced + ", left in queue " + left;
        }
        return null;
      }

      @Override
      public void startProfile(String jfrDir) throws Exception {
        Procs.startProfile(js.pid());
      }

      @Override
      public void stopProfile(String jfrDir, int round) throws Exception {
        Procs.stopProfile(js.pid(), Path.of(jfrDir, "relay-mta4j-r" + round + ".jfr"));
      }

      @Override
      public void close() throws Exception {
        js.close();
      }
    };
  }

  private static Relay startPostfix(int port, int sinkPort, int round, Settings s) throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "mta4j-bench-postfix-" + round + "-");
    String script = s.postfixScript().toAbsolutePath().toString();
    Procs.Result started = Procs.run(
        List.of("bash", script, "start", dir.toString(), Integer.toString(port),
            "relay:127.0.0.1:" + sinkPort),
        Duration.ofSeconds(60));
    if (started.exitCode() != 0) {
      Procs.run(List.of("bash", script, "stop", dir.toString()), Duration.ofSeconds(60));
      deleteTree(dir);
      throw new IOException("postfix-instance.sh start failed: " + started.output().strip());
    }
    long master = Long.parseLong(
        Files.readString(dir.resolve("queue/pid/master.pid")).replaceAll("[^0-9]", ""));
    return new Relay() {
      @Override
      public long[] cpu() throws IOException {
        return new long[] {Procs.treeCpuMillis(master), -1, -1};
      }

      @Override
      public void reset() {}

      @Override
      public void settle(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && check(0) != null) {
          Thread.sleep(100);
        }
      }

      @Override
      public String check(int messages) throws Exception {
        Procs.Result st = Procs.run(List.of("bash", script, "status", dir.toString()), Duration.ofSeconds(30));
        for (String line : st.output().split("\n")) {
          if (line.matches("(maildrop|incoming|active|deferred|hold): [1-9][0-9]*")) {
            return "postfix queue not empty: " + st.output().strip().replace('\n', ' ');
          }
        }
        return null;
      }

      @Override
      public void startProfile(String jfrDir) {}

      @Override
      public void stopProfile(String jfrDir, int round) {}

      @Override
      public void close() throws Exception {
        Procs.Result stopped =
            Procs.run(List.of("bash", script, "stop", dir.toString()), Duration.ofSeconds(60));
        if (stopped.exitCode() != 0) {
          System.err.println("# postfix stop: " + stopped.output().strip() + " (left " + dir + ")");
          return;
        }
        deleteTree(dir);
      }
    };
  }

  /** Removes a directory this driver created under /tmp (and nothing else). */
  private static void deleteTree(Path dir) throws IOException {
    if (!dir.toAbsolutePath().startsWith("/tmp/") || !dir.getFileName().toString().startsWith("mta4j-bench-postfix-")) {
      throw new IllegalArgumentException("refusing to delete " + dir);
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static boolean report(List<Measurement> all, List<String> relays, int messages) {
    System.out.println();
    System.out.println("| relay | median msgs/s end to end | runs | accept msgs/s (median) |"
        + " relay CPU us/msg | smtp-sink CPU us/msg | smtp-source CPU us/msg | sink sessions |"
        + " other load | checks |");
    System.out.println("|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
    Map<String, Double> medians = new LinkedHashMap<>();
    boolean allOk = true;
    for (String r : relays) {
      List<Measurement> ms = all.stream().filter(m -> m.relay().equals(r)).toList();
      boolean ok = ms.stream().allMatch(Measurement::ok);
      allOk &= ok;
      double med = ThroughputBench.median(ms.stream().mapToDouble(Measurement::e2eRate).toArray());
      medians.put(r, med);
      StringBuilder runs = new StringBuilder();
      for (Measurement m : ms) {
        runs.append(runs.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", m.e2eRate()));
      }
      System.out.printf(
          Locale.ROOT, "| %s | %.0f | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f %% | %s |%n",
          r, med, runs,
          ThroughputBench.median(ms.stream().mapToDouble(Measurement::acceptRate).toArray()),
          ThroughputBench.median(ms.stream().mapToDouble(Measurement::relayCpuMicros).toArray()),
          ThroughputBench.median(ms.stream().mapToDouble(Measurement::sinkCpuMicros).toArray()),
          ThroughputBench.median(ms.stream().mapToDouble(Measurement::sourceCpuMicros).toArray()),
          ThroughputBench.median(ms.stream().mapToDouble(Measurement::sinkSessions).toArray()),
          100 * ThroughputBench.median(ms.stream().mapToDouble(Measurement::foreignLoad).toArray()),
          ok ? "all " + ms.size() + " runs: sink counted " + messages : "FAILED");
    }
    if (medians.containsKey("mta4j") && medians.containsKey("postfix")) {
      List<Double> paired = new ArrayList<>();
      for (Measurement p : all) {
        if (p.relay().equals("postfix") && p.e2eRate() > 0) {
          all.stream()
              .filter(x -> x.relay().equals("mta4j") && x.round() == p.round() && x.e2eRate() > 0)
              .findFirst()
              .ifPresent(x -> paired.add(x.e2eRate() / p.e2eRate()));
        }
      }
      System.out.printf(
          Locale.ROOT, "%nmta4j / postfix = %.2fx (median of per-round ratios %.2fx)%n",
          medians.get("mta4j") / medians.get("postfix"),
          ThroughputBench.median(paired.stream().mapToDouble(Double::doubleValue).toArray()));
    }
    System.out.println(allOk ? "RESULT ok" : "RESULT FAILED (see the runs marked FAILED)");
    return allOk;
  }
}
