package org.mta4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Postfix's {@code smtp-sink} on {@code 127.0.0.1:port}, counting messages through its {@code -c}
 * counters ({@code mesg=N}, rewritten after each {@code .} received). A C event loop that stores
 * nothing: the ceiling for servers, the far end for relays and clients.
 */
final class SmtpSinkProcess implements AutoCloseable {
  private static final Pattern MESG = Pattern.compile("mesg=(\\d+)");
  private static final Pattern SESS = Pattern.compile("sess=(\\d+)");
  private final Process process;
  private final Path out;
  private final List<String> command;
  private long base;
  private long offset;
  private final StringBuilder carry = new StringBuilder();
  private long[] last = {0, 0};

  private SmtpSinkProcess(Process process, Path out, List<String> command) {
    this.process = process;
    this.out = out;
    this.command = command;
  }

  /** Starts {@code smtp-sink [-u nobody] -c 127.0.0.1:PORT 1024} and waits until it listens. */
  static SmtpSinkProcess start(int port) throws IOException, InterruptedException {
    Path out = Files.createTempFile("smtp-sink-", ".out");
    List<String> cmd = new ArrayList<>(List.of("smtp-sink"));
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.addAll(List.of("-u", "nobody")); // smtp-sink refuses to run as root without -u
    }
    cmd.addAll(List.of("-c", "127.0.0.1:" + port, "1024"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    SmtpSinkProcess sink = new SmtpSinkProcess(p, out, List.copyOf(cmd));
    try {
      Procs.awaitListening(port, Duration.ofSeconds(10));
    } catch (IOException e) {
      sink.close();
      throw e;
    }
    return sink;
  }

  long pid() {
    return process.pid();
  }

  /** The command line it was started with. */
  List<String> command() {
    return command;
  }

  /** Messages received since it started. */
  long total() throws IOException {
    return counters()[1];
  }

  /** SMTP sessions that ended since it started (each connection counts once it closes). */
  long sessions() throws IOException {
    return counters()[0];
  }

  /**
   * The last complete {@code sess=N quit=N mesg=N} record of the {@code -c} output: {sess, mesg}.
   * Reads only what was appended since the previous call (the file grows by ~30 bytes a message
   * and is polled every few ms while a run drains).
   */
  private synchronized long[] counters() throws IOException {
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(out.toFile(), "r")) {
      long length = f.length();
      if (length > offset) {
        byte[] fresh = new byte[(int) Math.min(length - offset, 16 << 20)];
        f.seek(offset);
        f.readFully(fresh);
        offset += fresh.length;
        carry.append(new String(fresh, StandardCharsets.ISO_8859_1));
        int end = carry.lastIndexOf("\r");
        if (end >= 0) {
          String complete = carry.substring(0, end);
          carry.delete(0, end + 1);
          int start = complete.lastIndexOf('\r') + 1; // the last complete record
          String record = complete.substring(start);
          Matcher m = MESG.matcher(record);
          Matcher s = SESS.matcher(record);
          if (m.find() && s.find()) {
            last = new long[] {Long.parseLong(s.group(1)), Long.parseLong(m.group(1))};
          }
        }
      }
    }
    return last.clone();
  }

  /** Zeroes {@link #count()}. */
  void reset() throws IOException {
    base = total();
  }

  /** Messages received since the last {@link #reset()}. */
  long count() throws IOException {
    return total() - base;
  }

  /** {@link #count()}, polled every {@code poll} until it reaches {@code expected} or the timeout. */
  long awaitCount(long expected, Duration timeout, Duration poll)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long n = count();
    while (n < expected && System.nanoTime() < deadline) {
      Thread.sleep(poll.toMillis());
      n = count();
    }
    return n;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    try {
      Files.deleteIfExists(out);
    } catch (IOException ignored) {
      // a temp file left behind
    }
  }
}
