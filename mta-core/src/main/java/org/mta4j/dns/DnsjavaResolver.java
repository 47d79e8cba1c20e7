package org.mta4j.dns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The default {@link DnsResolver}: dnsjava queries to the configured servers (recursive resolvers,
 * normally the system's), with answers kept in a Caffeine cache for as long as their TTLs allow.
 *
 * <p>What it caches, and for how long:
 *
 * <ul>
 *   <li>records: the smallest TTL of the records used, CNAMEs included, at most {@link
 *       Builder#maxTtl(Duration) maxTtl} (default 1 day);
 *   <li>NXDOMAIN and NODATA: the SOA's negative TTL, the smaller of the SOA record's TTL and its
 *       MINIMUM field (RFC 2308 §5), within {@link Builder#minNegativeTtl(Duration) minNegativeTtl}
 *       (default 1 s) and {@link Builder#maxNegativeTtl(Duration) maxNegativeTtl} (default 1 h); a
 *       negative answer without an SOA is not cached (RFC 2308 §5);
 *   <li>failures (SERVFAIL, REFUSED, timeout): {@link Builder#failureTtl(Duration) failureTtl}
 *       (default 5 s, zero to not cache them), so that a burst of deliveries to one broken domain
 *       waits for one timeout rather than one each.
 * </ul>
 *
 * <p>CNAMEs are followed, within one response and across responses (up to {@value #MAX_CNAME_HOPS}
 * of them). Concurrent lookups of the same question share one query. dnsjava's own caches are not
 * used: each question is sent with {@link Resolver#send}, and the answer is read here. {@link
 * #addresses(String)} asks A and AAAA at the same time and returns every address found, IPv4 first,
 * even when one of the two questions failed.
 *
 * <p>Names are host or domain names with or without the final dot, case-insensitive. A name with
 * non-ASCII characters is converted to its A-labels with {@link java.net.IDN} first. A name that
 * cannot be a DNS name (an empty label, a label over 63 octets) is answered {@link
 * DnsAnswer.NoSuchDomain} without a query, since no such name can exist.
 *
 * <p>Instances are immutable and thread-safe; lookups block the calling thread (meant to be
 * virtual) for at most about {@value #MAX_CNAME_HOPS} times the timeout. A resolver holds no thread
 * or socket of its own, so it needs no closing.
 *
 * <pre>{@code
 * DnsResolver dns = DnsjavaResolver.builder()
 *     .servers(new InetSocketAddress("127.0.0.1", 53))
 *     .timeout(Duration.ofSeconds(3))
 *     .build();
 * DnsAnswer<MxRecord> mx = dns.mx("example.org");
 * }</pre>
 */
public final class DnsjavaResolver implements DnsResolver {

  /** The most CNAMEs followed for one question; more is answered as a failure. */
  public static final int MAX_CNAME_HOPS = 8;

  private final DnsjavaLookup lookup;
  private final AsyncCache<Question, Cached> cache;

  private DnsjavaResolver(Builder builder, List<Resolver> servers) {
    this.lookup =
        new DnsjavaLookup(
            servers,
            MAX_CNAME_HOPS,
            builder.maxTtl,
            builder.minNegativeTtl,
            builder.maxNegativeTtl,
            builder.failureTtl);
    Caffeine<Object, Object> caffeine =
        Caffeine.newBuilder()
            .maximumSize(builder.cacheSize)
            // Housekeeping on the caller's thread: cheap, and no common-pool task outlives a test.
            .executor(Runnable::run);
    if (builder.clock != null) {
      InstantSource clock = builder.clock;
      caffeine.ticker(instantTicker(clock));
    }
    this.cache =
        caffeine
            .expireAfter(Expiry.<Question, Cached>creating((question, cached) -> cached.ttl()))
            .buildAsync();
  }

  /** A builder with the defaults: the system's DNS servers, 5 s timeout, 10,000 answers cached. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public DnsAnswer<MxRecord> mx(String domain) {
    return answer(Question.of(domain, Type.MX));
  }

  @Override
  public DnsAnswer<InetAddress> addresses(String host) {
    Question v4 = Question.of(host, Type.A);
    if (v4 == null) {
      return new DnsAnswer.NoSuchDomain<>();
    }
    Question v6 = Question.of(host, Type.AAAA);
    // Both questions at once: with a dead server the caller waits one timeout, not two.
    CompletableFuture<DnsAnswer<InetAddress>> aaaa =
        CompletableFuture.supplyAsync(
            () -> answer(v6), task -> Thread.ofVirtual().name("mta4j-dns-aaaa").start(task));
    DnsAnswer<InetAddress> a = answer(v4);
    return merge(a, awaitAnswer(aaaa, v6));
  }

  @Override
  public DnsAnswer<String> txt(String name) {
    return answer(Question.of(name, Type.TXT));
  }

  @Override
  public String toString() {
    return "DnsjavaResolver[" + lookup + "]";
  }

  /**
   * A and AAAA in one answer: any records win (a failed half costs only that family); otherwise a
   * failure wins, since the missing half might have had records; NXDOMAIN only when no half had
   * records or failed.
   */
  static DnsAnswer<InetAddress> merge(DnsAnswer<InetAddress> a, DnsAnswer<InetAddress> aaaa) {
    List<InetAddress> all = new ArrayList<>();
    if (a instanceof DnsAnswer.Records<InetAddress>(List<InetAddress> records)) {
      all.addAll(records);
    }
    if (aaaa instanceof DnsAnswer.Records<InetAddress>(List<InetAddress> records)) {
      all.addAll(records);
    }
    if (!all.isEmpty()) {
      return new DnsAnswer.Records<>(all);
    }
    if (a instanceof DnsAnswer.Failure<InetAddress> failure) {
      return failure;
    }
    if (aaaa instanceof DnsAnswer.Failure<InetAddress> failure) {
      return failure;
    }
    if (a instanceof DnsAnswer.NoSuchDomain<InetAddress>
        || aaaa instanceof DnsAnswer.NoSuchDomain<InetAddress>) {
      return new DnsAnswer.NoSuchDomain<>();
    }
    return new DnsAnswer.NoRecords<>();
  }

  private <T> DnsAnswer<T> answer(Question question) {
    if (question == null) {
      return new DnsAnswer.NoSuchDomain<>();
    }
    CompletableFuture<Cached> mine = new CompletableFuture<>();
    CompletableFuture<Cached> existing = cache.asMap().putIfAbsent(question, mine);
    if (existing != null) {
      return await(existing, question);
    }
    // This thread asks; concurrent askers of the same question wait for its answer. The query
    // runs here rather than inside the cache's compute, which would lock unrelated keys.
    try {
      mine.complete(lookup.lookup(question));
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    }
    return typed(mine.join());
  }

  private static <T> DnsAnswer<T> await(CompletableFuture<Cached> future, Question question) {
    try {
      return typed(future.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new DnsAnswer.Failure<>("interrupted while waiting for " + question);
    } catch (ExecutionException e) {
      return new DnsAnswer.Failure<>(question + ": " + e.getCause());
    }
  }

  private static <T> DnsAnswer<T> awaitAnswer(
      CompletableFuture<DnsAnswer<T>> future, Question question) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new DnsAnswer.Failure<>("interrupted while waiting for " + question);
    } catch (ExecutionException e) {
      return new DnsAnswer.Failure<>(question + ": " + e.getCause());
    }
  }

  @SuppressWarnings("unchecked") // a question's type decides its answer's element type
  private static <T> DnsAnswer<T> typed(Cached cached) {
    return (DnsAnswer<T>) cached.answer();
  }

  private static Ticker instantTicker(InstantSource clock) {
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }

  /** One question: the name in lower-case ASCII without the final dot, and the dnsjava type. */
  record Question(String name, int type) {

    /** The question, or {@code null} when {@code name} cannot be a DNS name. */
    static Question of(String name, int type) {
      Objects.requireNonNull(name, "name");
      String ascii = DnsjavaLookup.toAscii(name);
      return ascii == null ? null : new Question(ascii, type);
    }

    @Override
    public String toString() {
      return name + "/" + Type.string(type);
    }
  }

  /** An answer and how long it may be cached. */
  record Cached(DnsAnswer<?> answer, Duration ttl) {}

  /**
   * Builds a {@link DnsjavaResolver}. Each setter checks its value at once and names it when it is
   * wrong; {@link #build()} checks the values against each other. Not thread-safe.
   */
  public static final class Builder {

    private List<InetSocketAddress> servers;
    private Duration timeout = Duration.ofSeconds(5);
    private long cacheSize = 10_000;
    private Duration maxTtl = Duration.ofDays(1);
    private Duration minNegativeTtl = Duration.ofSeconds(1);
    private Duration maxNegativeTtl = Duration.ofHours(1);
    private Duration failureTtl = Duration.ofSeconds(5);
    private InstantSource clock;
    private Resolver transport;

    private Builder() {}

    /**
     * The DNS servers to ask, host and port each (e.g. {@code 127.0.0.1:5353}), in order: the next
     * is asked when one times out or answers SERVFAIL, REFUSED, NOTIMP or FORMERR (as the C
     * library's resolver does). They must resolve recursively; an authoritative-only server answers
     * only for its own zones. Default: the servers of the system's configuration ({@code
     * /etc/resolv.conf}).
     */
    public Builder servers(InetSocketAddress... servers) {
      Objects.requireNonNull(servers, "servers");
      return servers(Arrays.asList(servers));
    }

    /** The DNS servers to ask, as {@link #servers(InetSocketAddress...)}. */
    public Builder servers(List<InetSocketAddress> servers) {
      Objects.requireNonNull(servers, "servers");
      if (servers.isEmpty()) {
        throw new IllegalArgumentException("servers must not be empty");
      }
      for (InetSocketAddress server : servers) {
        Objects.requireNonNull(server, "servers contains null");
        if (server.isUnresolved()) {
          throw new IllegalArgumentException("servers must be IP addresses, not names: " + server);
        }
        if (server.getPort() == 0) {
          throw new IllegalArgumentException("servers need a port: " + server);
        }
      }
      this.servers = List.copyOf(servers);
      return this;
    }

    /**
     * How long to wait for one server's answer to one query; default 5 s. A question may take one
     * timeout per server, and one per CNAME that leads out of a server's answer.
     */
    public Builder timeout(Duration timeout) {
      this.timeout = positive("timeout", timeout);
      return this;
    }

    /** How many answers to keep (each question is one: A and AAAA count twice); 0 caches none. */
    public Builder cacheSize(long cacheSize) {
      if (cacheSize < 0) {
        throw new IllegalArgumentException("cacheSize must be >= 0: " + cacheSize);
      }
      this.cacheSize = cacheSize;
      return this;
    }

    /** The longest time records are cached, whatever their TTL; default 1 day. */
    public Builder maxTtl(Duration maxTtl) {
      this.maxTtl = notNegative("maxTtl", maxTtl);
      return this;
    }

    /** The shortest time NXDOMAIN and NODATA answers with an SOA are cached; default 1 s. */
    public Builder minNegativeTtl(Duration minNegativeTtl) {
      this.minNegativeTtl = notNegative("minNegativeTtl", minNegativeTtl);
      return this;
    }

    /** The longest time NXDOMAIN and NODATA answers are cached (RFC 2308 §5); default 1 h. */
    public Builder maxNegativeTtl(Duration maxNegativeTtl) {
      this.maxNegativeTtl = notNegative("maxNegativeTtl", maxNegativeTtl);
      return this;
    }

    /**
     * How long a failure (SERVFAIL, REFUSED, timeout) is remembered; default 5 s, zero to ask again
     * every time. At most 5 minutes: a failure is a statement about now.
     */
    public Builder failureTtl(Duration failureTtl) {
      notNegative("failureTtl", failureTtl);
      if (failureTtl.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new IllegalArgumentException("failureTtl must be <= 5 minutes: " + failureTtl);
      }
      this.failureTtl = failureTtl;
      return this;
    }

    /** The clock that ages cached answers; default the system's monotonic clock. For tests. */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Tests: send queries through this dnsjava resolver instead of {@link #servers}. */
    Builder transport(Resolver transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * The resolver.
     *
     * @throws IllegalStateException if the TTL bounds contradict each other, or no servers were set
     *     and the system configuration names none
     */
    public DnsjavaResolver build() {
      if (minNegativeTtl.compareTo(maxNegativeTtl) > 0) {
        throw new IllegalStateException(
            "minNegativeTtl " + minNegativeTtl + " must be <= maxNegativeTtl " + maxNegativeTtl);
      }
      if (transport != null) {
        return new DnsjavaResolver(this, List.of(transport));
      }
      List<InetSocketAddress> chosen = servers;
      if (chosen == null) {
        chosen = ResolverConfig.getCurrentConfig().servers();
        if (chosen.isEmpty()) {
          throw new IllegalStateException(
              "the system's DNS configuration names no server; set servers(...)");
        }
      }
      return new DnsjavaResolver(this, transportFor(chosen, timeout));
    }

    private static List<Resolver> transportFor(List<InetSocketAddress> servers, Duration timeout) {
      // One SimpleResolver per server, tried in order by DnsjavaLookup. Not dnsjava's
      // ExtendedResolver: its per-server timeouts fire only when dnsjava's selector wakes (up to
      // 1 s late), so a short timeout ran out before the next server was asked.
      List<Resolver> each = new ArrayList<>(servers.size());
      for (InetSocketAddress server : servers) {
        SimpleResolver simple = new SimpleResolver(server);
        simple.setTimeout(timeout);
        each.add(simple);
      }
      return List.copyOf(each);
    }

    private static Duration positive(String option, Duration value) {
      Objects.requireNonNull(value, option);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(option + " must be > 0: " + value);
      }
      return value;
    }

    private static Duration notNegative(String option, Duration value) {
      Objects.requireNonNull(value, option);
      if (value.isNegative()) {
        throw new IllegalArgumentException(option + " must be >= 0: " + value);
      }
      return value;
    }
  }
}
