package org.mta4j.spring;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import org.mta4j.Mta;

/**
 * Gauges of the embedded MTA: {@code mta.queue.depth} (messages in the queue, read through {@link
 * QueueReading.Reader}), {@code mta.queue.oldest.deferred.age} (seconds) and {@code
 * mta.sessions.active}. A queue that cannot be read shows as NaN.
 */
public final class MtaQueueGauges implements MeterBinder {

  private final Mta mta;
  private final QueueReading.Reader reader;

  public MtaQueueGauges(Mta mta, QueueReading.Reader reader) {
    this.mta = Objects.requireNonNull(mta, "mta");
    this.reader = Objects.requireNonNull(reader, "reader");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("mta.queue.depth", reader, reading(r -> r.depth()))
        .description("Messages in the queue")
        .baseUnit("messages")
        .register(registry);
    Gauge.builder(
            "mta.queue.oldest.deferred.age",
            reader,
            reading(r -> r.oldestDeferredAge().toMillis() / 1000.0))
        .description("Age of the oldest deferred message")
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder("mta.sessions.active", mta, Mta::activeSessions)
        .description("SMTP sessions open now")
        .register(registry);
  }

  private static ToDoubleFunction<QueueReading.Reader> reading(
      ToDoubleFunction<QueueReading> value) {
    return reader -> {
      try {
        return value.applyAsDouble(reader.read());
      } catch (Exception e) {
        return Double.NaN;
      }
    };
  }
}
