package org.mta4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Process plumbing for the drivers: BenchServer children, /proc readings, free ports. */
final class Procs {
  private Procs() {}

  /**
   * The JVM flags every Java server runs with: the driver's defaults, or the system property
   * bench.serverJvmFlags when set.
   */
  static List<String> serverJvmFlags(String defaults) {
    return List.of(System.getProperty("bench.serverJvmFlags", defaults).trim().split("\\s+"));
  }

  /** A free loopback port (bound and released; good enough on a quiet loopback). */
  static int freePort() throws IOException {
    try (ServerSocket ss = new ServerSocket()) {
      ss.bind(new InetSocketAddress("127.0.0.1", 0));
      return ss.getLocalPort();
    }
  }

  /** Waits until something accepts on 127.0.0.1:port, up to the timeout. */
  static void awaitListening(int port, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IOException("nothing listening on 127.0.0.1:" + port + " after " + timeout);
  }

  /** User and system CPU time of a live process in milliseconds, from /proc/PID/stat. */
  static long[] cpuMillis(long pid) throws IOException {
    return userSys(Path.of("/proc/" + pid + "/stat"));
  }

  private static long[] userSys(Path statFile) throws IOException {
    String stat = Files.readString(statFile);
    // the command name (field 2) may hold spaces: split after its closing parenthesis
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // utime, stime (fields 14, 15) in ticks; USER_HZ is 100 on Linux
    return new long[] {Long.parseLong(f[11]) * 10, Long.parseLong(f[12]) * 10};
  }

  /**
   * Per thread group of a live process (threads named alike, e.g. the ForkJoinPool carriers, the
   * names as /proc truncates them, trailing numbers dropped): {voluntary switches, involuntary
   * switches, user ms, system ms}. Threads that exit between two snapshots drop out of the sum.
   */
  static Map<String, long[]> threadGroups(long pid) throws IOException {
    Map<String, long[]> groups = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String name = Files.readString(task.resolve("comm")).strip().replaceAll("[-#]?\\d+$", "");
          long vol = 0;
          long invol = 0;
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              vol = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              invol = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
          long[] cpu = userSys(task.resolve("stat"));
          long[] g = groups.computeIfAbsent(name, k -> new long[4]);
          g[0] += vol;
          g[1] += invol;
          g[2] += cpu[0];
          g[3] += cpu[1];
        } catch (IOException | RuntimeException gone) {
          // the thread exited while being read
        }
      }
    }
    return groups;
  }

  /**
   * CPU time in ms (user + system) of a process tree that forks and reaps workers, such as
   * Postfix's master: the root's own time, the time of its reaped children (cutime + cstime) and
   * that of its live descendants. A worker's time moves from "live" to the master's "reaped" when it
   * exits, so the sum only grows; differences between two readings are the tree's CPU meanwhile.
   * Workers that exit and are reaped between readings are counted (their parent reaps them).
   */
  static long treeCpuMillis(long rootPid) throws IOException {
    Map<Long, List<Long>> children = new java.util.HashMap<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String stat = Files.readString(p.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          children.computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>())
              .add(Long.parseLong(name)); // f[1]: ppid
        } catch (IOException | RuntimeException gone) {
          // exited while being read
        }
      }
    }
    long total = 0;
    java.util.ArrayDeque<Long> todo = new java.util.ArrayDeque<>(List.of(rootPid));
    int seen = 0;
    while (!todo.isEmpty() && seen++ < 100_000) {
      long pid = todo.pop();
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // utime, stime, cutime, cstime (fields 14-17), in ticks of 10 ms
        total += (Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13])
            + Long.parseLong(f[14])) * 10;
      } catch (IOException | RuntimeException gone) {
        continue; // exited meanwhile: its time is in its parent's cutime at the next reading
      }
      todo.addAll(children.getOrDefault(pid, List.of()));
    }
    return total;
  }

  /** This process's own CPU and that of its reaped children, in ms: {self, children}. */
  static long[] selfCpuMillis() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long self = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
    long children = Long.parseLong(f[13]) + Long.parseLong(f[14]); // cutime, cstime
    return new long[] {self * 10, children * 10};
  }

  /** Jiffies of the whole machine from /proc/stat: {busy, total} (idle and iowait count as idle). */
  static long[] machineJiffies() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
      total += Long.parseLong(f[i]);
    }
    long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
    return new long[] {total - idle, total};
  }

  /** One field of /proc/PID/status, e.g. VmRSS or Threads, as its raw text. */
  static String status(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    return "?";
  }

  /** Runs a command to its end (bounded by the timeout) and returns its exit code and output. */
  static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    StringBuilder out = new StringBuilder();
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                      synchronized (out) {
                        if (out.length() < 20_000) {
                          out.append(line).append('\n');
                        }
                      }
                    }
                  } catch (IOException ignored) {
                    // the process went away
                  }
                });
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      reader.join(1000);
      return new Result(-1, "TIMEOUT after " + timeout + "\n" + out);
    }
    reader.join(2000);
    synchronized (out) {
      return new Result(p.exitValue(), out.toString());
    }
  }

  record Result(int exitCode, String output) {}

  /** Runs {@code jcmd PID args...} (e.g. JFR.start), printing its complaint if it fails. */
  static void jcmd(long pid, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    cmd.add(Long.toString(pid));
    cmd.addAll(List.of(args));
    Result r = run(cmd, Duration.ofSeconds(60));
    if (r.exitCode() != 0 || r.output().contains("Exception")) {
      System.err.println("# jcmd " + String.join(" ", args) + ": " + r.output().strip());
    }
  }

  /** Starts a JFR recording named "bench" sampling every 1 ms of wall and CPU time (JDK 25). */
  static void startProfile(long pid) throws IOException, InterruptedException {
    jcmd(pid, "JFR.start", "name=bench", "settings=profile", "jdk.ExecutionSample#period=1ms",
        "jdk.NativeMethodSample#period=1ms", "jdk.CPUTimeSample#enabled=true",
        "jdk.CPUTimeSample#throttle=1ms");
  }

  /** Stops the "bench" recording into {@code file} and says where it is. */
  static void stopProfile(long pid, Path file) throws IOException, InterruptedException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    jcmd(pid, "JFR.stop", "name=bench", "filename=" + file.toAbsolutePath());
    System.out.println("# profile: " + file.toAbsolutePath());
  }

  /**
   * A BenchServer child JVM and its stdin/stdout control protocol (see {@link BenchServer}).
   * Replies are read on a virtual thread so every wait has a timeout.
   */
  static final class JavaServer implements AutoCloseable {
    final String kind;
    final int port;
    final Process process;
    private final Writer control;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    JavaServer(String kind, int port, List<String> jvmFlags) throws IOException {
      this(kind, port, jvmFlags, BenchServer.class, List.of(kind, Integer.toString(port)));
    }

    /**
     * Any main class of this project that speaks the same protocol ({@code READY}, then one-line
     * commands on stdin, {@code QUIT}); {@code label} names it in messages.
     */
    JavaServer(String label, int port, List<String> jvmFlags, Class<?> main, List<String> args)
        throws IOException {
      this(label, port, jvmFlags, System.getProperty("java.class.path"), main, args);
    }

    /** The same with another class path (e.g. a saved build of mta4j to compare against). */
    JavaServer(
        String label,
        int port,
        List<String> jvmFlags,
        String classPath,
        Class<?> main,
        List<String> args)
        throws IOException {
      this.kind = label;
      this.port = port;
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmFlags);
      cmd.add("-cp");
      cmd.add(classPath);
      cmd.add(main.getName());
      cmd.addAll(args);
      this.process =
          new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      this.control = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
      Thread.ofVirtual()
          .start(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    lines.add(line);
                  }
                } catch (IOException ignored) {
                  // the server exited
                }
              });
    }

    long pid() {
      return process.pid();
    }

    /** Waits for the READY line. */
    void awaitReady(Duration timeout) throws IOException, InterruptedException {
      expect("READY", timeout);
    }

    /** Sends one command and returns the reply line that starts with {@code prefix}. */
    String ask(String command, String prefix, Duration timeout)
        throws IOException, InterruptedException {
      control.write(command + "\n");
      control.flush();
      return expect(prefix, timeout);
    }

    private String expect(String prefix, Duration timeout) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new IOException(
              kind + ": no '" + prefix + "' line within " + timeout
                  + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")"));
        }
        if (line.startsWith(prefix)) {
          return line;
        }
        System.err.println("  [" + kind + "] " + line);
      }
    }

    /** Messages received since the last RESET. */
    long count() throws IOException, InterruptedException {
      return Long.parseLong(ask("COUNT", "COUNT", Duration.ofSeconds(30)).split(" ")[1]);
    }

    @Override
    public void close() throws InterruptedException {
      try {
        control.write("QUIT\n");
        control.flush();
      } catch (IOException ignored) {
        // already gone
      }
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }
}
