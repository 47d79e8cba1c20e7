package org.mta4j.routing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RFC 5321 §4.1.3 address literals: {@code [192.0.2.1]} and {@code [IPv6:2001:db8::1]}. Parsed here
 * without {@link InetAddress#getByName} on free text, which would ask DNS for anything that is not
 * an address.
 */
final class DomainLiteral {

  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern IPV6_TAG = Pattern.compile("(?i)IPv6:");
  // Hex digits, colons and dots only, starting with a hex digit or a colon: the JDK then parses
  // it as an IPv6 literal or rejects it, and never looks it up.
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*");

  private DomainLiteral() {}

  /** The single host of a domain literal, or a permanent failure if it is not an address. */
  static MxPlan plan(String literal) {
    InetAddress address = parse(literal);
    if (address == null) {
      return new MxPlan.PermanentFailure(
          MxStatus.BAD_DOMAIN_LITERAL,
          "domain literal "
              + literal
              + " is not an IPv4 or IPv6 address literal (RFC 5321 §4.1.3)");
    }
    return new MxPlan.Hosts(List.of(new MxHost(literal, 0, List.of(address))));
  }

  /** The address in {@code literal}, or {@code null} if it is not an address literal. */
  static InetAddress parse(String literal) {
    if (literal.length() < 3 || !literal.startsWith("[") || !literal.endsWith("]")) {
      return null;
    }
    String content = literal.substring(1, literal.length() - 1);
    Matcher v4 = IPV4.matcher(content);
    if (v4.matches()) {
      byte[] bytes = new byte[4];
      for (int i = 0; i < 4; i++) {
        int octet = Integer.parseInt(v4.group(i + 1));
        if (octet > 255) {
          return null;
        }
        bytes[i] = (byte) octet;
      }
      return byAddress(bytes);
    }
    Matcher tag = IPV6_TAG.matcher(content);
    if (!tag.lookingAt()) {
      return null; // a General-address-literal (tag:content) with a tag we do not know
    }
    String v6 = content.substring(tag.end());
    if (!IPV6.matcher(v6).matches() || v6.indexOf(':') < 0) {
      return null;
    }
    try {
      return InetAddress.getByName(v6);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static InetAddress byAddress(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 bytes are an IPv4 address", e);
    }
  }
}
