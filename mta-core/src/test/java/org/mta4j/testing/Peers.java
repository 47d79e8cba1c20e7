package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds and runs the real peer programs that tests talk to: Postfix's {@code smtp-source} and
 * {@code smtp-sink}, {@code swaks}, Debian's {@code python3} with aiosmtpd and dkimpy, {@code
 * knotd}, PostgreSQL and so on.
 *
 * <p>A missing peer never passes silently. When the environment variable {@value
 * #REQUIRE_PEERS_ENV} is {@code 1} (as {@code .ci/run} sets it, after installing every peer) a
 * missing peer fails the test; otherwise the test is aborted, which JUnit reports as skipped with
 * the reason.
 *
 * <pre>{@code
 * Path source = Peers.executable("smtp-source");
 * Peers.run(Duration.ofSeconds(60),
 *         List.of(source.toString(), "-m", "100", "127.0.0.1:" + port))
 *     .assertSuccess();
 * }</pre>
 *
 * <p>All methods are thread-safe. Failures are reported through JUnit: {@link
 * org.opentest4j.AssertionFailedError} for a failure, {@link org.opentest4j.TestAbortedException}
 * for a skip; {@link IllegalArgumentException} means the test itself misused this class.
 */
public final class Peers {

  /** The environment variable that turns a missing peer from a skip into a failure. */
  public static final String REQUIRE_PEERS_ENV = "MTA4J_REQUIRE_PEERS";

  /**
   * Debian's interpreter, which has the packaged modules (python3-aiosmtpd, python3-dkim...). The
   * {@code python3} on PATH may be another one (pyenv) without them.
   */
  public static final Path DEBIAN_PYTHON3 = Path.of("/usr/bin/python3");

  // Where peers live besides PATH: Postfix's tools and knotd are in /usr/sbin, which a non-root
  // PATH often lacks.
  private static final List<Path> EXTRA_DIRS = List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"));

  private static final Duration PYTHON_CHECK_TIMEOUT = Duration.ofSeconds(20);
  private static final Pattern PYTHON_MODULE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

  // Key: the sorted module names. Value: empty when /usr/bin/python3 imports them all, else why.
  private static final ConcurrentMap<List<String>, Optional<String>> PYTHON_CHECKS =
      new ConcurrentHashMap<>();

  // A failure message carries at most this much of each stream (the end, where errors usually are).
  private static final int MAX_OUTPUT_IN_MESSAGE = 20_000;

  // How long to wait for the output pipes to reach EOF once the process tree has been killed.
  private static final Duration DRAIN_AFTER_KILL = Duration.ofSeconds(5);
  private static final Duration GRACE_AFTER_TIMEOUT = Duration.ofSeconds(2);

  private Peers() {}

  /**
   * The outcome of a process that ran to its end.
   *
   * @param exitCode the process's exit status
   * @param stdout everything it wrote to standard output, decoded as UTF-8
   * @param stderr everything it wrote to standard error, decoded as UTF-8
   */
  public record ProcessResult(int exitCode, String stdout, String stderr) {

    public ProcessResult {
      Objects.requireNonNull(stdout, "stdout");
      Objects.requireNonNull(stderr, "stderr");
    }

    /** Fails the test, showing both outputs, unless the exit code is 0; returns this otherwise. */
    public ProcessResult assertSuccess() {
      if (exitCode != 0) {
        Assertions.fail("process exited with " + exitCode + describeOutput(stdout, stderr));
      }
      return this;
    }
  }

  /**
   * The absolute path of the executable {@code name}, searched on PATH and then in /usr/sbin and
   * /usr/bin; a name that is already an absolute path is only checked. Fails or skips the test (see
   * the class comment) when there is none.
   */
  public static Path executable(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name must not be empty");
    }
    Path given = Path.of(name);
    if (given.isAbsolute()) {
      if (isExecutableFile(given)) {
        return given;
      }
      return missing("peer " + name + " not installed");
    }
    if (given.getNameCount() != 1) {
      throw new IllegalArgumentException(
          "name must be a bare program name or an absolute path: " + name);
    }
    LinkedHashSet<Path> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(Pattern.quote(File.pathSeparator))) {
        if (!dir.isEmpty()) {
          dirs.add(Path.of(dir).toAbsolutePath().normalize());
        }
      }
    }
    dirs.addAll(EXTRA_DIRS);
    for (Path dir : dirs) {
      Path candidate = dir.resolve(name);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
    return missing("peer " + name + " not installed (searched " + dirs + ")");
  }

  /**
   * Debian's {@code /usr/bin/python3}, after checking (once per set of modules, for the whole test
   * run) that it imports every one of {@code modules}; not the {@code python3} on PATH. Fails or
   * skips the test (see the class comment) when it cannot.
   *
   * @param modules Python module names such as {@code "aiosmtpd"} or {@code "dkim"}
   */
  public static Path python3With(String... modules) {
    TreeSet<String> sorted = new TreeSet<>();
    for (String module : modules) {
      Objects.requireNonNull(module, "module");
      if (!PYTHON_MODULE.matcher(module).matches()) {
        throw new IllegalArgumentException("not a Python module name: " + module);
      }
      sorted.add(module);
    }
    if (!isExecutableFile(DEBIAN_PYTHON3)) {
      return missing("peer " + DEBIAN_PYTHON3 + " (Debian's python3) not installed");
    }
    Optional<String> problem =
        PYTHON_CHECKS.computeIfAbsent(List.copyOf(sorted), Peers::checkPythonImports);
    if (problem.isPresent()) {
      return missing(problem.get());
    }
    return DEBIAN_PYTHON3;
  }

  private static Optional<String> checkPythonImports(List<String> modules) {
    if (modules.isEmpty()) {
      return Optional.empty();
    }
    String imports = "import " + String.join(", ", modules);
    List<String> command = List.of(DEBIAN_PYTHON3.toString(), "-c", imports);
    Outcome outcome = execute(PYTHON_CHECK_TIMEOUT, command, null);
    String what = "peer " + DEBIAN_PYTHON3 + " with modules " + modules;
    if (outcome.timedOut()) {
      return Optional.of(what + " not usable: '" + imports + "' took over " + PYTHON_CHECK_TIMEOUT);
    }
    if (outcome.result().exitCode() != 0) {
      String[] lines = outcome.result().stderr().strip().split("\n");
      return Optional.of(what + " not installed (" + lines[lines.length - 1] + ")");
    }
    return Optional.empty();
  }

  /**
   * Runs {@code command} with no standard input (it reads EOF) and waits for it to finish.
   *
   * @see #run(Duration, List, byte[])
   */
  public static ProcessResult run(Duration timeout, List<String> command) {
    return run(timeout, command, null);
  }

  /**
   * Runs {@code command}, writes {@code stdin} to it and closes its standard input, and returns its
   * exit code and both outputs (captured separately, read concurrently so a large output cannot
   * block the process). A non-zero exit code is returned, not failed: see {@link
   * ProcessResult#assertSuccess()}.
   *
   * <p>If the process has not ended, and its outputs have not reached end of file, within {@code
   * timeout}, the process and all its descendants are killed and the test fails with what they had
   * printed. (A background child that keeps the output pipes open counts as not finished.)
   *
   * @param stdin the bytes for standard input, or {@code null} for none
   */
  public static ProcessResult run(Duration timeout, List<String> command, byte[] stdin) {
    Outcome outcome = execute(timeout, command, stdin);
    if (outcome.timedOut()) {
      ProcessResult partial = outcome.result();
      return Assertions.fail(
          "timed out after "
              + timeout
              + ", killed the process tree: "
              + command
              + describeOutput(partial.stdout(), partial.stderr()));
    }
    return outcome.result();
  }

  /** A TCP port on 127.0.0.1 that was free a moment ago (another process may take it since). */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a port on 127.0.0.1", e);
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  /** A finished or killed process; {@code result} holds the output captured either way. */
  private record Outcome(boolean timedOut, ProcessResult result) {}

  private static Outcome execute(Duration timeout, List<String> command, byte[] stdin) {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(command, "command");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be > 0: " + timeout);
    }
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command must not be empty");
    }
    checkArgumentsEncodable(command);
    long deadline = System.nanoTime() + timeout.toNanos();
    Process process;
    try {
      process = new ProcessBuilder(List.copyOf(command)).start();
    } catch (IOException e) {
      return Assertions.fail("cannot start " + command + ": " + e.getMessage(), e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String name = "peer-" + process.pid();
    Thread outReader = drain(name + "-stdout", process.getInputStream(), out);
    Thread errReader = drain(name + "-stderr", process.getErrorStream(), err);
    feed(name + "-stdin", process.getOutputStream(), stdin);

    boolean finished;
    try {
      // A second, short chance before the verdict: a VM whose clock jumps (a paused or restored
      // CI machine) can end the first wait early while the peer is just finishing.
      finished =
          finishedBy(process, outReader, errReader, deadline)
              || finishedBy(
                  process, outReader, errReader, System.nanoTime() + GRACE_AFTER_TIMEOUT.toNanos());
    } catch (InterruptedException e) {
      killTree(process);
      Thread.currentThread().interrupt();
      return Assertions.fail("interrupted while running " + command, e);
    }
    if (!finished) {
      killTree(process);
      try {
        long drainDeadline = System.nanoTime() + DRAIN_AFTER_KILL.toNanos();
        join(outReader, remaining(drainDeadline));
        join(errReader, remaining(drainDeadline));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int exitCode = process.isAlive() ? -1 : process.exitValue();
    ProcessResult result = new ProcessResult(exitCode, out.toString(UTF_8), err.toString(UTF_8));
    return new Outcome(!finished, result);
  }

  /**
   * The JVM encodes process arguments in {@code sun.jnu.encoding}, which follows the locale: under
   * LANG=C it is ASCII and a non-ASCII argument silently becomes {@code ?}. Say so instead.
   */
  private static void checkArgumentsEncodable(List<String> command) {
    String name = System.getProperty("sun.jnu.encoding");
    if (name == null || !Charset.isSupported(name)) {
      return;
    }
    Charset charset = Charset.forName(name);
    for (String argument : command) {
      Objects.requireNonNull(argument, "command contains null");
      if (!charset.newEncoder().canEncode(argument)) {
        Assertions.fail(
            "argument "
                + argument
                + " cannot be passed to a process in this JVM's encoding (sun.jnu.encoding="
                + name
                + "); run the build in a UTF-8 locale, e.g. LC_ALL=C.UTF-8");
      }
    }
  }

  private static Thread drain(String name, InputStream in, ByteArrayOutputStream sink) {
    return Thread.ofPlatform()
        .name(name)
        .daemon()
        .start(
            () -> {
              try (in) {
                in.transferTo(sink);
              } catch (IOException e) {
                // The stream is closed when the process is killed; keep what was read.
              }
            });
  }

  private static void feed(String name, OutputStream stdinPipe, byte[] bytes) {
    // Written on its own thread: a process may print a lot before it reads its input.
    Thread.ofPlatform()
        .name(name)
        .daemon()
        .start(
            () -> {
              try (stdinPipe) {
                if (bytes != null) {
                  stdinPipe.write(bytes);
                }
              } catch (IOException e) {
                // The process exited without reading all its input: its exit code tells.
              }
            });
  }

  private static boolean join(Thread thread, long nanos) throws InterruptedException {
    if (nanos > 0) {
      thread.join(Duration.ofNanos(nanos));
    }
    return !thread.isAlive();
  }

  /** Whether the process ended and both outputs reached end of file by {@code deadline}. */
  private static boolean finishedBy(Process process, Thread out, Thread err, long deadline)
      throws InterruptedException {
    return process.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)
        && join(out, remaining(deadline))
        && join(err, remaining(deadline));
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  /**
   * Kills the process and every descendant. The descendants are listed before the parent dies,
   * since orphans are re-parented and no longer found from it; each is killed with its own
   * descendants.
   */
  private static void killTree(Process process) {
    List<ProcessHandle> descendants = new ArrayList<>(process.descendants().toList());
    process.destroyForcibly();
    for (ProcessHandle handle : descendants) {
      handle.descendants().forEach(ProcessHandle::destroyForcibly);
      handle.destroyForcibly();
    }
    try {
      process.waitFor(DRAIN_AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean isExecutableFile(Path path) {
    return Files.isRegularFile(path) && Files.isExecutable(path);
  }

  private static <T> T missing(String reason) {
    String message = reason + "; .ci/run installs it";
    if ("1".equals(System.getenv(REQUIRE_PEERS_ENV))) {
      return Assertions.fail(message + " (" + REQUIRE_PEERS_ENV + "=1)");
    }
    return Assumptions.abort(message + " (set " + REQUIRE_PEERS_ENV + "=1 to fail instead)");
  }

  private static String describeOutput(String stdout, String stderr) {
    return "\n--- stdout ---\n" + tail(stdout) + "\n--- stderr ---\n" + tail(stderr);
  }

  private static String tail(String text) {
    if (text.length() <= MAX_OUTPUT_IN_MESSAGE) {
      return text;
    }
    return "[... "
        + (text.length() - MAX_OUTPUT_IN_MESSAGE)
        + " chars cut ...]"
        + text.substring(text.length() - MAX_OUTPUT_IN_MESSAGE);
  }
}
