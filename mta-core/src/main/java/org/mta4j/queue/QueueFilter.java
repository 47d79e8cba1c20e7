package org.mta4j.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Which messages {@link QueueStore#list} returns.
 *
 * @param states the states to include; empty for all
 * @param recipientDomain only messages with a not-final recipient at this domain; null for any
 * @param minAge only messages at least this old at {@code now}; null for any age
 * @param now the time the states and ages are judged at
 * @param limit the most messages to return
 */
public record QueueFilter(
    Set<QueueState> states, String recipientDomain, Duration minAge, Instant now, int limit) {

  public QueueFilter {
    states = Set.copyOf(states);
    recipientDomain = recipientDomain == null ? null : recipientDomain.toLowerCase(Locale.ROOT);
    Objects.requireNonNull(now, "now");
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be > 0: " + limit);
    }
  }

  /** Every message, up to 1000. */
  public static QueueFilter all(Instant now) {
    return new QueueFilter(Set.of(), null, null, now, 1000);
  }

  /** True if {@code m} passes this filter. Stores may use it, or filter in their own query. */
  public boolean matches(QueuedMessage m) {
    if (!states.isEmpty() && !states.contains(m.state(now))) {
      return false;
    }
    if (minAge != null && m.arrivedAt().plus(minAge).isAfter(now)) {
      return false;
    }
    if (recipientDomain != null) {
      return m.recipients().stream()
          .anyMatch(r -> !r.status().isFinal() && r.recipient().domain().equals(recipientDomain));
    }
    return true;
  }
}
