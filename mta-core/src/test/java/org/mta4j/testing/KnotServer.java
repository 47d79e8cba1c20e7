package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assertions;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A real Knot DNS server ({@code knotd}) on 127.0.0.1, authoritative for the zones a test gives it.
 * Names outside those zones are answered REFUSED, which a resolver reports as a failure.
 *
 * <pre>{@code
 * try (KnotServer knot = KnotServer.start(tempDir, Map.of(
 *     "example.test", KnotServer.zone("""
 *         @    MX 10 mx
 *         mx   A  127.0.0.10
 *         """)))) {
 *   DnsResolver dns = DnsjavaResolver.builder().servers(knot.address()).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>{@link #start} picks a free port, writes {@code knot.conf} (listening on 127.0.0.1 only,
 * semantic checks off so that an MX may point at a CNAME) and the zone files into {@code dir}, runs
 * {@code knotd} in the foreground as a child process and returns once every zone answers its SOA
 * query. {@link #close()} stops it with {@code knotc stop}, and kills it if that does not work.
 * Knot's log is {@code dir/knot.log}; failures quote its end.
 *
 * <p>A missing {@code knotd} fails or skips the test as {@link Peers#executable} explains.
 * Thread-safe.
 */
public final class KnotServer implements AutoCloseable {

  /** The TTL of the records of a {@link #zone(String)} zone, in seconds. */
  public static final int DEFAULT_TTL_SECONDS = 300;

  /**
   * The negative-caching TTL (RFC 2308 §5: the smaller of the SOA's TTL and its MINIMUM) of a
   * {@link #zone(String)} zone, in seconds.
   */
  public static final int NEGATIVE_TTL_SECONDS = 60;

  /**
   * Zone text Knot cannot load: the zone is configured but empty, and Knot answers SERVFAIL for
   * every name in it. {@link #start} waits for that SERVFAIL instead of an SOA.
   */
  public static final String UNLOADABLE_ZONE = "this is not a resource record\n";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(250);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final int START_ATTEMPTS = 3;

  private final Process process;
  private final Path config;
  private final Path log;
  private final int port;
  private final Path knotc;
  // knotd would outlive a JVM that exits without close(): kill it then.
  private final Thread killOnExit;

  private KnotServer(Process process, Path config, Path log, int port, Path knotc) {
    this.process = process;
    this.config = config;
    this.log = log;
    this.port = port;
    this.knotc = knotc;
    this.killOnExit = Thread.ofPlatform().name("knotd-kill").unstarted(process::destroyForcibly);
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /**
   * A zone's text with an SOA (negative TTL {@value #NEGATIVE_TTL_SECONDS} s) and an NS record
   * before {@code records}, all with TTL {@value #DEFAULT_TTL_SECONDS} s unless a record says
   * otherwise. Names in {@code records} are relative to the zone unless they end with a dot.
   */
  public static String zone(String records) {
    Objects.requireNonNull(records, "records");
    return "$TTL "
        + DEFAULT_TTL_SECONDS
        + "\n@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 "
        + NEGATIVE_TTL_SECONDS
        + "\n@ NS ns.invalid.\n"
        + records
        + "\n";
  }

  /**
   * Starts knotd serving {@code zones} (zone name → zone file text, e.g. from {@link #zone(String)}
   * or {@link #UNLOADABLE_ZONE}) and waits until it answers for each of them.
   *
   * @param dir an empty directory for the configuration, zones, database and log
   */
  public static KnotServer start(Path dir, Map<String, String> zones) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(zones, "zones");
    if (zones.isEmpty()) {
      throw new IllegalArgumentException("zones must not be empty");
    }
    Map<Name, String> parsed = new LinkedHashMap<>();
    for (Map.Entry<String, String> zone : zones.entrySet()) {
      Objects.requireNonNull(zone.getValue(), "zone text of " + zone.getKey());
      parsed.put(absolute(zone.getKey()), zone.getValue());
    }
    Path knotd = Peers.executable("knotd");
    Path knotc = Peers.executable("knotc");
    List<String> exits = new ArrayList<>();
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      // knotd binds UDP with SO_REUSEPORT, so check that no one holds the port for UDP; TCP is
      // bound without it, so a second knotd on a port already taken exits and we try another.
      int port = Peers.freePort();
      if (!udpFree(port)) {
        exits.add("port " + port + " taken for UDP");
        continue;
      }
      Path attemptDir = dir.resolve("knot-" + attempt);
      KnotServer server = startOnce(attemptDir, parsed, port, knotd, knotc);
      if (server != null) {
        return server;
      }
      exits.add("knotd exited on port " + port + ":\n" + tail(attemptDir.resolve("knot.log")));
    }
    return Assertions.fail(
        "knotd did not start in " + START_ATTEMPTS + " attempts:\n" + String.join("\n", exits));
  }

  /** Where knotd listens, UDP and TCP: 127.0.0.1 and {@link #port()}. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** The port knotd listens on. */
  public int port() {
    return port;
  }

  /** The end of knotd's log, for failure messages. */
  public String logTail() {
    return tail(log);
  }

  /** Stops knotd ({@code knotc stop}, then a kill if it is still running). Idempotent. */
  @Override
  public synchronized void close() {
    if (!process.isAlive()) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is exiting: the hook kills knotd
    }
    try {
      Peers.run(STOP_TIMEOUT, List.of(knotc.toString(), "-c", config.toString(), "stop"));
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  @Override
  public String toString() {
    return "KnotServer[127.0.0.1@" + port + ", " + config + "]";
  }

  // ---- internals -----------------------------------------------------------------------------

  /** The running server, or {@code null} if knotd exited before answering (port taken?). */
  private static KnotServer startOnce(
      Path dir, Map<Name, String> zones, int port, Path knotd, Path knotc) {
    Path config = dir.resolve("knot.conf");
    Path log = dir.resolve("knot.log");
    try {
      Files.createDirectories(dir.resolve("zones"));
      Files.createDirectories(dir.resolve("db"));
      Files.createDirectories(dir.resolve("run"));
      StringBuilder zoneConfig = new StringBuilder();
      int index = 0;
      for (Map.Entry<Name, String> zone : zones.entrySet()) {
        String file = "zone-" + index++ + ".zone";
        Files.writeString(dir.resolve("zones").resolve(file), zone.getValue(), UTF_8);
        zoneConfig
            .append("  - domain: \"")
            .append(zone.getKey())
            .append("\"\n    file: \"")
            .append(file)
            .append("\"\n");
      }
      Files.writeString(config, config(dir, port, zoneConfig.toString()), UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write knot's files in " + dir, e);
    }
    Process process;
    try {
      process =
          new ProcessBuilder(knotd.toString(), "-c", config.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
    } catch (IOException e) {
      return Assertions.fail("cannot start " + knotd + ": " + e.getMessage(), e);
    }
    KnotServer server = new KnotServer(process, config, log, port, knotc);
    try {
      Awaitility.await("knotd on 127.0.0.1@" + port + " answering for " + zones.keySet())
          .atMost(START_TIMEOUT)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !process.isAlive() || server.answersFor(zones));
    } catch (ConditionTimeoutException e) {
      server.close();
      return Assertions.fail(
          "knotd did not answer for every zone: "
              + e.getMessage()
              + "\n--- "
              + log
              + " ---\n"
              + tail(log),
          e);
    }
    return process.isAlive() ? server : null; // exited: most likely the port was taken
  }

  private static String config(Path dir, int port, String zones) {
    return """
    server:
        rundir: "%1$s/run"
        listen: 127.0.0.1@%2$d
        udp-workers: 1
        tcp-workers: 1
        background-workers: 1
    log:
      - target: stderr
        any: info
    database:
        storage: "%1$s/db"
    template:
      - id: default
        storage: "%1$s/zones"
        semantic-checks: off
        zonefile-sync: -1
        zonefile-load: whole
        journal-content: none
    zone:
    %3$s\
    """
        .formatted(dir.toAbsolutePath(), port, zones);
  }

  /** True once every zone answers its SOA (SERVFAIL for an unloadable one). */
  private boolean answersFor(Map<Name, String> zones) {
    SimpleResolver probe = new SimpleResolver(address());
    probe.setTimeout(PROBE_TIMEOUT);
    for (Map.Entry<Name, String> zone : zones.entrySet()) {
      int expected = UNLOADABLE_ZONE.equals(zone.getValue()) ? Rcode.SERVFAIL : Rcode.NOERROR;
      Message response;
      try {
        response =
            probe.send(Message.newQuery(Record.newRecord(zone.getKey(), Type.SOA, DClass.IN)));
      } catch (IOException e) {
        return false; // not listening yet
      }
      if (response.getRcode() != expected) {
        return false;
      }
    }
    return true;
  }

  private static boolean udpFree(int port) {
    try (DatagramSocket socket =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
      return socket.isBound();
    } catch (SocketException e) {
      return false;
    }
  }

  private static Name absolute(String zone) {
    Objects.requireNonNull(zone, "zone name");
    try {
      return Name.fromString(zone.endsWith(".") ? zone : zone + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a zone name: " + zone, e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = new ArrayList<>(Files.readAllLines(log, UTF_8));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
