package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.queue.QueueFilter;
import org.mta4j.spring.autoconfigure.MtaActuatorAutoConfiguration;
import org.mta4j.spring.autoconfigure.MtaAutoConfiguration;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.Peers;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/** Health, Micrometer meters and the {@code mtaqueue} endpoint, each with its conditions. */
class MtaActuatorTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);

  private static ApplicationContextRunner actuator() {
    return Runners.mta()
        .withConfiguration(
            AutoConfigurations.of(
                MtaAutoConfiguration.class,
                MtaActuatorAutoConfiguration.class,
                MetricsAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class))
        .withPropertyValues(
            "mta.metrics.queue-scan-interval=1ms",
            "management.endpoints.web.exposure.include=mtaqueue");
  }

  private static void send(JavaMailSender sender, String to) {
    SimpleMailMessage m = new SimpleMailMessage();
    m.setFrom("app@starter.test");
    m.setTo(to);
    m.setSubject("actuator test");
    m.setText("hello");
    sender.send(m);
  }

  @Test
  void healthIsUpWithPortsAndAnEmptyQueue() {
    actuator()
        .run(
            context -> {
              Health h = context.getBean(MtaHealthIndicator.class).health();
              assertThat(h.getStatus()).isEqualTo(Status.UP);
              assertThat(h.getDetails())
                  .containsEntry("queueDepth", 0)
                  .containsEntry("ports", context.getBean(Mta.class).boundPorts());
            });
  }

  @Test
  void healthIsDownWhenTheQueueIsDeeperThanTheThreshold() {
    actuator()
        .withPropertyValues("mta.health.max-queue-depth=0", "mta.queue.type=memory")
        .withPropertyValues(Runners.relayTo(Peers.freePort()))
        .run(
            context -> {
              send(context.getBean(JavaMailSender.class), "kim@remote.test");
              Health h = context.getBean(MtaHealthIndicator.class).health();
              assertThat(h.getStatus()).isEqualTo(Status.DOWN);
              assertThat(h.getDetails().get("reason").toString())
                  .contains("mta.health.max-queue-depth");
            });
  }

  @Test
  void healthIsDownWhenTheOldestDeferredMessageIsTooOld() {
    actuator()
        .withPropertyValues("mta.health.max-deferred-age=1ms")
        .withPropertyValues(Runners.relayTo(Peers.freePort()))
        .run(
            context -> {
              send(context.getBean(JavaMailSender.class), "lou@remote.test");
              MtaHealthIndicator indicator = context.getBean(MtaHealthIndicator.class);
              await().atMost(AWAIT).until(() -> indicator.health().getStatus().equals(Status.DOWN));
              assertThat(indicator.health().getDetails().get("reason").toString())
                  .contains("mta.health.max-deferred-age");
            });
  }

  @Test
  void healthIsDownOnceTheMtaIsStopped() {
    actuator()
        .run(
            context -> {
              MtaHealthIndicator indicator = context.getBean(MtaHealthIndicator.class);
              context.getBean(MtaLifecycle.class).stop();
              Health h = indicator.health();
              assertThat(h.getStatus()).isEqualTo(Status.DOWN);
              assertThat(h.getDetails()).containsEntry("running", false);
            });
  }

  @Test
  void healthIndicatorCanBeTurnedOffAndNeedsSpringBootHealth() {
    actuator()
        .withPropertyValues("management.health.mta.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(MtaHealthIndicator.class));
    actuator()
        .withClassLoader(
            new FilteredClassLoader(
                org.springframework.boot.health.contributor.HealthIndicator.class))
        .run(context -> assertThat(context).doesNotHaveBean(MtaHealthIndicator.class));
  }

  @Test
  void metricsCountReceivedQueuedAndDeliveredByOutcomeAndDomain() {
    try (AiosmtpdServer next = AiosmtpdServer.builder().start()) {
      actuator()
          .withPropertyValues(Runners.relayTo(next.port()))
          .run(
              context -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                int port = context.getBean(Mta.class).port();
                Swaks.send(port, "--to", "max@remote.test").assertSuccess();
                send(context.getBean(JavaMailSender.class), "ned@other.test");
                next.awaitMessages(2, AWAIT);
                await()
                    .atMost(AWAIT)
                    .untilAsserted(
                        () -> {
                          assertThat(registry.get("mta.messages.received").counter().count())
                              .isEqualTo(1.0);
                          assertThat(registry.get("mta.messages.queued").counter().count())
                              .isEqualTo(2.0);
                          assertThat(
                                  registry
                                      .get("mta.deliveries")
                                      .tags("outcome", "delivered", "domain", "remote.test")
                                      .counter()
                                      .count())
                              .isEqualTo(1.0);
                          assertThat(
                                  registry
                                      .get("mta.delivery.delay")
                                      .tags("outcome", "delivered", "domain", "other.test")
                                      .timer()
                                      .count())
                              .isEqualTo(1);
                          assertThat(
                                  registry
                                      .get("mta.delivery.attempt")
                                      .tags("outcome", "delivered")
                                      .timers()
                                      .stream()
                                      .mapToLong(t -> t.count())
                                      .sum())
                              .isEqualTo(2);
                          assertThat(registry.get("mta.queue.depth").gauge().value()).isZero();
                          assertThat(registry.get("mta.sessions").counter().count()).isEqualTo(1.0);
                        });
                assertThat(registry.get("mta.sessions.active").gauge().value()).isZero();
              });
    }
  }

  @Test
  void deferredDeliveriesAreCountedAndTheQueueDepthShows() {
    actuator()
        .withPropertyValues(Runners.relayTo(Peers.freePort()))
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              send(context.getBean(JavaMailSender.class), "olga@remote.test");
              await()
                  .atMost(AWAIT)
                  .untilAsserted(
                      () -> {
                        assertThat(
                                registry
                                    .get("mta.deliveries")
                                    .tags("outcome", "deferred", "domain", "remote.test")
                                    .counter()
                                    .count())
                            .isEqualTo(1.0);
                        assertThat(registry.get("mta.queue.depth").gauge().value()).isEqualTo(1.0);
                      });
            });
  }

  @Test
  void noMeterRegistryMeansNoMeters() {
    Runners.mtaWithActuator()
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(MtaMetrics.class);
              assertThat(context).doesNotHaveBean(MtaQueueGauges.class);
              assertThat(context).hasSingleBean(MtaHealthIndicator.class);
            });
  }

  @Test
  void queueEndpointListsShowsHoldsReleasesRequeuesFlushesAndDeletes() {
    actuator()
        .withPropertyValues(Runners.relayTo(Peers.freePort()))
        .run(
            context -> {
              MtaQueueEndpoint endpoint = context.getBean(MtaQueueEndpoint.class);
              Mta mta = context.getBean(Mta.class);
              send(context.getBean(JavaMailSender.class), "pat@remote.test");
              await().atMost(AWAIT).until(() -> endpoint.list("deferred", null, null).count() == 1);
              MtaQueueEndpoint.MessageView m =
                  endpoint.list(null, "remote.test", 10).messages().get(0);
              assertThat(m.recipients().get(0).status()).isEqualTo("deferred");
              assertThat(endpoint.show(m.id())).isNotNull();
              assertThat(endpoint.show("no-such-id")).isNull();

              assertThat(endpoint.act(m.id(), "hold").done()).isTrue();
              assertThat(endpoint.list("hold", null, null).count()).isEqualTo(1);
              assertThat(endpoint.act(m.id(), "release").done()).isTrue();
              // released mail is due at once: the queue manager tries it again
              awaitDeferred(mta, m.id(), 2);
              assertThat(endpoint.act(m.id(), "requeue").done()).isTrue();
              awaitDeferred(mta, m.id(), 3);
              assertThat(endpoint.flush().flushed()).isEqualTo(1);
              assertThat(endpoint.delete(m.id()).done()).isTrue();
              assertThat(mta.queue().list(QueueFilter.all(Instant.now()))).isEmpty();
              assertThat(endpoint.delete(m.id()).done()).isFalse();
            });
  }

  private static void awaitDeferred(Mta mta, String id, int attempts) {
    await()
        .atMost(AWAIT)
        .until(
            () -> mta.queue().show(id).orElseThrow(),
            q ->
                q.attempts() >= attempts
                    && q.state(Instant.now()) == org.mta4j.queue.QueueState.DEFERRED);
  }

  @Test
  void queueEndpointRefusesAnUnknownActionOrState() {
    actuator()
        .run(
            context -> {
              MtaQueueEndpoint endpoint = context.getBean(MtaQueueEndpoint.class);
              org.assertj.core.api.Assertions.assertThatThrownBy(() -> endpoint.act("x", "explode"))
                  .hasMessageContaining("hold, release or requeue");
              org.assertj.core.api.Assertions.assertThatThrownBy(
                      () -> endpoint.list("lost", null, null))
                  .hasMessageContaining("state must be");
            });
  }

  @Test
  void queueEndpointOnlyWhenExposed() {
    Runners.mtaWithActuator()
        .run(context -> assertThat(context).doesNotHaveBean(MtaQueueEndpoint.class));
  }

  @Test
  void attemptTimerRecordsHowLongTheAttemptTookAndDelayTimerTheTimeSinceArrival() {
    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new MtaMetrics(registry, 10)
        .onEvent(
            new org.mta4j.event.MtaEvent.Attempt(
                Instant.now(),
                "q1",
                "a@one.test",
                "relay",
                Duration.ofSeconds(90),
                "4.4.1",
                org.mta4j.event.MtaEvent.Status.DEFERRED,
                "timeout",
                Duration.ofSeconds(7)));
    assertThat(
            registry
                .get("mta.delivery.attempt")
                .tags("outcome", "deferred", "domain", "one.test")
                .timer()
                .totalTime(java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(7.0);
    assertThat(
            registry
                .get("mta.delivery.delay")
                .tags("outcome", "deferred", "domain", "one.test")
                .timer()
                .totalTime(java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(90.0);
  }

  @Test
  void aNegativeDelayFromARunThatStartedBeforeTheArrivalCountsAsZero() {
    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new MtaMetrics(registry, 10)
        .onEvent(
            new org.mta4j.event.MtaEvent.Attempt(
                Instant.now(),
                "q1",
                "a@one.test",
                "relay",
                Duration.ofMillis(-30),
                "2.0.0",
                org.mta4j.event.MtaEvent.Status.DELIVERED,
                "250 ok"));
    var timer =
        registry
            .get("mta.delivery.delay")
            .tags("outcome", "delivered", "domain", "one.test")
            .timer();
    assertThat(timer.count()).isEqualTo(1);
    assertThat(timer.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isZero();
  }

  @Test
  void metricsTagAtMostTheConfiguredNumberOfDomains() {
    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    MtaMetrics metrics = new MtaMetrics(registry, 2);
    for (String to : new String[] {"a@one.test", "b@two.test", "c@three.test", "d@ONE.test"}) {
      metrics.onEvent(
          new org.mta4j.event.MtaEvent.Attempt(
              Instant.now(),
              "q1",
              to,
              "relay",
              Duration.ofSeconds(1),
              "2.0.0",
              org.mta4j.event.MtaEvent.Status.DELIVERED,
              "250 ok"));
    }
    Map<String, Double> byDomain = new java.util.TreeMap<>();
    registry
        .find("mta.deliveries")
        .tag("outcome", "delivered")
        .counters()
        .forEach(c -> byDomain.merge(c.getId().getTag("domain"), c.count(), Double::sum));
    assertThat(byDomain)
        .containsExactly(
            Map.entry("one.test", 2.0), Map.entry("other", 1.0), Map.entry("two.test", 1.0));
  }
}
