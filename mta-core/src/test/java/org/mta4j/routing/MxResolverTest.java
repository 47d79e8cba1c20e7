package org.mta4j.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mta4j.dns.DnsAnswer;
import org.mta4j.dns.DnsResolver;
import org.mta4j.dns.MxRecord;
import org.mta4j.testing.FakeDnsResolver;

/** {@link MxResolver} over a {@link FakeDnsResolver}: RFC 5321 §5.1 and RFC 7505 decisions. */
class MxResolverTest {

  private final FakeDnsResolver dns = new FakeDnsResolver();
  private final MxResolver resolver = new MxResolver(dns, new SplittableRandom(1));

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal); // literals only: no lookup
  }

  private static List<String> names(MxPlan plan) {
    assertThat(plan).isInstanceOf(MxPlan.Hosts.class);
    return ((MxPlan.Hosts) plan).hosts().stream().map(MxHost::name).toList();
  }

  @Test
  void hostsAreOrderedByPreference() throws Exception {
    dns.mx(
            "example.org",
            new MxRecord(30, "c.example.org"),
            new MxRecord(10, "a.example.org"),
            new MxRecord(20, "b.example.org"))
        .addresses("a.example.org", "192.0.2.1")
        .addresses("b.example.org", "192.0.2.2")
        .addresses("c.example.org", "192.0.2.3");

    assertThat(resolver.resolve("example.org"))
        .isEqualTo(
            new MxPlan.Hosts(
                List.of(
                    new MxHost("a.example.org", 10, List.of(ip("192.0.2.1"))),
                    new MxHost("b.example.org", 20, List.of(ip("192.0.2.2"))),
                    new MxHost("c.example.org", 30, List.of(ip("192.0.2.3"))))));
  }

  @Test
  void equalPreferencesAreShuffledAndTheBackupStaysLast() {
    dns.mx(
            "example.org",
            new MxRecord(10, "mx1.example.org"),
            new MxRecord(10, "mx2.example.org"),
            new MxRecord(20, "backup.example.org"))
        .addresses("mx1.example.org", "192.0.2.1")
        .addresses("mx2.example.org", "192.0.2.2")
        .addresses("backup.example.org", "192.0.2.3");

    Set<List<String>> orders = new HashSet<>();
    for (int seed = 0; seed < 40; seed++) {
      List<String> names =
          names(new MxResolver(dns, new SplittableRandom(seed)).resolve("example.org"));
      assertThat(names.getLast()).isEqualTo("backup.example.org");
      orders.add(names.subList(0, 2));
    }

    assertThat(orders)
        .containsExactlyInAnyOrder(
            List.of("mx1.example.org", "mx2.example.org"),
            List.of("mx2.example.org", "mx1.example.org"));
  }

  @Test
  void sameSeedGivesTheSameOrder() {
    List<MxRecord> many = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      many.add(new MxRecord(10, "mx" + i + ".example.org"));
      dns.addresses("mx" + i + ".example.org", "192.0.2." + (i + 1));
    }
    dns.mx("example.org", new DnsAnswer.Records<>(many));

    List<String> once = names(new MxResolver(dns, new SplittableRandom(7)).resolve("example.org"));
    List<String> again = names(new MxResolver(dns, new SplittableRandom(7)).resolve("example.org"));

    assertThat(again).isEqualTo(once);
    assertThat(once).hasSize(8).doesNotHaveDuplicates();
  }

  @Test
  void ipv4AndIpv6AddressesAreKeptInTheirOrder() throws Exception {
    dns.mx("example.org", new MxRecord(10, "mx.example.org"))
        .addresses("mx.example.org", "192.0.2.1", "2001:db8::1", "192.0.2.2");

    MxPlan.Hosts plan = (MxPlan.Hosts) resolver.resolve("example.org");

    assertThat(plan.hosts().getFirst().addresses())
        .containsExactly(ip("192.0.2.1"), ip("2001:db8::1"), ip("192.0.2.2"));
  }

  @Test
  void domainThatDoesNotExistFailsPermanentlyWith512() {
    assertThat(resolver.resolve("nowhere.example"))
        .isInstanceOfSatisfying(
            MxPlan.PermanentFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("5.1.2");
              assertThat(failure.reason()).contains("nowhere.example", "NXDOMAIN");
            });
  }

  @Test
  void nullMxFailsPermanentlyWith5110() {
    dns.mx("example.org", new MxRecord(0, ""));

    assertThat(resolver.resolve("example.org"))
        .isInstanceOfSatisfying(
            MxPlan.PermanentFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("5.1.10");
              assertThat(failure.reason()).contains("null MX");
            });
    assertThat(dns.questions()).containsExactly("MX example.org");
  }

  @Test
  void nullMxNextToRealMxIsIgnored() {
    dns.mx("example.org", new MxRecord(0, ""), new MxRecord(10, "mx.example.org"))
        .addresses("mx.example.org", "192.0.2.1");

    assertThat(names(resolver.resolve("example.org"))).containsExactly("mx.example.org");
  }

  @Test
  void mxLookupFailureIsTemporaryWith443() {
    dns.mx("example.org", new DnsAnswer.Failure<>("SERVFAIL"));

    assertThat(resolver.resolve("example.org"))
        .isInstanceOfSatisfying(
            MxPlan.TemporaryFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("4.4.3");
              assertThat(failure.reason()).contains("example.org", "SERVFAIL");
            });
  }

  @Test
  void withoutMxTheDomainItselfIsTheImplicitMx() throws Exception {
    dns.addresses("example.org", "192.0.2.1", "2001:db8::1");

    assertThat(resolver.resolve("example.org"))
        .isEqualTo(
            new MxPlan.Hosts(
                List.of(
                    new MxHost("example.org", 0, List.of(ip("192.0.2.1"), ip("2001:db8::1"))))));
  }

  @Test
  void withoutMxAndWithoutAddressesTheDomainFailsPermanently() {
    dns.txt("example.org", "v=spf1 -all");

    assertThat(resolver.resolve("example.org"))
        .isInstanceOfSatisfying(
            MxPlan.PermanentFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("5.1.2");
              assertThat(failure.reason()).contains("no MX and no A/AAAA");
            });
  }

  @Test
  void withoutMxAnAddressLookupFailureIsTemporary() {
    dns.mx("example.org", new DnsAnswer.NoRecords<>())
        .addresses("example.org", new DnsAnswer.Failure<>("timeout"));

    assertThat(resolver.resolve("example.org"))
        .isInstanceOfSatisfying(
            MxPlan.TemporaryFailure.class,
            failure -> assertThat(failure.enhancedStatus()).isEqualTo("4.4.3"));
  }

  @Test
  void mxHostWithoutAddressIsSkippedWhenAnotherHasOne() throws Exception {
    dns.mx(
            "example.org",
            new MxRecord(10, "gone.example.org"),
            new MxRecord(20, "noaddress.example.org"),
            new MxRecord(30, "failing.example.org"),
            new MxRecord(40, "ok.example.org"))
        .txt("noaddress.example.org", "exists")
        .addresses("failing.example.org", new DnsAnswer.Failure<>("timeout"))
        .addresses("ok.example.org", "192.0.2.9");

    assertThat(resolver.resolve("example.org"))
        .isEqualTo(
            new MxPlan.Hosts(List.of(new MxHost("ok.example.org", 40, List.of(ip("192.0.2.9"))))));
  }

  @Test
  void mxHostsThatAllDoNotExistFailPermanentlyWith544() {
    dns.mx(
        "example.org",
        new MxRecord(10, "gone1.example.org"),
        new MxRecord(20, "gone2.example.org"));

    assertThat(resolver.resolve("example.org"))
        .isInstanceOfSatisfying(
            MxPlan.PermanentFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("5.4.4");
              assertThat(failure.reason())
                  .contains("gone1.example.org does not exist", "gone2.example.org does not exist");
            });
  }

  @Test
  void mxHostsWithoutAddressWhereOneLookupFailedFailTemporarily() {
    dns.mx(
            "example.org",
            new MxRecord(10, "gone.example.org"),
            new MxRecord(20, "failing.example.org"))
        .addresses("failing.example.org", new DnsAnswer.Failure<>("SERVFAIL"));

    assertThat(resolver.resolve("example.org"))
        .isInstanceOfSatisfying(
            MxPlan.TemporaryFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("4.4.3");
              assertThat(failure.reason()).contains("failing.example.org: SERVFAIL");
            });
  }

  @Test
  void repeatedExchangeIsTriedOnceAtItsBestPreference() {
    dns.mx(
            "example.org",
            new MxRecord(20, "mx.example.org"),
            new MxRecord(10, "MX.example.org"),
            new MxRecord(30, "backup.example.org"))
        .addresses("mx.example.org", "192.0.2.1")
        .addresses("backup.example.org", "192.0.2.2");

    MxPlan.Hosts plan = (MxPlan.Hosts) resolver.resolve("example.org");

    assertThat(plan.hosts()).extracting(MxHost::preference).containsExactly(10, 30);
  }

  @Test
  void atMostOneHundredMxHostsAreLookedUp() {
    List<MxRecord> many = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      many.add(new MxRecord(i, "mx" + i + ".example.org"));
      dns.addresses("mx" + i + ".example.org", "192.0.2.1");
    }
    dns.mx("example.org", new DnsAnswer.Records<>(many));

    List<String> names = names(resolver.resolve("example.org"));

    assertThat(names).hasSize(MxResolver.MAX_MX_HOSTS).startsWith("mx0.example.org");
    assertThat(names.getLast()).isEqualTo("mx99.example.org");
  }

  @Test
  void finalDotOfTheDomainIsIgnored() {
    dns.addresses("example.org", "192.0.2.1");

    assertThat(names(resolver.resolve("example.org."))).containsExactly("example.org");
  }

  @Test
  void ipv4DomainLiteralIsThatAddressWithoutDns() throws Exception {
    assertThat(resolver.resolve("[127.0.0.1]"))
        .isEqualTo(
            new MxPlan.Hosts(List.of(new MxHost("[127.0.0.1]", 0, List.of(ip("127.0.0.1"))))));
    assertThat(dns.questions()).isEmpty();
  }

  @Test
  void ipv6DomainLiteralIsThatAddressWithoutDns() throws Exception {
    assertThat(resolver.resolve("[IPv6:::1]"))
        .isEqualTo(new MxPlan.Hosts(List.of(new MxHost("[IPv6:::1]", 0, List.of(ip("::1"))))));
    InetAddress expected = ip("2001:db8::1");
    assertThat(resolver.resolve("[ipv6:2001:DB8::1]"))
        .isInstanceOfSatisfying(
            MxPlan.Hosts.class,
            plan -> assertThat(plan.hosts().getFirst().addresses()).containsExactly(expected));
    assertThat(dns.questions()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "[",
        "[256.0.0.1]",
        "[127.0.0]",
        "[example.org]",
        "[IPv6:1.2.3.4]",
        "[IPv6:zz::1]",
        "[IPv6:::1%lo]",
        "[IPv6:.::1]",
        "[x-tag:whatever]"
      })
  void malformedDomainLiteralFailsPermanentlyWith513WithoutDns(String literal) {
    assertThat(resolver.resolve(literal))
        .isInstanceOfSatisfying(
            MxPlan.PermanentFailure.class,
            failure -> assertThat(failure.enhancedStatus()).isEqualTo("5.1.3"));
    assertThat(dns.questions()).isEmpty();
  }

  @Test
  void throwingResolverIsATemporaryFailure() {
    DnsResolver broken =
        new DnsResolver() {
          @Override
          public DnsAnswer<MxRecord> mx(String domain) {
            throw new IllegalStateException("boom");
          }

          @Override
          public DnsAnswer<InetAddress> addresses(String host) {
            throw new IllegalStateException("boom");
          }

          @Override
          public DnsAnswer<String> txt(String name) {
            throw new IllegalStateException("boom");
          }
        };

    assertThat(new MxResolver(broken).resolve("example.org"))
        .isInstanceOfSatisfying(
            MxPlan.TemporaryFailure.class,
            failure -> assertThat(failure.reason()).contains("boom"));
  }

  @Test
  void emptyDomainIsMisuse() {
    assertThatThrownBy(() -> resolver.resolve("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> resolver.resolve(".")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> resolver.resolve(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void plansCheckTheirStatusClass() {
    assertThatThrownBy(() -> new MxPlan.PermanentFailure("4.4.3", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4.4.3");
    assertThatThrownBy(() -> new MxPlan.TemporaryFailure("5.1.2", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MxPlan.TemporaryFailure("4.4", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MxPlan.Hosts(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MxHost("mx.example.org", 10, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
