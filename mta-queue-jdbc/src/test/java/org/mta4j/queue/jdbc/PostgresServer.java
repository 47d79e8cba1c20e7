package org.mta4j.queue.jdbc;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.mta4j.testing.Peers;

/**
 * A throwaway PostgreSQL cluster for the tests: a real server, not an imitation. {@code initdb}
 * into a temporary directory, {@code postgres} listening on 127.0.0.1 on a free port with its unix
 * socket in that directory, trust authentication for the {@code postgres} user. One cluster per
 * test JVM ({@link #shared()}), stopped and deleted when the JVM exits. When the JVM runs as root,
 * the server runs as the {@code postgres} system user ({@code runuser}), as PostgreSQL requires.
 *
 * <p>The binaries are Debian's ({@code /usr/lib/postgresql/<version>/bin}, the newest), or {@code
 * initdb} on PATH. A missing PostgreSQL fails the test under {@code MTA4J_REQUIRE_PEERS=1} and
 * skips it otherwise ({@link Peers}).
 *
 * <p>The cluster trades durability for speed ({@code fsync=off}): the tests kill mta4j nodes, never
 * the database server, and a commit survives a client's death either way.
 */
public final class PostgresServer {
  private static PostgresServer shared;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private final boolean asPostgresUser;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** The cluster of this JVM, started on first use. */
  public static synchronized PostgresServer shared() {
    if (shared == null) {
      shared = start();
      PostgresServer s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "postgres-stop"));
    }
    return shared;
  }

  /** The port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** A JDBC URL for {@code database}, user {@code postgres}. */
  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
  }

  /** Creates a new, empty database with a unique name starting with {@code stem}; its URL. */
  public String newDatabase(String stem) {
    String name = stem + "_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url("postgres"));
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("CREATE DATABASE " + name + ": " + e, e);
    }
    return url(name);
  }

  private static PostgresServer start() {
    Path bin = findBinaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    try {
      Path dir = Files.createTempDirectory("mta4j-pg-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      if (root) {
        UserPrincipal postgres =
            dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        Files.setOwner(dir, postgres);
      }
      PostgresServer server = new PostgresServer(bin, dir, Peers.freePort(), root);
      server.initdbAndStart();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("starting a PostgreSQL cluster", e);
    }
  }

  private static Path findBinaries() {
    Path debian = Path.of("/usr/lib/postgresql");
    List<Path> found = new ArrayList<>();
    if (Files.isDirectory(debian)) {
      try (DirectoryStream<Path> versions = Files.newDirectoryStream(debian)) {
        for (Path v : versions) {
          if (Files.isExecutable(v.resolve("bin/initdb"))
              && Files.isExecutable(v.resolve("bin/pg_ctl"))) {
            found.add(v.resolve("bin"));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (found.isEmpty()) {
      // fails (MTA4J_REQUIRE_PEERS=1) or skips with the reason when there is none on PATH either
      return Peers.executable("initdb").getParent();
    }
    found.sort(
        Comparator.comparing((Path p) -> p.getParent().getFileName().toString(), versionOrder()));
    return found.getLast();
  }

  private static Comparator<String> versionOrder() {
    return Comparator.comparing(
        (String v) -> {
          try {
            return Double.parseDouble(v);
          } catch (NumberFormatException e) {
            return 0.0;
          }
        });
  }

  private void initdbAndStart() {
    Duration timeout = Duration.ofSeconds(120);
    Peers.run(
            timeout,
            command(
                bin.resolve("initdb").toString(),
                "-D",
                data.toString(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions"))
        .assertSuccess();
    String options =
        String.join(
            " ",
            "-p " + port,
            "-k " + dir,
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=300",
            "-c fsync=off",
            "-c full_page_writes=off",
            "-c synchronous_commit=off",
            "-c shared_buffers=64MB");
    Peers.run(
            timeout,
            command(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data.toString(),
                "-l",
                dir.resolve("server.log").toString(),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start"))
        .assertSuccess();
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              try (Connection c = DriverManager.getConnection(url("postgres"))) {
                return c.isValid(5);
              }
            });
  }

  private void stop() {
    Peers.run(
        Duration.ofSeconds(60),
        command(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-m",
            "immediate",
            "-w",
            "stop"));
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind; nothing to fail at JVM exit
    }
  }

  private List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    if (asPostgresUser) {
      command.addAll(List.of(Peers.executable("runuser").toString(), "-u", "postgres", "--"));
    }
    command.addAll(List.of(args));
    return command;
  }
}
