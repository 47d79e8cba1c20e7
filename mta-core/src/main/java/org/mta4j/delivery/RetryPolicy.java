package org.mta4j.delivery;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When the queue tries again, and when it gives up (Postfix's {@code minimal_backoff_time}, {@code
 * maximal_backoff_time}, {@code maximal_queue_lifetime}, {@code delay_warning_time}).
 *
 * @param firstRetry the wait after the first failed attempt; default 5 minutes
 * @param maxBackoff the longest wait between attempts; default 1 hour
 * @param maxLifetime how long a message may stay deferred before it bounces; default 5 days
 * @param jitter the fraction by which each wait is varied at random (0 to 0.5); default 0.1
 * @param delayWarning send a delay notice (RFC 3464 action=delayed) once a message is this old;
 *     {@link Duration#ZERO} for never (the default)
 */
public record RetryPolicy(
    Duration firstRetry,
    Duration maxBackoff,
    Duration maxLifetime,
    double jitter,
    Duration delayWarning) {

  /** The defaults above. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(
          Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5), 0.1, Duration.ZERO);

  public RetryPolicy {
    positive("firstRetry", firstRetry);
    positive("maxBackoff", maxBackoff);
    positive("maxLifetime", maxLifetime);
    Objects.requireNonNull(delayWarning, "delayWarning");
    if (delayWarning.isNegative()) {
      throw new IllegalArgumentException("delayWarning must be >= 0: " + delayWarning);
    }
    if (maxBackoff.compareTo(firstRetry) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must be >= firstRetry: " + maxBackoff + " < " + firstRetry);
    }
    if (!(jitter >= 0 && jitter <= 0.5)) {
      throw new IllegalArgumentException("jitter must be 0..0.5: " + jitter);
    }
  }

  /**
   * The wait after attempt number {@code attempts} (1 after the first): {@code firstRetry} doubled
   * per further attempt, capped at {@code maxBackoff}, varied by ±{@code jitter}.
   */
  public Duration backoff(int attempts, RandomGenerator random) {
    long max = maxBackoff.toMillis();
    long wait = firstRetry.toMillis();
    for (int i = 1; i < attempts && wait < max; i++) {
      wait *= 2;
    }
    wait = Math.min(wait, max);
    double factor = 1 + jitter * (2 * random.nextDouble() - 1);
    return Duration.ofMillis(Math.max(1, Math.round(wait * factor)));
  }

  /** True when delay notices are on. */
  public boolean delayWarningEnabled() {
    return !delayWarning.isZero();
  }

  private static void positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0: " + d);
    }
  }
}
