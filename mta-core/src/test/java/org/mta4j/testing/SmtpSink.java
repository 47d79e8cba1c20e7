package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assertions;

/**
 * Postfix's {@code smtp-sink} on 127.0.0.1 and a free port, for one test, with its fault flags:
 *
 * <pre>{@code
 * try (SmtpSink sink = SmtpSink.start("-r", "RCPT")) {   // 450 4.3.0 to every RCPT
 *   ... send to sink.address() ...
 * }
 * }</pre>
 *
 * <p>Useful flags (see {@code man smtp-sink}): {@code -r CMDS} 4xx and {@code -f CMDS} 5xx replies
 * (both turn PIPELINING off), {@code -b}/{@code -B reply} to choose those replies, {@code -Q CMDS}
 * 421 and hang up ({@code CONNECT} for the greeting), {@code -q CMDS} hang up silently, {@code -W
 * cmd:seconds} delay a reply, {@code -A seconds} abort after DATA, {@code -p} no PIPELINING, {@code
 * -N} no DSN, {@code -8} no 8BITMIME, {@code -e} no ESMTP. The command names include {@code .} for
 * the end of data. smtp-sink offers PIPELINING, 8BITMIME, AUTH, DSN and ENHANCEDSTATUSCODES; never
 * STARTTLS, SMTPUTF8 or CHUNKING.
 *
 * <p>The sink runs with {@code -c} (counters) and dumps each message it receives ({@code -d}) so
 * that {@link #dumps()} can show envelope and content. Run as root, it drops to {@code nobody}. A
 * missing smtp-sink skips the test, or fails it under {@value Peers#REQUIRE_PEERS_ENV}=1.
 */
public final class SmtpSink implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final Pattern COUNTERS = Pattern.compile("sess=(\\d+) quit=(\\d+) mesg=(\\d+)");

  /**
   * One message as the sink dumped it.
   *
   * @param heloArgs the EHLO/HELO argument
   * @param mailArgs the MAIL FROM arguments, e.g. {@code <a@example.test> SIZE=12}
   * @param rcptArgs each RCPT TO's arguments, in order
   * @param content the content, dot-unstuffed, with the line endings the sink writes (LF)
   */
  public record Dump(String heloArgs, String mailArgs, List<String> rcptArgs, String content) {
    public Dump {
      rcptArgs = List.copyOf(rcptArgs);
    }
  }

  /**
   * The sink's counters, from its {@code -c} output.
   *
   * @param sessions the sessions that ended
   * @param quits the QUIT commands received
   * @param messages the messages whose final dot was received
   */
  public record Counters(int sessions, int quits, int messages) {}

  private final Process process;
  private final Path directory;
  private final Path dumps;
  private final Path log;
  private final int port;

  private SmtpSink(Process process, Path directory, int port) {
    this.process = process;
    this.directory = directory;
    this.dumps = directory.resolve("dumps");
    this.log = directory.resolve("sink.log");
    this.port = port;
  }

  /** Starts {@code smtp-sink} with these extra flags and waits (bounded) until it listens. */
  public static SmtpSink start(String... flags) {
    Path sink = Peers.executable("smtp-sink");
    try {
      Path directory = Files.createTempDirectory("mta4j-smtp-sink");
      Path dumps = directory.resolve("dumps");
      Files.createDirectory(dumps);
      // The sink writes its dumps as nobody when started as root.
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.setPosixFilePermissions(dumps, PosixFilePermissions.fromString("rwxrwxrwx"));
      int port = Peers.freePort();
      List<String> command = new ArrayList<>();
      command.add(sink.toString());
      if ("root".equals(System.getProperty("user.name"))) {
        command.add("-u");
        command.add("nobody");
      }
      command.add("-c");
      command.add("-d");
      command.add(dumps + "/%Y%m%d%H%M%S.");
      command.addAll(List.of(flags));
      command.add("127.0.0.1:" + port);
      command.add("100");
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(directory.resolve("sink.log").toFile())
              .start();
      SmtpSink server = new SmtpSink(process, directory, port);
      server.awaitListening();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start smtp-sink", e);
    }
  }

  private void awaitListening() {
    try {
      await("smtp-sink listening on 127.0.0.1:" + port)
          .atMost(START_TIMEOUT)
          .pollInterval(POLL)
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IllegalStateException(
                      "smtp-sink exited with " + process.exitValue() + ":\n" + log());
                }
                return AiosmtpdServer.accepts(port);
              });
      // The probe above was a session too: wait until the sink has counted it, then leave it out.
      await("smtp-sink counting the readiness probe")
          .atMost(START_TIMEOUT)
          .pollInterval(POLL)
          .until(() -> rawCounters().sessions() >= 1);
    } catch (ConditionTimeoutException | IllegalStateException e) {
      String output = log();
      close();
      Assertions.fail("smtp-sink did not start: " + e.getMessage() + "\n" + output, e);
    }
  }

  /** The port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The address to connect to. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** What the sink printed so far (counters, errors). */
  public String log() {
    try {
      return Files.exists(log) ? Files.readString(log, UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /**
   * The latest counters, not counting the readiness probe's session. The sink prints them when a
   * session ends, at QUIT and at each final dot; all zero before that.
   */
  public Counters counters() {
    Counters raw = rawCounters();
    return new Counters(raw.sessions() - 1, raw.quits(), raw.messages());
  }

  private Counters rawCounters() {
    Matcher m = COUNTERS.matcher(log());
    Counters last = new Counters(0, 0, 0);
    while (m.find()) {
      last =
          new Counters(
              Integer.parseInt(m.group(1)),
              Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(3)));
    }
    return last;
  }

  /** Waits until {@code sessions} sessions have ended; fails the test if not within timeout. */
  public Counters awaitSessions(int sessions, Duration timeout) {
    try {
      await("smtp-sink ending " + sessions + " sessions")
          .atMost(timeout)
          .pollInterval(POLL)
          .until(() -> counters().sessions() >= sessions);
    } catch (ConditionTimeoutException e) {
      Assertions.fail("expected " + sessions + " sessions, got " + counters() + "\n" + log(), e);
    }
    return counters();
  }

  /**
   * Waits until at least {@code count} messages are dumped and returns all dumps; fails the test if
   * they are not within timeout.
   */
  public List<Dump> awaitDumps(int count, Duration timeout) {
    try {
      await("smtp-sink dumping " + count + " messages")
          .atMost(timeout)
          .pollInterval(POLL)
          .until(() -> counters().messages() >= count && dumps().size() >= count);
    } catch (ConditionTimeoutException e) {
      Assertions.fail("expected " + count + " dumps, got " + dumps().size() + "\n" + log(), e);
    }
    return dumps();
  }

  /** The messages dumped so far, in file-name order (time, then a random suffix). */
  public List<Dump> dumps() {
    List<Dump> result = new ArrayList<>();
    try (Stream<Path> files = Files.list(dumps)) {
      for (Path file : files.sorted().toList()) {
        result.add(parse(Files.readString(file, UTF_8)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the dumps in " + dumps, e);
    }
    return result;
  }

  private static Dump parse(String dump) {
    String helo = null;
    String mail = null;
    List<String> rcpts = new ArrayList<>();
    int i = 0;
    while (i < dump.length()) {
      int lf = dump.indexOf('\n', i);
      if (lf < 0) {
        break;
      }
      String line = dump.substring(i, lf);
      i = lf + 1;
      if (line.startsWith("X-Helo-Args: ")) {
        helo = line.substring("X-Helo-Args: ".length());
      } else if (line.startsWith("X-Mail-Args: ")) {
        mail = line.substring("X-Mail-Args: ".length());
      } else if (line.startsWith("X-Rcpt-Args: ")) {
        rcpts.add(line.substring("X-Rcpt-Args: ".length()));
      } else if (line.startsWith("Received: ")) {
        // The sink's Received field has three lines; the message follows, then one empty line.
        for (int skip = 0; skip < 2 && i < dump.length(); skip++) {
          int next = dump.indexOf('\n', i);
          i = next < 0 ? dump.length() : next + 1;
        }
        String content = dump.substring(i);
        if (content.endsWith("\n")) {
          content = content.substring(0, content.length() - 1);
        }
        return new Dump(helo, mail, rcpts, content);
      }
    }
    return new Dump(helo, mail, rcpts, "");
  }

  /** Kills the sink and deletes its directory. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    AiosmtpdServer.deleteRecursively(directory);
  }
}
