package org.mta4j.spring;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueState;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueuedMessage;

/**
 * A reading of the queue for health and gauges: how many messages wait and how old the oldest
 * deferred one is. The store is asked at most once per interval (a reading is shared by every gauge
 * and health check in that time) and at most {@code scanLimit} messages are counted, so a scrape
 * costs little however deep the queue.
 *
 * @param depth messages in the queue, up to the scan limit
 * @param depthCapped true when the queue holds at least {@code depth} messages, maybe more
 * @param oldestDeferredAge the age of the oldest deferred message, or {@link Duration#ZERO}
 * @param at when the store was read
 */
public record QueueReading(int depth, boolean depthCapped, Duration oldestDeferredAge, Instant at) {

  /** Reads a store, caching the reading; thread-safe. */
  public static final class Reader {
    private final QueueStore store;
    private final Clock clock;
    private final int scanLimit;
    private final LoadingCache<String, QueueReading> cache;

    public Reader(QueueStore store, Clock clock, Duration interval, int scanLimit) {
      this.store = Objects.requireNonNull(store, "store");
      this.clock = Objects.requireNonNull(clock, "clock");
      if (scanLimit <= 0) {
        throw new IllegalArgumentException("scanLimit must be > 0: " + scanLimit);
      }
      this.scanLimit = scanLimit;
      this.cache =
          Caffeine.newBuilder().expireAfterWrite(interval).maximumSize(1).build(k -> readNow());
    }

    /** The latest reading, read now if the last one is older than the interval. */
    public QueueReading read() throws IOException {
      try {
        return cache.get("queue");
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }

    /** Reads the store now, bypassing the cache. */
    public QueueReading readNow() {
      Instant now = clock.instant();
      try {
        List<QueuedMessage> all = store.list(new QueueFilter(Set.of(), null, null, now, scanLimit));
        Optional<QueuedMessage> oldest =
            store.list(new QueueFilter(Set.of(QueueState.DEFERRED), null, null, now, 1)).stream()
                .findFirst();
        Duration age = oldest.map(m -> Duration.between(m.arrivedAt(), now)).orElse(Duration.ZERO);
        return new QueueReading(
            all.size(), all.size() >= scanLimit, age.isNegative() ? Duration.ZERO : age, now);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
