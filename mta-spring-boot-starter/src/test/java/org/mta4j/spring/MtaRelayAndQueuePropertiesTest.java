package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.queue.MemoryQueueStore;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.file.FileQueueStore;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.Peers;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/** The {@code mta.relay.*}, {@code mta.retry.*} and {@code mta.queue.*} groups. */
class MtaRelayAndQueuePropertiesTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);

  private static void send(JavaMailSender sender, String to) {
    SimpleMailMessage m = new SimpleMailMessage();
    m.setFrom("app@starter.test");
    m.setTo(to);
    m.setSubject("from the starter");
    m.setText("hello");
    sender.send(m);
  }

  @Test
  void relayWithStartTlsAndCredentials() {
    try (AiosmtpdServer next =
        AiosmtpdServer.builder().startTls().auth("relayuser", "pw").start()) {
      Runners.mta()
          .withPropertyValues(
              "mta.relay.host=127.0.0.1",
              "mta.relay.port=" + next.port(),
              "mta.relay.tls=required",
              "mta.relay.username=relayuser",
              "mta.relay.password=pw")
          .run(
              context -> {
                send(context.getBean(JavaMailSender.class), "dave@remote.test");
                AiosmtpdServer.Message m = next.awaitMessages(1, AWAIT).get(0);
                assertThat(m.tls()).isTrue();
                assertThat(m.authUser()).contains("relayuser");
                assertThat(m.rcptTos()).containsExactly("dave@remote.test");
                assertThat(new String(m.content(), StandardCharsets.UTF_8))
                    .contains("Subject: from the starter");
              });
    }
  }

  @Test
  void retryScheduleSetsTheNextAttemptOfADeferredMessage() {
    int closed = Peers.freePort(); // nothing listens there: every attempt is deferred
    Runners.mta()
        .withPropertyValues(Runners.relayTo(closed))
        .withPropertyValues(
            "mta.retry.first-retry=1h", "mta.retry.max-backoff=2h", "mta.retry.jitter=0")
        .run(
            context -> {
              Mta mta = context.getBean(Mta.class);
              send(context.getBean(JavaMailSender.class), "erin@remote.test");
              QueuedMessage deferred =
                  await()
                      .atMost(AWAIT)
                      .until(
                          () -> mta.queue().list(QueueFilter.all(Instant.now())),
                          l -> l.size() == 1 && l.get(0).attempts() == 1)
                      .get(0);
              Instant last = deferred.recipients().get(0).lastAttempt();
              assertThat(Duration.between(last, deferred.nextAttemptAt()))
                  .isEqualTo(Duration.ofHours(1));
            });
  }

  @Test
  void theDefaultQueueIsInMemory() {
    Runners.mta()
        .run(
            context ->
                assertThat(context.getBean(QueueStore.class)).isInstanceOf(MemoryQueueStore.class));
  }

  @Test
  void fileQueueKeepsMailAcrossARestart(@TempDir Path dir) {
    int closed = Peers.freePort();
    var runner =
        Runners.mta()
            .withPropertyValues(Runners.relayTo(closed))
            .withPropertyValues(
                "mta.queue.type=file",
                "mta.queue.file.directory=" + dir.resolve("queue"),
                "mta.queue.file.durability=group-commit");
    runner.run(
        context -> {
          assertThat(context.getBean(QueueStore.class)).isInstanceOf(FileQueueStore.class);
          assertThat(context.getBean(Mta.class).queue())
              .isSameAs(context.getBean(QueueStore.class));
          send(context.getBean(JavaMailSender.class), "frank@remote.test");
        });
    runner.run(
        context -> {
          List<QueuedMessage> queued =
              context.getBean(Mta.class).queue().list(QueueFilter.all(Instant.now()));
          assertThat(queued).hasSize(1);
          assertThat(queued.get(0).recipients().get(0).recipient().address())
              .isEqualTo("frank@remote.test");
        });
  }

  @Test
  void fileQueueWithoutItsModuleFailsNamingTheProperty() {
    Runners.mta()
        .withClassLoader(new FilteredClassLoader(FileQueueStore.class))
        .withPropertyValues("mta.queue.type=file", "mta.queue.file.directory=/tmp/unused")
        .run(
            context ->
                assertThat(Startup.failedOn(context, "mta.queue.type").getReason())
                    .contains("mta-queue-file"));
  }

  @Test
  void fileQueueWithoutADirectoryFailsNamingIt() {
    Runners.mta()
        .withPropertyValues("mta.queue.type=file")
        .run(context -> Startup.failedOn(context, "mta.queue.file.directory"));
  }

  @Test
  void fileQueueWithAnUnknownDurabilityFailsNamingIt(@TempDir Path dir) {
    Runners.mta()
        .withPropertyValues(
            "mta.queue.type=file",
            "mta.queue.file.directory=" + dir,
            "mta.queue.file.durability=fast")
        .run(context -> Startup.failedOn(context, "mta.queue.file.durability"));
  }
}
