package org.mta4j.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.testing.KnotServer;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;

/**
 * {@link DnsjavaResolver}'s cache, against Knot, with a fake clock and a transport that counts the
 * queries that reach the server.
 */
class DnsjavaResolverCacheTest {

  private static final String ZONE =
      """
      mail             MX 10 mx
      mx               A  127.0.0.10
      short      30    CNAME mx
      long   604800    A  127.0.0.20
      txtonly          TXT "v=spf1 -all"
      """;

  @TempDir static Path dir;
  private static KnotServer knot;

  private final FakeClock clock = new FakeClock();
  private CountingResolver transport;

  @BeforeAll
  static void startKnot() {
    knot =
        KnotServer.start(
            dir,
            Map.of("cache.test", KnotServer.zone(ZONE), "broken.test", KnotServer.UNLOADABLE_ZONE));
  }

  @AfterAll
  static void stopKnot() {
    if (knot != null) {
      knot.close();
    }
  }

  private DnsjavaResolver.Builder builder() {
    SimpleResolver simple = new SimpleResolver(knot.address());
    simple.setTimeout(Duration.ofSeconds(2));
    transport = new CountingResolver(simple);
    return DnsjavaResolver.builder().transport(transport).clock(clock);
  }

  @Test
  void answerIsServedFromTheCacheUntilItsTtlEnds() {
    DnsjavaResolver dns = builder().build();

    DnsAnswer<MxRecord> first = dns.mx("mail.cache.test");
    clock.advance(Duration.ofSeconds(KnotServer.DEFAULT_TTL_SECONDS - 1));
    DnsAnswer<MxRecord> second = dns.mx("mail.cache.test");

    assertThat(second).isEqualTo(first).isInstanceOf(DnsAnswer.Records.class);
    assertThat(transport.questions()).containsExactly("mail.cache.test./MX");

    clock.advance(Duration.ofSeconds(2));
    dns.mx("mail.cache.test");
    assertThat(transport.questions()).hasSize(2);
  }

  @Test
  void questionsDifferingOnlyInCaseAndFinalDotShareAnEntry() {
    DnsjavaResolver dns = builder().build();
    dns.mx("mail.cache.test");
    dns.mx("MAIL.Cache.Test.");
    assertThat(transport.questions()).hasSize(1);
  }

  @Test
  void ttlOfACnameChainIsItsShortestTtl() {
    DnsjavaResolver dns = builder().build();
    dns.addresses("short.cache.test"); // CNAME TTL 30 → A TTL 300
    int afterFirst = transport.questions().size();

    clock.advance(Duration.ofSeconds(29));
    dns.addresses("short.cache.test");
    assertThat(transport.questions()).hasSize(afterFirst);

    clock.advance(Duration.ofSeconds(2));
    dns.addresses("short.cache.test");
    assertThat(transport.questions()).hasSize(afterFirst * 2);
  }

  @Test
  void longTtlIsCappedByMaxTtl() {
    DnsjavaResolver dns = builder().maxTtl(Duration.ofSeconds(10)).build();
    dns.addresses("long.cache.test"); // A with TTL 604800, AAAA NODATA for 60 s

    clock.advance(Duration.ofSeconds(11));
    dns.addresses("long.cache.test");

    assertThat(transport.questions()).filteredOn(question -> question.endsWith("/A")).hasSize(2);
    assertThat(transport.questions()).filteredOn(question -> question.endsWith("/AAAA")).hasSize(1);
  }

  @Test
  void nxdomainIsCachedForTheSoaNegativeTtl() {
    DnsjavaResolver dns = builder().build();

    dns.mx("nope.cache.test");
    clock.advance(Duration.ofSeconds(KnotServer.NEGATIVE_TTL_SECONDS - 1));
    assertThat(dns.mx("nope.cache.test")).isEqualTo(new DnsAnswer.NoSuchDomain<>());
    assertThat(transport.questions()).hasSize(1);

    clock.advance(Duration.ofSeconds(2));
    dns.mx("nope.cache.test");
    assertThat(transport.questions()).hasSize(2);
  }

  @Test
  void nodataIsCachedForTheSoaNegativeTtl() {
    DnsjavaResolver dns = builder().build();

    dns.mx("txtonly.cache.test");
    clock.advance(Duration.ofSeconds(KnotServer.NEGATIVE_TTL_SECONDS - 1));
    assertThat(dns.mx("txtonly.cache.test")).isEqualTo(new DnsAnswer.NoRecords<>());
    assertThat(transport.questions()).hasSize(1);

    clock.advance(Duration.ofSeconds(2));
    dns.mx("txtonly.cache.test");
    assertThat(transport.questions()).hasSize(2);
  }

  @Test
  void negativeTtlIsCappedAndFloored() {
    DnsjavaResolver capped = builder().maxNegativeTtl(Duration.ofSeconds(10)).build();
    capped.mx("nope.cache.test");
    clock.advance(Duration.ofSeconds(11));
    capped.mx("nope.cache.test");
    assertThat(transport.questions()).hasSize(2);

    DnsjavaResolver floored =
        builder()
            .minNegativeTtl(Duration.ofSeconds(120))
            .maxNegativeTtl(Duration.ofSeconds(300))
            .build();
    floored.mx("nope.cache.test");
    clock.advance(Duration.ofSeconds(KnotServer.NEGATIVE_TTL_SECONDS + 1));
    floored.mx("nope.cache.test");
    assertThat(transport.questions()).hasSize(1);
  }

  @Test
  void failureIsRememberedOnlyForTheFailureTtl() {
    DnsjavaResolver dns = builder().failureTtl(Duration.ofSeconds(5)).build();

    assertThat(dns.mx("broken.test")).isInstanceOf(DnsAnswer.Failure.class);
    clock.advance(Duration.ofSeconds(4));
    assertThat(dns.mx("broken.test")).isInstanceOf(DnsAnswer.Failure.class);
    assertThat(transport.questions()).hasSize(1);

    clock.advance(Duration.ofSeconds(2));
    dns.mx("broken.test");
    assertThat(transport.questions()).hasSize(2);
  }

  @Test
  void zeroFailureTtlAsksAgainEveryTime() {
    DnsjavaResolver dns = builder().failureTtl(Duration.ZERO).build();
    dns.mx("broken.test");
    dns.mx("broken.test");
    assertThat(transport.questions()).hasSize(2);
  }

  @Test
  void zeroCacheSizeCachesNothing() {
    DnsjavaResolver dns = builder().cacheSize(0).build();
    dns.mx("mail.cache.test");
    dns.mx("mail.cache.test");
    assertThat(transport.questions()).hasSize(2);
  }

  @Test
  void concurrentAskersOfOneQuestionShareOneQuery() throws Exception {
    DnsjavaResolver dns = builder().build();
    transport.holdNextQuery();

    CompletableFuture<DnsAnswer<MxRecord>> first = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> first.complete(dns.mx("mail.cache.test")));
    assertThat(transport.awaitHeld()).isTrue();
    CompletableFuture<DnsAnswer<MxRecord>> second = new CompletableFuture<>();
    Thread asker = Thread.ofVirtual().start(() -> second.complete(dns.mx("mail.cache.test")));
    await().atMost(Duration.ofSeconds(5)).until(() -> asker.getState() == Thread.State.WAITING);
    transport.release();

    assertThat(second.get(5, TimeUnit.SECONDS))
        .isEqualTo(first.get(5, TimeUnit.SECONDS))
        .isInstanceOf(DnsAnswer.Records.class);
    assertThat(transport.questions()).hasSize(1);
  }

  @Test
  void cachedAnswerOutlivesTheServer(@TempDir Path ownDir) throws Exception {
    try (KnotServer own = KnotServer.start(ownDir, Map.of("cache.test", KnotServer.zone(ZONE)))) {
      DnsjavaResolver dns =
          DnsjavaResolver.builder()
              .servers(own.address())
              .timeout(Duration.ofMillis(300))
              .clock(clock)
              .build();
      DnsAnswer<InetAddress> before = dns.addresses("mx.cache.test");
      own.close();

      assertThat(dns.addresses("mx.cache.test")).isEqualTo(before);
      assertThat(dns.addresses("other.cache.test")).isInstanceOf(DnsAnswer.Failure.class);
    }
  }

  /** A clock that moves only when told to. */
  private static final class FakeClock implements InstantSource {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Passes queries to a real resolver, recording each question; can hold one query back. */
  private static final class CountingResolver implements Resolver {
    private final Resolver delegate;
    private final List<String> questions = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch held;
    private volatile CountDownLatch release;

    CountingResolver(Resolver delegate) {
      this.delegate = delegate;
    }

    List<String> questions() {
      return List.copyOf(questions);
    }

    void holdNextQuery() {
      held = new CountDownLatch(1);
      release = new CountDownLatch(1);
    }

    boolean awaitHeld() throws InterruptedException {
      return held.await(5, TimeUnit.SECONDS);
    }

    void release() {
      release.countDown();
    }

    @Override
    public Message send(Message query) throws IOException {
      questions.add(
          query.getQuestion().getName()
              + "/"
              + org.xbill.DNS.Type.string(query.getQuestion().getType()));
      CountDownLatch hold = held;
      if (hold != null && hold.getCount() > 0) {
        hold.countDown();
        try {
          if (!release.await(5, TimeUnit.SECONDS)) {
            throw new IOException("test never released the held query");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      return delegate.send(query);
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query) {
      throw new UnsupportedOperationException("DnsjavaResolver sends synchronously");
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
      throw new UnsupportedOperationException("DnsjavaResolver sends synchronously");
    }

    @Override
    public void setPort(int port) {
      delegate.setPort(port);
    }

    @Override
    public void setTCP(boolean flag) {
      delegate.setTCP(flag);
    }

    @Override
    public void setIgnoreTruncation(boolean flag) {
      delegate.setIgnoreTruncation(flag);
    }

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
      delegate.setEDNS(version, payloadSize, flags, options);
    }

    @Override
    public void setTSIGKey(TSIG key) {
      delegate.setTSIGKey(key);
    }

    @Override
    public void setTimeout(Duration timeout) {
      delegate.setTimeout(timeout);
    }

    @Override
    public Duration getTimeout() {
      return delegate.getTimeout();
    }
  }
}
