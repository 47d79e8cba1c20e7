package org.mta4j.spring;

import java.time.Duration;
import java.util.Objects;
import org.mta4j.Mta;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The Actuator health of the embedded MTA ({@code /actuator/health/mta}): DOWN when the SMTP server
 * is not listening (while the server is enabled), when the queue store cannot be read, when the
 * queue is deeper than {@code mta.health.max-queue-depth} or when its oldest deferred message is
 * older than {@code mta.health.max-deferred-age}; UP otherwise. Details: the bound ports, active
 * sessions, queue depth and the oldest deferred message's age.
 */
public final class MtaHealthIndicator extends AbstractHealthIndicator {

  private final Mta mta;
  private final MtaLifecycle lifecycle;
  private final QueueReading.Reader reader;
  private final boolean serverEnabled;
  private final int maxQueueDepth;
  private final Duration maxDeferredAge;

  public MtaHealthIndicator(
      Mta mta,
      MtaLifecycle lifecycle,
      QueueReading.Reader reader,
      boolean serverEnabled,
      int maxQueueDepth,
      Duration maxDeferredAge) {
    super("MTA health check failed");
    this.mta = Objects.requireNonNull(mta, "mta");
    this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.serverEnabled = serverEnabled;
    this.maxQueueDepth = maxQueueDepth;
    this.maxDeferredAge = Objects.requireNonNull(maxDeferredAge, "maxDeferredAge");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) throws Exception {
    boolean running = lifecycle.isRunning();
    builder.withDetail("running", running);
    if (serverEnabled) {
      builder.withDetail("ports", running ? mta.boundPorts() : java.util.List.of());
      builder.withDetail("activeSessions", mta.activeSessions());
    }
    if (!running || (serverEnabled && mta.boundPorts().isEmpty())) {
      builder.down().withDetail("reason", "the SMTP server is not listening");
      return;
    }
    QueueReading q;
    try {
      q = reader.read();
    } catch (Exception e) {
      builder.down(e).withDetail("reason", "the queue store cannot be read");
      return;
    }
    builder
        .withDetail("queueDepth", q.depth())
        .withDetail("oldestDeferredAge", q.oldestDeferredAge().toString());
    if (q.depthCapped()) {
      builder.withDetail("queueDepthCapped", true);
    }
    if (q.depth() > maxQueueDepth) {
      builder
          .down()
          .withDetail(
              "reason",
              "queue depth " + q.depth() + " is over mta.health.max-queue-depth " + maxQueueDepth);
    } else if (q.oldestDeferredAge().compareTo(maxDeferredAge) > 0) {
      builder
          .down()
          .withDetail(
              "reason",
              "oldest deferred message is "
                  + q.oldestDeferredAge()
                  + " old, over mta.health.max-deferred-age "
                  + maxDeferredAge);
    } else {
      builder.up();
    }
  }
}
