package org.mta4j.examples.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.queue.QueueFilter;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.Peers;

/** The gateway as the outside world sees it: swaks sending over SMTP on loopback. */
class GatewayTest {

  @TempDir Path data;

  private final List<String> application = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresToSimulate = new AtomicInteger();
  private Mta gateway;

  @BeforeEach
  void start() throws IOException {
    gateway =
        Gateway.start(
            new Gateway.Settings("127.0.0.1", 0, "example.test", data),
            Gateway.Users.of("alice", "bob"),
            delivery -> {
              if (failuresToSimulate.getAndDecrement() > 0) {
                throw new IOException("application database is down");
              }
              for (Recipient r : delivery.recipients()) {
                application.add(r.address());
              }
            });
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  private Peers.ProcessResult swaks(String to) {
    return Peers.run(
        Duration.ofSeconds(60),
        List.of(
            Peers.executable("swaks").toString(),
            "--server",
            "127.0.0.1:" + gateway.port(),
            "--from",
            "sender@elsewhere.test",
            "--to",
            to,
            "--header",
            "Subject: for the gateway"));
  }

  @Test
  void mailForAKnownUserReachesTheApplicationAndTheMaildir() throws IOException {
    swaks("Bob@example.test").assertSuccess();

    await().atMost(Duration.ofSeconds(20)).until(() -> application.contains("Bob@example.test"));
    Path newDir = data.resolve("maildir/bob/new");
    await().atMost(Duration.ofSeconds(10)).until(() -> count(newDir) == 1);
    try (Stream<Path> files = Files.list(newDir)) {
      assertThat(Files.readString(files.findFirst().orElseThrow()))
          .contains("Subject: for the gateway");
    }
  }

  @Test
  void anUnknownUserIsRefusedAtRcptWith550() throws IOException {
    Peers.ProcessResult r = swaks("nobody@example.test");

    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stdout()).contains("<** 550 5.1.1 Recipient address rejected: User unknown");
    assertThat(gateway.queue().list(QueueFilter.all(Instant.now())).size()).isZero();
  }

  @Test
  void otherDomainsAreNotRelayedEvenFromLoopback() {
    Peers.ProcessResult r = swaks("someone@elsewhere.test");

    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stdout()).containsPattern("<\\*\\* 554 5\\.7\\.1 .*[Rr]elay");
  }

  @Test
  void anApplicationFailureDefersTheMessageInsteadOfLosingIt() throws IOException {
    failuresToSimulate.set(1);
    swaks("alice@example.test").assertSuccess();

    // the hook is called and throws: the message is deferred, still in the queue
    await().atMost(Duration.ofSeconds(20)).until(() -> failuresToSimulate.get() == 0);
    assertThat(application).isEmpty();
    assertThat(gateway.queue().list(QueueFilter.all(Instant.now()))).hasSize(1);

    // its retry (made due now instead of in 5 minutes) reaches the application and the Maildir
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              gateway.queue().flush(Instant.now());
              return count(data.resolve("maildir/alice/new")) == 1;
            });
    assertThat(application).containsExactly("alice@example.test");
  }

  private static long count(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }
}
