package org.mta4j.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

  @ParameterizedTest
  @CsvSource({
    "10.0.0.0/8, 10.0.0.0/8",
    "127.0.0.1, 127.0.0.1/32",
    "0.0.0.0/0, 0.0.0.0/0",
    "192.168.1.128/25, 192.168.1.128/25",
    "::1/128, ::1/128",
    "::1, ::1/128",
    "[::1]/128, ::1/128",
    "[::1], ::1/128",
    "::/0, ::/0",
    "2001:db8::/32, 2001:db8::/32",
    "2001:0DB8:0000:0000:0000:0000:0000:0000/32, 2001:db8::/32",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1/128",
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1/128",
    "fe80::/10, fe80::/10",
    "::ffff:10.0.0.0/104, 10.0.0.0/8",
    "::ffff:0:0/96, 0.0.0.0/0",
  })
  void parsesLiteralNetworksToCanonicalText(String text, String canonical) {
    assertThat(Cidr.parse(text)).hasToString(canonical);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "/8",
        "10.0.0.0/",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "10.0.0.0/8/8",
        "10.0.0/8",
        "10.0.0.0.0",
        "010.0.0.0/8",
        "256.0.0.0/8",
        "10.0.0.0 /8",
        "::1/129",
        "::1/1000",
        ":::1",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7::8",
        "12345::",
        "::g",
        "1.2.3.4::",
        "fe80::1%eth0",
        "[10.0.0.1]",
        "[::1",
        "localhost",
        "example.com/24",
      })
  void rejectsAnythingElseNamingTheValue(String text) {
    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a network (address/prefix): " + text);
  }

  @Test
  void rejectsHostBitsAndSuggestsTheNetwork() {
    assertThatThrownBy(() -> Cidr.parse("10.1.2.3/8"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("host bits set in network: 10.1.2.3/8 (did you mean 10.0.0.0/8?)");
    assertThatThrownBy(() -> Cidr.parse("2001:db8::1/32"))
        .hasMessageContaining("did you mean 2001:db8::/32?");
  }

  @Test
  void containsAddressesInsideThePrefixOnly() {
    Cidr net = Cidr.parse("192.168.1.128/25");
    assertThat(net.contains(ip("192.168.1.128"))).isTrue();
    assertThat(net.contains(ip("192.168.1.255"))).isTrue();
    assertThat(net.contains(ip("192.168.1.127"))).isFalse();
    assertThat(net.contains(ip("192.168.2.200"))).isFalse();
  }

  @Test
  void edgePrefixesMatchEverythingOrExactlyOneAddress() {
    assertThat(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
    assertThat(Cidr.parse("::/0").contains(ip("2001:db8::9"))).isTrue();
    assertThat(Cidr.parse("203.0.113.9/32").contains(ip("203.0.113.9"))).isTrue();
    assertThat(Cidr.parse("203.0.113.9/32").contains(ip("203.0.113.8"))).isFalse();
    assertThat(Cidr.parse("2001:db8::9/128").contains(ip("2001:db8::9"))).isTrue();
    assertThat(Cidr.parse("2001:db8::9/128").contains(ip("2001:db8::8"))).isFalse();
    assertThat(Cidr.parse("2001:db8::/127").contains(ip("2001:db8::1"))).isTrue();
    assertThat(Cidr.parse("2001:db8::/127").contains(ip("2001:db8::2"))).isFalse();
  }

  @Test
  void familiesDoNotMix() {
    assertThat(Cidr.parse("::/0").contains(ip("10.0.0.1"))).isFalse();
    assertThat(Cidr.parse("0.0.0.0/0").contains(ip("::1"))).isFalse();
    assertThat(Cidr.parse("::1").contains(ip("127.0.0.1"))).isFalse();
    assertThat(Cidr.parse("127.0.0.1").contains(ip("::1"))).isFalse();
  }

  @Test
  void ipv4MappedAddressMatchesIpv4Networks() throws UnknownHostException {
    // InetAddress.getByAddress turns a mapped address into an Inet4Address; Inet6Address keeps it.
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3};
    InetAddress asInet6 = Inet6Address.getByAddress(null, mapped, -1);
    assertThat(asInet6).isInstanceOf(Inet6Address.class);

    Cidr tenSlash8 = Cidr.parse("10.0.0.0/8");
    assertThat(tenSlash8.contains(asInet6)).isTrue();
    assertThat(tenSlash8.contains(InetAddress.getByAddress(mapped))).isTrue();
    assertThat(Cidr.parse("11.0.0.0/8").contains(asInet6)).isFalse();
    assertThat(Cidr.parse("::ffff:10.0.0.0/104").contains(ip("10.200.0.1"))).isTrue();
  }

  @Test
  void anyContainsChecksEachNetwork() {
    List<Cidr> trusted = List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1"));
    assertThat(Cidr.anyContains(trusted, ip("10.9.9.9"))).isTrue();
    assertThat(Cidr.anyContains(trusted, ip("::1"))).isTrue();
    assertThat(Cidr.anyContains(trusted, ip("192.0.2.1"))).isFalse();
    assertThat(Cidr.anyContains(List.of(), ip("10.9.9.9"))).isFalse();
  }

  @Test
  void equalNetworksAreEqual() {
    assertThat(Cidr.parse("2001:DB8::/32")).isEqualTo(Cidr.parse("[2001:db8:0::]/32"));
    assertThat(Cidr.parse("2001:db8::/32").hashCode())
        .isEqualTo(Cidr.parse("2001:db8:0::/32").hashCode());
    assertThat(Cidr.parse("10.0.0.0/8")).isNotEqualTo(Cidr.parse("10.0.0.0/9"));
  }

  @ParameterizedTest
  @CsvSource({
    "1:0:0:1:0:0:0:1, 1:0:0:1::1",
    "1:0:0:0:1:0:0:1, 1::1:0:0:1",
    "0:0:0:0:0:0:0:0, ::",
    "1:0:0:0:0:0:0:0, 1::",
    "0:1:0:0:0:0:0:0, 0:1::",
    "1:0:1:0:1:0:1:0, 1:0:1:0:1:0:1:0",
    "::1.2.3.4, ::102:304",
  })
  void formatsIpv6PerRfc5952(String text, String canonical) {
    assertThat(Cidr.format(Cidr.parseLiteral(text))).isEqualTo(canonical);
  }

  /** Literal to InetAddress for tests, through the parser under test so no DNS is involved. */
  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByAddress(Cidr.parseLiteral(literal));
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
