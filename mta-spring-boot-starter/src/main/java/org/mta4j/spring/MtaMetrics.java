package org.mta4j.spring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mta4j.event.MtaEvent;
import org.mta4j.event.MtaEventListener;

/**
 * Micrometer meters from {@link MtaEvent}s:
 *
 * <ul>
 *   <li>{@code mta.messages.received} — messages accepted over SMTP (counted when the session ends)
 *   <li>{@code mta.messages.queued} — messages put into the queue (SMTP, submit, bounces)
 *   <li>{@code mta.deliveries} — per-recipient delivery attempts, tagged {@code outcome}
 *       (delivered, deferred, bounced) and {@code domain}
 *   <li>{@code mta.delivery.attempt} — how long each delivery attempt took, same tags
 *   <li>{@code mta.delivery.delay} — time from arrival to each attempt's outcome, same tags
 *   <li>{@code mta.bounces} — delivery reports queued back to senders, tagged {@code action}
 *   <li>{@code mta.messages.expired} — messages given up after the queue lifetime
 *   <li>{@code mta.sessions} — SMTP sessions ended, tagged {@code tls}
 * </ul>
 *
 * <p>The {@code domain} tag is the recipient's domain for the first {@code maxDomainTags} distinct
 * domains and {@code other} after that, so the number of series stays bounded. Thread-safe.
 */
public final class MtaMetrics implements MtaEventListener {

  /** The tag value for domains past the limit. */
  public static final String OTHER_DOMAIN = "other";

  private final MeterRegistry registry;
  private final int maxDomainTags;
  private final Set<String> domains = ConcurrentHashMap.newKeySet();
  private final Counter received;
  private final Counter queued;
  private final Counter expired;

  public MtaMetrics(MeterRegistry registry, int maxDomainTags) {
    this.registry = Objects.requireNonNull(registry, "registry");
    if (maxDomainTags < 0) {
      throw new IllegalArgumentException("maxDomainTags must be >= 0: " + maxDomainTags);
    }
    this.maxDomainTags = maxDomainTags;
    this.received =
        Counter.builder("mta.messages.received")
            .description("Messages accepted over SMTP")
            .tag("origin", "smtp")
            .register(registry);
    this.queued =
        Counter.builder("mta.messages.queued")
            .description("Messages put into the queue")
            .register(registry);
    this.expired =
        Counter.builder("mta.messages.expired")
            .description("Messages given up after the queue lifetime")
            .register(registry);
    for (MtaEvent.Status s : MtaEvent.Status.values()) {
      // present from the start, so a dashboard shows 0 rather than nothing
      deliveries(s, OTHER_DOMAIN);
    }
  }

  @Override
  public void onEvent(MtaEvent event) {
    switch (event) {
      case MtaEvent.Session s -> {
        received.increment(s.messagesAccepted());
        Counter.builder("mta.sessions")
            .description("SMTP sessions ended")
            .tag("tls", Boolean.toString(s.tls()))
            .register(registry)
            .increment();
      }
      case MtaEvent.Queued q -> queued.increment();
      case MtaEvent.Attempt a -> {
        String domain = domainTag(a.recipient());
        deliveries(a.status(), domain).increment();
        Timer.builder("mta.delivery.delay")
            .description("Time from a message's arrival to the outcome of a delivery attempt")
            .tag("outcome", outcome(a.status()))
            .tag("domain", domain)
            .register(registry)
            .record(nonNegative(a.delay()));
        Timer.builder("mta.delivery.attempt")
            .description("How long each delivery attempt took")
            .tag("outcome", outcome(a.status()))
            .tag("domain", domain)
            .register(registry)
            .record(nonNegative(a.attemptDuration()));
      }
      case MtaEvent.Bounced b ->
          Counter.builder("mta.bounces")
              .description("Delivery reports queued back to senders")
              .tag("action", b.action() == null ? "unknown" : b.action())
              .register(registry)
              .increment();
      case MtaEvent.Expired e -> expired.increment();
    }
  }

  private Counter deliveries(MtaEvent.Status status, String domain) {
    return Counter.builder("mta.deliveries")
        .description("Per-recipient delivery attempts by outcome")
        .tag("outcome", outcome(status))
        .tag("domain", domain)
        .register(registry);
  }

  // A message queued while a queue run was under way can be tried in that run, whose start time is
  // then before its arrival: its delay comes out slightly negative, which a Timer refuses.
  private static java.time.Duration nonNegative(java.time.Duration d) {
    return d == null || d.isNegative() ? java.time.Duration.ZERO : d;
  }

  private static String outcome(MtaEvent.Status status) {
    return status.name().toLowerCase(Locale.ROOT);
  }

  /** The recipient's domain while fewer than the limit are known, else {@code other}. */
  String domainTag(String recipient) {
    int at = recipient == null ? -1 : recipient.lastIndexOf('@');
    if (at < 0 || at == recipient.length() - 1) {
      return OTHER_DOMAIN;
    }
    String domain = recipient.substring(at + 1).toLowerCase(Locale.ROOT);
    if (domains.contains(domain)) {
      return domain;
    }
    synchronized (domains) {
      if (domains.size() < maxDomainTags) {
        domains.add(domain);
        return domain;
      }
    }
    return domains.contains(domain) ? domain : OTHER_DOMAIN;
  }
}
