package org.mta4j.server.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** IP literals parsed without any DNS lookup (the JDK's {@code ofLiteral} is Java 22+). */
public final class InetLiterals {
  private static final Pattern IPV4 =
      Pattern.compile(
          "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[0-9A-Za-z]+)?");

  private InetLiterals() {}

  /** True for an IPv4 dotted quad or an IPv6 literal (without brackets). */
  public static boolean isLiteral(String s) {
    return s != null
        && (IPV4.matcher(s).matches() || (s.indexOf(':') >= 0 && IPV6.matcher(s).matches()));
  }

  /** The address in its short form (RFC 5952 for IPv6: {@code ::1}), without a scope id. */
  public static String format(InetAddress address) {
    return Cidr.format(address.getAddress());
  }

  /** Parses an IP literal; IllegalArgumentException names the value if it is not one. */
  public static InetAddress parse(String s) {
    if (!isLiteral(s)) {
      throw new IllegalArgumentException("not an IP address literal: " + s);
    }
    try {
      return InetAddress.getByName(s); // a literal: the JDK parses it, no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address literal: " + s, e);
    }
  }
}
