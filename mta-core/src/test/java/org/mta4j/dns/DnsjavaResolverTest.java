package org.mta4j.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.testing.KnotServer;

/** {@link DnsjavaResolver} against a real Knot DNS on 127.0.0.1. */
class DnsjavaResolverTest {

  private static final String EXAMPLE =
      """
      equal            MX 10 mx1.equal
      equal            MX 10 mx2.equal
      equal            MX 20 backup.equal
      mx1.equal        A  127.0.0.11
      mx2.equal        A  127.0.0.12
      backup.equal     A  127.0.0.13
      nullmx           MX 0 .
      cnamedomain      CNAME equal
      alias            CNAME real
      real             A  127.0.0.21
      v6only           AAAA ::1
      dual             A  127.0.0.31
      dual             AAAA ::1
      implicit         A  127.0.0.41
      txtonly          TXT "v=spf1 -all"
      dkim             TXT "v=DKIM1; k=rsa; " "p=MIGf"
      crosszone        CNAME host.other.test.
      outside          CNAME host.elsewhere.invalid.
      brokenalias      CNAME missing
      """;

  private static final String OTHER =
      """
      host             A  127.0.0.71
      """;

  @TempDir static Path dir;
  private static KnotServer knot;

  @BeforeAll
  static void startKnot() {
    knot =
        KnotServer.start(
            dir,
            Map.of(
                "example.test", KnotServer.zone(EXAMPLE),
                "other.test", KnotServer.zone(OTHER),
                "broken.test", KnotServer.UNLOADABLE_ZONE));
  }

  @AfterAll
  static void stopKnot() {
    if (knot != null) {
      knot.close();
    }
  }

  private static DnsjavaResolver resolver() {
    return DnsjavaResolver.builder().servers(knot.address()).timeout(Duration.ofSeconds(2)).build();
  }

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal); // literals only: no lookup
  }

  @Test
  void mxRecordsComeWithoutTheFinalDot() {
    assertThat(resolver().mx("equal.example.test"))
        .isInstanceOfSatisfying(
            DnsAnswer.Records.class,
            answer ->
                assertThat(answer.records())
                    .containsExactlyInAnyOrder(
                        new MxRecord(10, "mx1.equal.example.test"),
                        new MxRecord(10, "mx2.equal.example.test"),
                        new MxRecord(20, "backup.equal.example.test")));
  }

  @Test
  void nameWithFinalDotAndCapitalsIsTheSameName() {
    assertThat(resolver().mx("EQUAL.Example.Test.")).isInstanceOf(DnsAnswer.Records.class);
  }

  @Test
  void nullMxHasAnEmptyExchange() {
    assertThat(resolver().mx("nullmx.example.test"))
        .isEqualTo(new DnsAnswer.Records<>(List.of(new MxRecord(0, ""))));
  }

  @Test
  void mxOfADomainThatIsACnameFollowsTheCname() {
    assertThat(resolver().mx("cnamedomain.example.test"))
        .isInstanceOfSatisfying(
            DnsAnswer.Records.class, answer -> assertThat(answer.records()).hasSize(3));
  }

  @Test
  void addressOfACnameIsTheAddressOfItsTarget() throws Exception {
    assertThat(resolver().addresses("alias.example.test"))
        .isEqualTo(new DnsAnswer.Records<>(List.of(ip("127.0.0.21"))));
  }

  @Test
  void cnameIntoAnotherZoneIsFollowedWithAnotherQuery() throws Exception {
    assertThat(resolver().addresses("crosszone.example.test"))
        .isEqualTo(new DnsAnswer.Records<>(List.of(ip("127.0.0.71"))));
  }

  @Test
  void cnameToANameThatDoesNotExistIsNoSuchDomain() {
    assertThat(resolver().addresses("brokenalias.example.test"))
        .isEqualTo(new DnsAnswer.NoSuchDomain<>());
  }

  @Test
  void cnameToANameTheServerRefusesIsAFailure() {
    assertThat(resolver().addresses("outside.example.test"))
        .isInstanceOfSatisfying(
            DnsAnswer.Failure.class, failure -> assertThat(failure.reason()).contains("REFUSED"));
  }

  @Test
  void aaaaOnlyHostHasItsIpv6Address() throws Exception {
    assertThat(resolver().addresses("v6only.example.test"))
        .isEqualTo(new DnsAnswer.Records<>(List.of(ip("::1"))));
  }

  @Test
  void dualStackHostHasIpv4ThenIpv6() throws Exception {
    assertThat(resolver().addresses("dual.example.test"))
        .isEqualTo(new DnsAnswer.Records<>(List.of(ip("127.0.0.31"), ip("::1"))));
  }

  @Test
  void addressesPrintAsAddressesWithoutHostNames() {
    var answer = (DnsAnswer.Records<InetAddress>) resolver().addresses("real.example.test");
    assertThat(answer.records().getFirst().toString()).isEqualTo("/127.0.0.21");
  }

  @Test
  void nameThatDoesNotExistIsNoSuchDomain() {
    DnsjavaResolver dns = resolver();
    assertThat(dns.mx("nope.example.test")).isEqualTo(new DnsAnswer.NoSuchDomain<>());
    assertThat(dns.addresses("nope.example.test")).isEqualTo(new DnsAnswer.NoSuchDomain<>());
    assertThat(dns.txt("nope.example.test")).isEqualTo(new DnsAnswer.NoSuchDomain<>());
  }

  @Test
  void nameWithoutRecordsOfTheTypeIsNoRecords() {
    DnsjavaResolver dns = resolver();
    assertThat(dns.mx("implicit.example.test")).isEqualTo(new DnsAnswer.NoRecords<>());
    assertThat(dns.txt("implicit.example.test")).isEqualTo(new DnsAnswer.NoRecords<>());
    assertThat(dns.addresses("txtonly.example.test")).isEqualTo(new DnsAnswer.NoRecords<>());
  }

  @Test
  void txtRecordsJoinTheirCharacterStrings() {
    DnsjavaResolver dns = resolver();
    assertThat(dns.txt("txtonly.example.test"))
        .isEqualTo(new DnsAnswer.Records<>(List.of("v=spf1 -all")));
    assertThat(dns.txt("dkim.example.test"))
        .isEqualTo(new DnsAnswer.Records<>(List.of("v=DKIM1; k=rsa; p=MIGf")));
  }

  @Test
  void nameOutsideTheServersZonesIsAFailure() {
    assertThat(resolver().mx("elsewhere.invalid"))
        .isInstanceOfSatisfying(
            DnsAnswer.Failure.class, failure -> assertThat(failure.reason()).contains("REFUSED"));
  }

  @Test
  void servfailIsAFailure() {
    assertThat(resolver().mx("broken.test"))
        .isInstanceOfSatisfying(
            DnsAnswer.Failure.class, failure -> assertThat(failure.reason()).contains("SERVFAIL"));
  }

  @Test
  void serverThatNeverAnswersIsAFailureAfterTheTimeout() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(loopback(0))) {
      DnsjavaResolver dns =
          DnsjavaResolver.builder()
              .servers(loopback(silent.getLocalPort()))
              .timeout(Duration.ofMillis(300))
              .build();
      long start = System.nanoTime();
      DnsAnswer<MxRecord> answer = dns.mx("equal.example.test");
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(answer).isInstanceOf(DnsAnswer.Failure.class);
      assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(3));
    }
  }

  @Test
  void addressLookupWaitsForOneTimeoutNotTwo() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(loopback(0))) {
      DnsjavaResolver dns =
          DnsjavaResolver.builder()
              .servers(loopback(silent.getLocalPort()))
              .timeout(Duration.ofMillis(500))
              .build();
      long start = System.nanoTime();
      DnsAnswer<InetAddress> answer = dns.addresses("dual.example.test");
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(answer).isInstanceOf(DnsAnswer.Failure.class);
      assertThat(took).isLessThan(Duration.ofMillis(950));
    }
  }

  @Test
  void nextServerIsAskedWhenTheFirstDoesNotAnswer() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(loopback(0))) {
      DnsjavaResolver dns =
          DnsjavaResolver.builder()
              .servers(loopback(silent.getLocalPort()), knot.address())
              .timeout(Duration.ofMillis(300))
              .build();

      assertThat(dns.addresses("real.example.test"))
          .isEqualTo(new DnsAnswer.Records<>(List.of(ip("127.0.0.21"))));
    }
  }

  @Test
  void nameThatCannotExistIsNoSuchDomainWithoutAQuery() {
    DnsjavaResolver dns =
        DnsjavaResolver.builder().servers(loopback(9)).timeout(Duration.ofMillis(100)).build();
    String longLabel = "a".repeat(64) + ".example.test";

    assertThat(dns.mx(longLabel)).isEqualTo(new DnsAnswer.NoSuchDomain<>());
    assertThat(dns.addresses("a..example.test")).isEqualTo(new DnsAnswer.NoSuchDomain<>());
  }

  @Test
  void emptyNameIsMisuse() {
    DnsjavaResolver dns = resolver();
    assertThatThrownBy(() -> dns.mx("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> dns.mx(".")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> dns.mx(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void nonAsciiNameIsAskedAsItsALabels() {
    // bücher.example.test → xn--bcher-kva.example.test, which does not exist in the zone
    assertThat(DnsjavaLookup.toAscii("Bücher.Example.Test."))
        .isEqualTo("xn--bcher-kva.example.test");
    assertThat(resolver().mx("bücher.example.test")).isEqualTo(new DnsAnswer.NoSuchDomain<>());
  }

  @Test
  void addressesMergeKeepsRecordsWhenOneFamilyFails() throws Exception {
    DnsAnswer<InetAddress> v4 = new DnsAnswer.Records<>(List.of(ip("192.0.2.1")));
    DnsAnswer<InetAddress> v6 = new DnsAnswer.Records<>(List.of(ip("2001:db8::1")));
    DnsAnswer<InetAddress> failure = new DnsAnswer.Failure<>("timeout");
    DnsAnswer<InetAddress> nodata = new DnsAnswer.NoRecords<>();
    DnsAnswer<InetAddress> nxdomain = new DnsAnswer.NoSuchDomain<>();

    assertThat(DnsjavaResolver.merge(v4, failure)).isEqualTo(v4);
    assertThat(DnsjavaResolver.merge(failure, v6)).isEqualTo(v6);
    assertThat(DnsjavaResolver.merge(v4, v6))
        .isEqualTo(new DnsAnswer.Records<>(List.of(ip("192.0.2.1"), ip("2001:db8::1"))));
    assertThat(DnsjavaResolver.merge(nodata, failure)).isEqualTo(failure);
    assertThat(DnsjavaResolver.merge(failure, nxdomain)).isEqualTo(failure);
    assertThat(DnsjavaResolver.merge(nxdomain, nxdomain)).isEqualTo(nxdomain);
    assertThat(DnsjavaResolver.merge(nodata, nodata)).isEqualTo(nodata);
  }

  @Test
  void builderRejectsBadValuesByName() {
    DnsjavaResolver.Builder builder = DnsjavaResolver.builder();
    assertThatThrownBy(() -> builder.timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout");
    assertThatThrownBy(() -> builder.cacheSize(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cacheSize must be >= 0: -1");
    assertThatThrownBy(() -> builder.servers())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("servers");
    assertThatThrownBy(() -> builder.servers(InetSocketAddress.createUnresolved("dns.test", 53)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dns.test");
    assertThatThrownBy(() -> builder.servers(loopback(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> builder.maxTtl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxTtl");
    assertThatThrownBy(() -> builder.failureTtl(Duration.ofMinutes(6)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failureTtl");
    assertThatThrownBy(
            () ->
                DnsjavaResolver.builder()
                    .servers(knot.address())
                    .minNegativeTtl(Duration.ofMinutes(10))
                    .maxNegativeTtl(Duration.ofMinutes(5))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("minNegativeTtl");
  }

  private static InetSocketAddress loopback(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }
}
