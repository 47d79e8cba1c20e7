package org.mta4j.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.dns.DnsResolver;
import org.mta4j.dns.DnsjavaResolver;
import org.mta4j.testing.KnotServer;

/** {@link MxResolver} with {@link DnsjavaResolver} against a real Knot DNS on 127.0.0.1. */
class MxResolverKnotTest {

  private static final String ZONE =
      """
      ; two equal preferences and a backup
      equal            MX 10 mx1.equal
      equal            MX 10 mx2.equal
      equal            MX 20 backup.equal
      mx1.equal        A  127.0.0.11
      mx2.equal        A  127.0.0.12
      backup.equal     A  127.0.0.13
      ; RFC 7505
      nullmx           MX 0 .
      ; MX -> CNAME -> A (loads because semantic checks are off)
      viacname         MX 10 alias.viacname
      alias.viacname   CNAME real.viacname
      real.viacname    A  127.0.0.21
      ; an MX host with only an IPv6 address
      v6only           MX 10 mx.v6only
      mx.v6only        AAAA ::1
      ; no MX, an address: the implicit MX
      implicit         A  127.0.0.41
      implicit         AAAA ::1
      ; a TXT record only: no MX, no address
      txtonly          TXT "v=spf1 -all"
      ; MX to a name that does not exist
      dangling         MX 10 nowhere.dangling
      ; several MX out of order, one of them unreachable (nothing listens on 127.0.0.99)
      unordered        MX 30 c.unordered
      unordered        MX 10 a.unordered
      unordered        MX 20 b.unordered
      a.unordered      A  127.0.0.99
      b.unordered      A  127.0.0.52
      c.unordered      A  127.0.0.53
      ; one MX host missing, the other fine
      partial          MX 10 nowhere.partial
      partial          MX 20 ok.partial
      ok.partial       A  127.0.0.61
      ; MX host outside every zone Knot serves: REFUSED
      refusedhost      MX 10 mx.elsewhere.invalid.
      """;

  @TempDir static Path dir;
  private static KnotServer knot;
  private static DnsResolver dns;

  @BeforeAll
  static void startKnot() {
    knot =
        KnotServer.start(
            dir,
            Map.of("mx.test", KnotServer.zone(ZONE), "broken.test", KnotServer.UNLOADABLE_ZONE));
    dns = DnsjavaResolver.builder().servers(knot.address()).timeout(Duration.ofSeconds(2)).build();
  }

  @AfterAll
  static void stopKnot() {
    if (knot != null) {
      knot.close();
    }
  }

  private static MxPlan resolve(String domain) {
    return new MxResolver(dns, new SplittableRandom(3)).resolve(domain);
  }

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal); // literals only: no lookup
  }

  private static String status(MxPlan plan) {
    return switch (plan) {
      case MxPlan.PermanentFailure failure -> failure.enhancedStatus();
      case MxPlan.TemporaryFailure failure -> failure.enhancedStatus();
      case MxPlan.Hosts hosts -> "hosts " + hosts;
    };
  }

  @Test
  void equalPreferencesComeInBothOrdersBeforeTheBackup() throws Exception {
    Set<List<String>> orders = new HashSet<>();
    for (int seed = 0; seed < 20; seed++) {
      MxPlan.Hosts plan =
          (MxPlan.Hosts) new MxResolver(dns, new SplittableRandom(seed)).resolve("equal.mx.test");
      List<String> names = plan.hosts().stream().map(MxHost::name).toList();
      assertThat(plan.hosts().getLast())
          .isEqualTo(new MxHost("backup.equal.mx.test", 20, List.of(ip("127.0.0.13"))));
      orders.add(names.subList(0, 2));
    }
    assertThat(orders).hasSize(2);
  }

  @Test
  void nullMxIsPermanent5110() {
    assertThat(status(resolve("nullmx.mx.test"))).isEqualTo("5.1.10");
  }

  @Test
  void mxPointingAtACnameUsesTheCnameTargetsAddress() throws Exception {
    assertThat(resolve("viacname.mx.test"))
        .isEqualTo(
            new MxPlan.Hosts(
                List.of(new MxHost("alias.viacname.mx.test", 10, List.of(ip("127.0.0.21"))))));
  }

  @Test
  void ipv6OnlyMxHostIsUsed() throws Exception {
    assertThat(resolve("v6only.mx.test"))
        .isEqualTo(
            new MxPlan.Hosts(List.of(new MxHost("mx.v6only.mx.test", 10, List.of(ip("::1"))))));
  }

  @Test
  void domainWithoutMxIsItsOwnMx() throws Exception {
    assertThat(resolve("implicit.mx.test"))
        .isEqualTo(
            new MxPlan.Hosts(
                List.of(new MxHost("implicit.mx.test", 0, List.of(ip("127.0.0.41"), ip("::1"))))));
  }

  @Test
  void domainWithNeitherMxNorAddressIsPermanent512() {
    assertThat(status(resolve("txtonly.mx.test"))).isEqualTo("5.1.2");
  }

  @Test
  void domainThatDoesNotExistIsPermanent512() {
    assertThat(status(resolve("nope.mx.test"))).isEqualTo("5.1.2");
  }

  @Test
  void mxToANameThatDoesNotExistIsPermanent544() {
    assertThat(resolve("dangling.mx.test"))
        .isInstanceOfSatisfying(
            MxPlan.PermanentFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("5.4.4");
              assertThat(failure.reason()).contains("nowhere.dangling.mx.test does not exist");
            });
  }

  @Test
  void severalMxOutOfOrderAreSortedWithTheirAddresses() throws Exception {
    assertThat(resolve("unordered.mx.test"))
        .isEqualTo(
            new MxPlan.Hosts(
                List.of(
                    new MxHost("a.unordered.mx.test", 10, List.of(ip("127.0.0.99"))),
                    new MxHost("b.unordered.mx.test", 20, List.of(ip("127.0.0.52"))),
                    new MxHost("c.unordered.mx.test", 30, List.of(ip("127.0.0.53"))))));
  }

  @Test
  void missingMxHostIsSkipped() throws Exception {
    assertThat(resolve("partial.mx.test"))
        .isEqualTo(
            new MxPlan.Hosts(
                List.of(new MxHost("ok.partial.mx.test", 20, List.of(ip("127.0.0.61"))))));
  }

  @Test
  void mxHostTheServerRefusesIsTemporary443() {
    assertThat(status(resolve("refusedhost.mx.test"))).isEqualTo("4.4.3");
  }

  @Test
  void servfailForTheDomainIsTemporary443() {
    assertThat(resolve("broken.test"))
        .isInstanceOfSatisfying(
            MxPlan.TemporaryFailure.class,
            failure -> {
              assertThat(failure.enhancedStatus()).isEqualTo("4.4.3");
              assertThat(failure.reason()).contains("SERVFAIL");
            });
  }

  @Test
  void domainOutsideTheServersZonesIsTemporary443() {
    assertThat(status(resolve("elsewhere.invalid"))).isEqualTo("4.4.3");
  }
}
