package org.mta4j.intake.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Queue ids: the start time in base 36, four random characters (so two nodes that share a queue and
 * start in the same millisecond still differ), then a counter. Sortable within a node, unique
 * across restarts and nodes, 20 characters of [0-9A-Z].
 */
public final class QueueIds {
  private final String prefix;
  private final AtomicLong counter = new AtomicLong();

  public QueueIds(Clock clock) {
    SecureRandom random = new SecureRandom();
    StringBuilder b = new StringBuilder(Long.toString(clock.millis(), 36).toUpperCase(Locale.ROOT));
    for (int i = 0; i < 4; i++) {
      b.append(Character.toUpperCase(Character.forDigit(random.nextInt(36), 36)));
    }
    this.prefix = b.toString();
  }

  public String next() {
    return prefix + String.format("%08X", counter.incrementAndGet() & 0xFFFFFFFFL);
  }
}
