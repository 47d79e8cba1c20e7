package org.mta4j.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.event.MtaEvent;
import org.mta4j.event.MtaEventListener;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueState;
import org.mta4j.testing.SmtpSink;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Closing the application drains the MTA: a delivery attempt under way when shutdown begins (to a
 * smarthost that takes 3 seconds to answer DATA: Postfix's smtp-sink) finishes and is recorded
 * before the context is closed.
 */
class ShutdownDrainTest {

  static final List<MtaEvent> EVENTS = new CopyOnWriteArrayList<>();

  @Configuration(proxyBeanMethods = false)
  static class Recording {
    @Bean
    MtaEventListener recordingListener() {
      return EVENTS::add;
    }
  }

  private static boolean delivered(MtaEvent e) {
    return e instanceof MtaEvent.Attempt a
        && a.status() == MtaEvent.Status.DELIVERED
        && a.recipient().equals("late@example.net");
  }

  @Test
  void anAttemptUnderWayAtShutdownFinishesWithinTheGrace(@TempDir Path dir) throws Exception {
    try (SmtpSink slowSmarthost = SmtpSink.start("-w", "3")) {
      ConfigurableApplicationContext context =
          new SpringApplicationBuilder(ExampleApplication.class, Recording.class)
              .run(
                  "--server.port=0",
                  "--mta.server.port=0",
                  "--mta.shutdown-grace=30s",
                  "--mta.queue.file.directory=" + Files.createDirectories(dir.resolve("queue")),
                  "--mta.relay.host=127.0.0.1",
                  "--mta.relay.port=" + slowSmarthost.port(),
                  "--mta.relay.tls=none");
      Mta mta = context.getBean(Mta.class);
      context.getBean(WelcomeMailer.class).welcome("late@example.net", "Bea");
      // the attempt is under way: the message is leased and the smarthost sits on DATA
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  mta.queue().list(QueueFilter.all(Instant.now())).stream()
                      .anyMatch(m -> m.state(Instant.now()) == QueueState.ACTIVE));

      assertThat(EVENTS)
          .as("delivered before shutdown began")
          .noneMatch(ShutdownDrainTest::delivered);

      context.close();

      assertThat(EVENTS).anyMatch(ShutdownDrainTest::delivered);
      assertThat(slowSmarthost.awaitDumps(1, Duration.ofSeconds(10)).get(0).rcptArgs())
          .singleElement()
          .asString()
          .contains("late@example.net");
    }
  }
}
