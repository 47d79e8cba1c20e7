package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assertions;
import org.mta4j.testing.Peers;

/**
 * Several real aiosmtpd servers, one per loopback address (127.0.0.2, 127.0.0.3, ..., ::1), all on
 * one port, run by one Debian {@code /usr/bin/python3} process: the mail exchangers of an MX test,
 * where the MTA's {@code mxPort} maps port 25 to that port and DNS gives each MX host its own
 * address (Linux routes all of 127.0.0.0/8 to lo).
 *
 * <p>Each server keeps every message byte for byte (aiosmtpd's {@code original_content}: CRLF,
 * dot-unstuffed) with its envelope. Thread-safe; {@link #close()} kills the process.
 */
final class AiosmtpdFarm implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final int START_ATTEMPTS = 3;

  // argv: port, out dir, addresses... Each address gets out/<address with ':' as '_'>/ and each
  // message NNNNNN.eml (content), then NNNNNN.env (envelope), both renamed into place.
  private static final String SCRIPT =
      """
      import os, sys, threading
      from aiosmtpd.controller import Controller

      port, out, hosts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]

      class Handler:
          def __init__(self, directory):
              self.directory = directory
              self.count = 0
              self.lock = threading.Lock()

          async def handle_DATA(self, server, session, envelope):
              with self.lock:
                  self.count += 1
                  base = os.path.join(self.directory, "%06d" % self.count)
              with open(base + ".eml.tmp", "wb") as f:
                  f.write(envelope.original_content)
              os.rename(base + ".eml.tmp", base + ".eml")
              lines = ["mail_from " + envelope.mail_from]
              lines += ["rcpt_to " + r for r in envelope.rcpt_tos]
              lines.append("helo " + str(session.host_name))
              with open(base + ".env.tmp", "w", encoding="utf-8") as f:
                  f.write("\\n".join(lines) + "\\n")
              os.rename(base + ".env.tmp", base + ".env")
              return "250 2.0.0 Ok: queued as %06d" % self.count

      controllers = []
      for host in hosts:
          directory = os.path.join(out, host.replace(":", "_"))
          os.makedirs(directory, exist_ok=True)
          controller = Controller(Handler(directory), hostname=host, port=port,
                                  server_hostname="mx-" + host.replace(":", "_") + ".test")
          try:
              controller.start()
          except Exception as e:
              print("cannot listen on [%s]:%d: %r" % (host, port, e), flush=True)
              for c in controllers:
                  c.stop()
              sys.exit(3)
          controllers.append(controller)
      print("ready", flush=True)
      threading.Event().wait()
      """;

  /**
   * One message as a server received it.
   *
   * @param mailFrom the MAIL FROM address (empty for {@code <>})
   * @param rcptTos the RCPT TO addresses in order
   * @param helo the EHLO/HELO name the client gave
   * @param content the content as received (CRLF, dot-unstuffed)
   */
  record Message(String mailFrom, List<String> rcptTos, String helo, byte[] content) {
    Message {
      rcptTos = List.copyOf(rcptTos);
      content = content.clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }

    String text() {
      return new String(content, UTF_8);
    }

    /** The bytes after the header block's empty line. */
    byte[] body() {
      for (int i = 0; i + 3 < content.length; i++) {
        if (content[i] == '\r'
            && content[i + 1] == '\n'
            && content[i + 2] == '\r'
            && content[i + 3] == '\n') {
          return Arrays.copyOfRange(content, i + 4, content.length);
        }
      }
      return new byte[0];
    }

    @Override
    public String toString() {
      return "Message[from=<" + mailFrom + ">, to=" + rcptTos + ", " + content.length + " bytes]";
    }
  }

  private final Process process;
  private final Path directory;
  private final int port;
  private final List<String> addresses;

  private AiosmtpdFarm(Process process, Path directory, int port, List<String> addresses) {
    this.process = process;
    this.directory = directory;
    this.port = port;
    this.addresses = List.copyOf(addresses);
  }

  /** Starts one server on each address (IP literals), all on one free port. */
  static AiosmtpdFarm start(List<String> addresses) {
    Path python = Peers.python3With("aiosmtpd");
    List<String> failures = new ArrayList<>();
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      Path directory;
      try {
        directory = Files.createTempDirectory("mta4j-aiosmtpd-farm");
        Files.writeString(directory.resolve("farm.py"), SCRIPT, UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prepare the aiosmtpd farm", e);
      }
      // free on 127.0.0.1 a moment ago; another address may still have it taken: then try again
      int port = Peers.freePort();
      List<String> command = new ArrayList<>();
      command.addAll(
          List.of(
              python.toString(),
              directory.resolve("farm.py").toString(),
              Integer.toString(port),
              directory.resolve("messages").toString()));
      command.addAll(addresses);
      Process process;
      try {
        process =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("farm.log").toFile())
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + command, e);
      }
      AiosmtpdFarm farm = new AiosmtpdFarm(process, directory, port, addresses);
      try {
        await("aiosmtpd farm on port " + port)
            .atMost(START_TIMEOUT)
            .pollInterval(Duration.ofMillis(50))
            .until(() -> farm.log().contains("ready") || !process.isAlive());
      } catch (ConditionTimeoutException e) {
        failures.add("no answer in " + START_TIMEOUT + ":\n" + farm.log());
        farm.close();
        continue;
      }
      if (process.isAlive() && farm.log().contains("ready")) {
        return farm;
      }
      failures.add(farm.log());
      farm.close();
    }
    return Assertions.fail(
        "the aiosmtpd farm did not start in " + START_ATTEMPTS + " attempts:\n" + failures);
  }

  /** The port every server listens on. */
  int port() {
    return port;
  }

  String log() {
    try {
      Path log = directory.resolve("farm.log");
      return Files.exists(log) ? Files.readString(log, UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read the log: " + e + ")";
    }
  }

  /** The messages each address has received so far, by address. */
  Map<String, List<Message>> messages() {
    Map<String, List<Message>> all = new TreeMap<>();
    for (String address : addresses) {
      all.put(address, messages(address));
    }
    return all;
  }

  /** The messages the server on {@code address} has received so far, in order of arrival. */
  List<Message> messages(String address) {
    if (!addresses.contains(address)) {
      throw new IllegalArgumentException("no server on " + address + "; have " + addresses);
    }
    Path dir = directory.resolve("messages").resolve(address.replace(':', '_'));
    List<Message> result = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return result;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path env : files.filter(p -> p.toString().endsWith(".env")).sorted().toList()) {
        result.add(read(env));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir, e);
    }
    return result;
  }

  /**
   * Waits until the servers together hold a message matching {@code which}, and returns the address
   * that has it with the message; fails the test, listing what arrived, otherwise.
   */
  Map.Entry<String, Message> awaitOne(Predicate<Message> which, Duration timeout) {
    Objects.requireNonNull(which, "which");
    try {
      return await("a matching message at one of " + addresses)
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> find(which), found -> found != null);
    } catch (ConditionTimeoutException e) {
      return Assertions.fail("no matching message within " + timeout + "; got " + messages(), e);
    }
  }

  private Map.Entry<String, Message> find(Predicate<Message> which) {
    for (Map.Entry<String, List<Message>> e : messages().entrySet()) {
      for (Message m : e.getValue()) {
        if (which.test(m)) {
          return Map.entry(e.getKey(), m);
        }
      }
    }
    return null;
  }

  private static Message read(Path env) throws IOException {
    String base = env.getFileName().toString().replace(".env", "");
    byte[] content = Files.readAllBytes(env.resolveSibling(base + ".eml"));
    String from = null;
    String helo = null;
    List<String> rcptTos = new ArrayList<>();
    for (String line : Files.readAllLines(env, UTF_8)) {
      int space = line.indexOf(' ');
      String key = space < 0 ? line : line.substring(0, space);
      String value = space < 0 ? "" : line.substring(space + 1);
      switch (key) {
        case "mail_from" -> from = value;
        case "rcpt_to" -> rcptTos.add(value);
        case "helo" -> helo = value;
        default -> throw new IOException("unexpected line in " + env + ": " + line);
      }
    }
    return new Message(from, rcptTos, helo, content);
  }

  /** Kills the servers and deletes their directory. */
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
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temp directory is not worth failing a test for
    }
  }
}
