package org.mta4j.routing;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.mta4j.dns.DnsAnswer;
import org.mta4j.dns.DnsResolver;
import org.mta4j.dns.MxRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the hosts that receive mail for a domain, as RFC 5321 §5.1 describes and Postfix's {@code
 * smtp} does it ({@code smtp_addr.c}).
 *
 * <ul>
 *   <li>MX records: the hosts by preference, equal preferences in random order, each with its A and
 *       AAAA addresses. A host whose addresses cannot be found is left out as long as another host
 *       has addresses. At most {@value #MAX_MX_HOSTS} hosts are looked up (Postfix's {@code
 *       dns_rr_list_limit}).
 *   <li>No MX records (NODATA): the implicit MX, the domain itself with preference 0 and its own
 *       addresses.
 *   <li>A domain literal, {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}: that address, with no
 *       DNS lookup.
 * </ul>
 *
 * <p>Failures, with their RFC 3463 codes:
 *
 * <ul>
 *   <li>{@code 5.1.2} permanent: the domain does not exist (NXDOMAIN), or it has neither MX nor
 *       address records;
 *   <li>{@code 5.1.10} permanent: the domain's only MX is the null MX {@code MX 0 .} (RFC 7505); a
 *       null MX next to real MX records, which RFC 7505 §3 forbids, is ignored and the real ones
 *       are used;
 *   <li>{@code 5.4.4} permanent: MX records exist but none of their hosts exists or has an address
 *       record. Postfix bounces this case too ("Host or domain name not found", 5.4.4): the
 *       domain's own DNS is answering, and it points nowhere;
 *   <li>{@code 4.4.3} temporary: the MX lookup failed (SERVFAIL, REFUSED, timeout), or no MX host
 *       has an address and at least one of their lookups failed (it might have had one);
 *   <li>{@code 5.1.3} permanent: a domain literal that is not an IPv4 or IPv6 address.
 * </ul>
 *
 * <p>Thread-safe when its {@link DnsResolver} is; the random generator is used under a lock. A call
 * blocks for the DNS lookups (addresses of several MX hosts are looked up at once, on virtual
 * threads). A {@link DnsResolver} that throws is treated as a temporary DNS failure.
 *
 * <pre>{@code
 * MxResolver mx = new MxResolver(DnsjavaResolver.builder().build());
 * switch (mx.resolve("example.org")) {
 *   case MxPlan.Hosts(List<MxHost> hosts) -> deliverTo(hosts);
 *   case MxPlan.TemporaryFailure failure -> defer(failure.enhancedStatus(), failure.reason());
 *   case MxPlan.PermanentFailure failure -> bounce(failure.enhancedStatus(), failure.reason());
 * }
 * }</pre>
 */
public final class MxResolver {

  /** The most MX hosts of one domain that are looked up; the best ones are kept. */
  public static final int MAX_MX_HOSTS = 100;

  private static final Logger log = LoggerFactory.getLogger(MxResolver.class);

  // Each call uses the calling thread's generator, so no lock is contended.
  private static final RandomGenerator THREAD_LOCAL_RANDOM =
      () -> ThreadLocalRandom.current().nextLong();

  private final DnsResolver dns;
  private final RandomGenerator random;
  private final ReentrantLock randomLock = new ReentrantLock();

  /** An MX resolver that shuffles equal preferences with {@link ThreadLocalRandom}. */
  public MxResolver(DnsResolver dns) {
    this(dns, THREAD_LOCAL_RANDOM);
  }

  /**
   * An MX resolver that shuffles equal preferences with {@code random} (a seeded generator makes
   * the order repeatable in tests). The generator need not be thread-safe.
   */
  public MxResolver(DnsResolver dns, RandomGenerator random) {
    this.dns = Objects.requireNonNull(dns, "dns");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * The hosts to try for {@code domain}, or why there are none.
   *
   * @param domain a domain name (with or without the final dot) or a domain literal in brackets
   * @throws IllegalArgumentException if {@code domain} is empty
   */
  public MxPlan resolve(String domain) {
    Objects.requireNonNull(domain, "domain");
    if (domain.startsWith("[")) {
      return DomainLiteral.plan(domain);
    }
    String name = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    if (name.isBlank()) {
      throw new IllegalArgumentException("domain must not be empty: '" + domain + "'");
    }
    return switch (guarded(name, "MX", () -> dns.mx(name))) {
      case DnsAnswer.Records<MxRecord>(List<MxRecord> records) -> fromMx(name, records);
      case DnsAnswer.NoRecords<MxRecord>() -> implicitMx(name);
      case DnsAnswer.NoSuchDomain<MxRecord>() ->
          new MxPlan.PermanentFailure(
              MxStatus.NO_SUCH_DOMAIN, "domain " + name + " does not exist (NXDOMAIN)");
      case DnsAnswer.Failure<MxRecord>(String reason) ->
          new MxPlan.TemporaryFailure(
              MxStatus.DNS_FAILURE, "MX lookup for " + name + " failed: " + reason);
    };
  }

  @Override
  public String toString() {
    return "MxResolver[" + dns + "]";
  }

  /** RFC 5321 §5.1: no MX records, so the domain itself is the only MX, with preference 0. */
  private MxPlan implicitMx(String name) {
    return switch (guarded(name, "A/AAAA", () -> dns.addresses(name))) {
      case DnsAnswer.Records<InetAddress>(List<InetAddress> addresses) ->
          new MxPlan.Hosts(List.of(new MxHost(name, 0, addresses)));
      case DnsAnswer.NoRecords<InetAddress>() ->
          new MxPlan.PermanentFailure(
              MxStatus.NO_SUCH_DOMAIN, "domain " + name + " has no MX and no A/AAAA records");
      case DnsAnswer.NoSuchDomain<InetAddress>() ->
          new MxPlan.PermanentFailure(
              MxStatus.NO_SUCH_DOMAIN, "domain " + name + " has no MX and does not exist");
      case DnsAnswer.Failure<InetAddress>(String reason) ->
          new MxPlan.TemporaryFailure(
              MxStatus.DNS_FAILURE,
              "domain " + name + " has no MX; its address lookup failed: " + reason);
    };
  }

  private MxPlan fromMx(String name, List<MxRecord> records) {
    List<MxRecord> exchanges = ordered(records);
    if (exchanges.isEmpty()) {
      return new MxPlan.PermanentFailure(
          MxStatus.NULL_MX, "domain " + name + " does not accept mail (null MX, RFC 7505)");
    }
    List<DnsAnswer<InetAddress>> answers = addressesOf(exchanges);
    List<MxHost> hosts = new ArrayList<>();
    List<String> temporary = new ArrayList<>();
    List<String> permanent = new ArrayList<>();
    for (int i = 0; i < exchanges.size(); i++) {
      MxRecord mx = exchanges.get(i);
      switch (answers.get(i)) {
        case DnsAnswer.Records<InetAddress>(List<InetAddress> addresses) ->
            hosts.add(new MxHost(mx.exchange(), mx.preference(), addresses));
        case DnsAnswer.NoRecords<InetAddress>() ->
            permanent.add(mx.exchange() + " has no A/AAAA records");
        case DnsAnswer.NoSuchDomain<InetAddress>() ->
            permanent.add(mx.exchange() + " does not exist");
        case DnsAnswer.Failure<InetAddress>(String reason) ->
            temporary.add(mx.exchange() + ": " + reason);
      }
    }
    if (!hosts.isEmpty()) {
      return new MxPlan.Hosts(hosts);
    }
    List<String> problems = new ArrayList<>(temporary);
    problems.addAll(permanent);
    String reason = "no MX host of " + name + " has an address: " + String.join("; ", problems);
    // As in Postfix, a soft error dominates: a host whose lookup failed might have an address.
    if (!temporary.isEmpty()) {
      return new MxPlan.TemporaryFailure(MxStatus.DNS_FAILURE, reason);
    }
    return new MxPlan.PermanentFailure(MxStatus.NO_MX_HOST_ADDRESS, reason);
  }

  /**
   * The MX records to try: without null MX records and repeated hosts, by preference, equal
   * preferences shuffled (RFC 5321 §5.1), at most {@link #MAX_MX_HOSTS}.
   */
  private List<MxRecord> ordered(List<MxRecord> records) {
    List<MxRecord> sorted = new ArrayList<>(records);
    sorted.removeIf(MxRecord::isNullMx);
    sorted.sort(Comparator.comparingInt(MxRecord::preference));
    Set<String> seen = new HashSet<>();
    sorted.removeIf(mx -> !seen.add(mx.exchange().toLowerCase(Locale.ROOT)));
    shuffleEqualPreferences(sorted);
    return sorted.size() > MAX_MX_HOSTS ? List.copyOf(sorted.subList(0, MAX_MX_HOSTS)) : sorted;
  }

  /** Fisher-Yates within each run of equal preference. */
  private void shuffleEqualPreferences(List<MxRecord> sorted) {
    randomLock.lock();
    try {
      int start = 0;
      while (start < sorted.size()) {
        int end = start + 1;
        while (end < sorted.size()
            && sorted.get(end).preference() == sorted.get(start).preference()) {
          end++;
        }
        for (int i = end - 1; i > start; i--) {
          int j = start + random.nextInt(i - start + 1);
          MxRecord swap = sorted.get(i);
          sorted.set(i, sorted.get(j));
          sorted.set(j, swap);
        }
        start = end;
      }
    } finally {
      randomLock.unlock();
    }
  }

  /**
   * The addresses of each exchange, in the same order; looked up at once when there are several.
   */
  private List<DnsAnswer<InetAddress>> addressesOf(List<MxRecord> exchanges) {
    if (exchanges.size() == 1) {
      String host = exchanges.getFirst().exchange();
      return List.of(guarded(host, "A/AAAA", () -> dns.addresses(host)));
    }
    List<DnsAnswer<InetAddress>> answers = new ArrayList<>(exchanges.size());
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    try {
      List<Future<DnsAnswer<InetAddress>>> futures = new ArrayList<>(exchanges.size());
      for (MxRecord mx : exchanges) {
        String host = mx.exchange();
        futures.add(executor.submit(() -> guarded(host, "A/AAAA", () -> dns.addresses(host))));
      }
      for (Future<DnsAnswer<InetAddress>> future : futures) {
        answers.add(future.get());
      }
      return answers;
    } catch (InterruptedException e) {
      executor.shutdownNow(); // the lookups still running answer "interrupted" and end
      Thread.currentThread().interrupt();
      List<DnsAnswer<InetAddress>> interrupted = new ArrayList<>(exchanges.size());
      for (int i = 0; i < exchanges.size(); i++) {
        interrupted.add(new DnsAnswer.Failure<>("interrupted"));
      }
      return interrupted;
    } catch (ExecutionException e) {
      throw new IllegalStateException("a guarded lookup threw", e.getCause());
    } finally {
      executor.shutdown(); // nothing to wait for: every task has answered or been interrupted
    }
  }

  /** The answer, or a failure if the resolver broke its contract by throwing. */
  private static <T> DnsAnswer<T> guarded(String name, String type, Supplier<DnsAnswer<T>> call) {
    try {
      return Objects.requireNonNull(call.get(), "the DnsResolver answered null");
    } catch (RuntimeException e) {
      log.warn("DNS lookup {} {} threw; treated as a temporary failure", name, type, e);
      return new DnsAnswer.Failure<>(type + " lookup of " + name + " threw " + e);
    }
  }
}
