package org.mta4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.dns.DnsjavaResolver;
import org.mta4j.test.MtaServer;
import org.mta4j.test.RecordedMessage;
import org.mta4j.test.Stage;
import org.mta4j.testing.KnotServer;
import org.mta4j.testing.Peers;

/** The README's main job, run as a user would: swaks sends, the relay delivers and logs it. */
class ExampleRelayTest {

  @RegisterExtension static final MtaServer remote = MtaServer.create();

  // a real DNS server on loopback: remote.test's MX is 127.0.0.1, where the testing kit listens
  static KnotServer knot;

  @BeforeAll
  static void startDns(@TempDir Path dir) {
    knot =
        KnotServer.start(
            dir,
            Map.of(
                "remote.test",
                KnotServer.zone(
                    """
                    @    MX 10 mx
                    mx   A  127.0.0.1
                    """)));
  }

  @AfterAll
  static void stopDns() {
    knot.close();
  }

  /** MX routing through the loopback DNS, to the port where the remote listens. */
  private static void mxOnLoopback(Mta.Builder b) {
    b.dnsResolver(DnsjavaResolver.builder().servers(knot.address()).build()).mxPort(remote.port());
  }

  @TempDir Path data;

  private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
  private final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

  private ExampleRelay.Settings settings() {
    return new ExampleRelay.Settings("127.0.0.1", 0, data, "example.test", "relay.example.test");
  }

  private String log() {
    return logBytes.toString(StandardCharsets.UTF_8);
  }

  private static void swaks(int port, String to) {
    Peers.run(
            Duration.ofSeconds(60),
            List.of(
                Peers.executable("swaks").toString(),
                "--server",
                "127.0.0.1:" + port,
                "--from",
                "alice@example.org",
                "--to",
                to,
                "--header",
                "Subject: hello from swaks",
                "--body",
                "It works."))
        .assertSuccess();
  }

  @Test
  void mailForTheLocalDomainLandsInMaildirAndTheDeliveryIsLogged() throws IOException {
    try (Mta relay = ExampleRelay.start(settings(), b -> {}, log)) {
      swaks(relay.port(), "bob@example.test");

      Path newDir = data.resolve("maildir/bob/new");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> Files.isDirectory(newDir) && count(newDir) == 1);
      String delivered = Files.readString(only(newDir));
      assertThat(delivered).contains("Subject: hello from swaks").contains("It works.");
      await().atMost(Duration.ofSeconds(10)).until(() -> log().contains("status=delivered"));
      assertThat(log())
          .containsPattern("queued from=<alice@example.org>, nrcpt=1")
          .containsPattern("to=<bob@example.test>, relay=local.*status=delivered");
    }
  }

  @Test
  void otherDomainsAreRelayedByMx() throws IOException {
    try (Mta relay = ExampleRelay.start(settings(), ExampleRelayTest::mxOnLoopback, log)) {
      swaks(relay.port(), "carol@remote.test");

      RecordedMessage m = remote.awaitMessages(1, Duration.ofSeconds(20)).get(0);
      assertThat(m.recipients()).containsExactly("carol@remote.test");
      assertThat(m.reversePath()).isEqualTo("alice@example.org");
      assertThat(m.subject()).isEqualTo("hello from swaks");
      await().atMost(Duration.ofSeconds(10)).until(() -> log().contains("status=delivered"));
      assertThat(log()).containsPattern("to=<carol@remote.test>, relay=.*status=delivered");
    }
  }

  @Test
  void aMessageQueuedBeforeARestartIsDeliveredAfterIt() throws IOException {
    remote.on(Stage.CONNECT).reply(421, "4.3.2", "Down for maintenance");
    try (Mta relay = ExampleRelay.start(settings(), ExampleRelayTest::mxOnLoopback, log)) {
      swaks(relay.port(), "carol@remote.test");
      await().atMost(Duration.ofSeconds(20)).until(() -> log().contains("status=deferred"));
    }
    remote.reset(); // the remote is back
    try (Mta relay = ExampleRelay.start(settings(), ExampleRelayTest::mxOnLoopback, log)) {
      assertThat(relay.queue().flush(java.time.Instant.now())).isEqualTo(1);
      assertThat(remote.awaitMessages(1, Duration.ofSeconds(20)).get(0).recipients())
          .containsExactly("carol@remote.test");
    }
  }

  @Test
  void theBannerSaysWhereItListensAndHowToTryIt() {
    ExampleRelay.Settings s = ExampleRelay.Settings.parse();
    assertThat(s.port()).isEqualTo(2525);
    assertThat(ExampleRelay.banner(s, 2525))
        .contains("listening on 127.0.0.1:2525")
        .contains("swaks --server 127.0.0.1:2525 --from alice@example.org --to bob@example.test")
        .contains(Path.of("mta4j-data", "queue").toAbsolutePath().toString());
    assertThat(ExampleRelay.Settings.parse("--port", "2600", "--data", "/tmp/x").port())
        .isEqualTo(2600);
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

  private static Path only(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.findFirst().orElseThrow();
    }
  }
}
