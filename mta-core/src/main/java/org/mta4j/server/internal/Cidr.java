package org.mta4j.server.internal;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;

/**
 * An IP network {@code address/prefix} (RFC 4632 §3.1, RFC 4291 §2.3) for listener trust lists.
 * Literals are parsed by hand so that a typo can never become a DNS lookup, and an IPv4-mapped IPv6
 * peer (RFC 4291 §2.5.5.2) is matched as the IPv4 address it carries.
 */
public final class Cidr {

  private final byte[] network; // 4 or 16 bytes, host bits zero
  private final int prefix;

  private Cidr(byte[] network, int prefix) {
    this.network = network;
    this.prefix = prefix;
  }

  /**
   * Parses {@code 10.0.0.0/8}, {@code 127.0.0.1} (a /32), {@code 2001:db8::/32}, {@code ::1} or
   * {@code [::1]/128}. A network inside {@code ::ffff:0:0/96} becomes the IPv4 network it maps.
   *
   * @throws IllegalArgumentException if the text is not a literal network, or has host bits set
   */
  public static Cidr parse(String text) {
    Objects.requireNonNull(text, "text");
    String address = text;
    String prefixText = null;
    int slash = text.indexOf('/');
    if (slash >= 0) {
      address = text.substring(0, slash);
      prefixText = text.substring(slash + 1);
    }
    boolean bracketed = address.length() >= 2 && address.startsWith("[") && address.endsWith("]");
    if (bracketed) {
      address = address.substring(1, address.length() - 1);
    }
    byte[] bytes = parseLiteral(address);
    if (bytes == null || (bracketed && bytes.length != 16)) {
      throw notANetwork(text);
    }
    int prefix = bytes.length * 8;
    if (prefixText != null) {
      prefix = parsePrefix(prefixText, prefix);
      if (prefix < 0) {
        throw notANetwork(text);
      }
    }
    if (bytes.length == 16 && isIpv4Mapped(bytes) && prefix >= 96) {
      bytes = Arrays.copyOfRange(bytes, 12, 16);
      prefix -= 96;
    }
    byte[] masked = masked(bytes, prefix);
    if (!Arrays.equals(masked, bytes)) {
      // Postfix rejects these too: "10.0.0.1/8" is more likely a typo than a wish for 10/8.
      throw new IllegalArgumentException(
          "host bits set in network: "
              + text
              + " (did you mean "
              + new Cidr(masked, prefix)
              + "?)");
    }
    return new Cidr(bytes, prefix);
  }

  /** True if the address is in this network; an IPv4-mapped IPv6 address counts as IPv4. */
  public boolean contains(InetAddress address) {
    Objects.requireNonNull(address, "address");
    byte[] candidate = address.getAddress();
    if (candidate.length == 16 && isIpv4Mapped(candidate)) {
      candidate = Arrays.copyOfRange(candidate, 12, 16);
    }
    if (candidate.length != network.length) {
      return false;
    }
    int whole = prefix / 8;
    for (int i = 0; i < whole; i++) {
      if (candidate[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (candidate[whole] & mask) == (network[whole] & mask);
  }

  /** True if any of the networks contains the address. */
  public static boolean anyContains(Collection<Cidr> networks, InetAddress address) {
    Objects.requireNonNull(address, "address");
    for (Cidr network : networks) {
      if (network.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** The prefix length: 0..32 for IPv4, 0..128 for IPv6. */
  public int prefix() {
    return prefix;
  }

  /** True for an IPv6 network. */
  public boolean isIpv6() {
    return network.length == 16;
  }

  /** Canonical {@code addr/prefix}; IPv6 in the RFC 5952 §4 form ({@code 2001:db8::/32}). */
  @Override
  public String toString() {
    return format(network) + "/" + prefix;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr other
        && prefix == other.prefix
        && Arrays.equals(network, other.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefix;
  }

  /**
   * The 4 or 16 bytes of an IPv4 (dotted decimal, no leading zeros) or IPv6 (RFC 4291 §2.2) literal
   * without brackets or zone, or null if the text is none; IPv4-mapped ones keep 16.
   */
  static byte[] parseLiteral(String text) {
    if (text.indexOf(':') >= 0) {
      return parseIpv6(text);
    }
    byte[] out = new byte[4];
    return parseIpv4(text, out, 0) ? out : null;
  }

  /** Formats 4 or 16 address bytes: dotted decimal, or RFC 5952 §4 IPv6 text. */
  static String format(byte[] address) {
    if (address.length == 4) {
      return (address[0] & 0xff)
          + "."
          + (address[1] & 0xff)
          + "."
          + (address[2] & 0xff)
          + "."
          + (address[3] & 0xff);
    }
    int[] words = new int[8];
    for (int i = 0; i < 8; i++) {
      words[i] = ((address[2 * i] & 0xff) << 8) | (address[2 * i + 1] & 0xff);
    }
    // RFC 5952 §4.2: compress the longest run of two or more zero words, the first if tied.
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      if (words[i] != 0) {
        i++;
        continue;
      }
      int start = i;
      while (i < 8 && words[i] == 0) {
        i++;
      }
      if (i - start > bestLength) {
        bestStart = start;
        bestLength = i - start;
      }
    }
    StringBuilder text = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        text.append("::");
        i += bestLength - 1;
        continue;
      }
      if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
        text.append(':');
      }
      text.append(Integer.toHexString(words[i]));
    }
    return text.toString();
  }

  private static IllegalArgumentException notANetwork(String text) {
    return new IllegalArgumentException("not a network (address/prefix): " + text);
  }

  private static int parsePrefix(String text, int max) {
    if (text.isEmpty() || text.length() > 3) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= max ? value : -1;
  }

  private static boolean isIpv4Mapped(byte[] address) {
    for (int i = 0; i < 10; i++) {
      if (address[i] != 0) {
        return false;
      }
    }
    return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
  }

  private static byte[] masked(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int bit = prefix; bit < out.length * 8; bit++) {
      out[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    return out;
  }

  /** Dotted decimal, exactly four parts, no leading zeros (they read as octal to inet_aton). */
  private static boolean parseIpv4(String text, byte[] out, int offset) {
    int parts = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || parts == 4) {
          return false;
        }
        out[offset + parts++] = (byte) value;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) {
          return false;
        }
        value = value * 10 + (c - '0');
        digits++;
        if (value > 255) {
          return false;
        }
      } else {
        return false;
      }
    }
    return parts == 4;
  }

  private static byte[] parseIpv6(String text) {
    byte[] out = new byte[16];
    int gap = text.indexOf("::");
    if (gap < 0) {
      return words(text, true, out) == 16 ? out : null;
    }
    if (text.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    byte[] tail = new byte[16];
    int head = words(text.substring(0, gap), false, out);
    int tailLength = words(text.substring(gap + 2), true, tail);
    // RFC 4291 §2.2: "::" stands for one or more groups of zeros.
    if (head < 0 || tailLength < 0 || head + tailLength > 14) {
      return null;
    }
    System.arraycopy(tail, 0, out, 16 - tailLength, tailLength);
    return out;
  }

  /** Colon-separated hex groups, the last maybe dotted IPv4; the bytes written, or -1. */
  private static int words(String part, boolean mayEndInIpv4, byte[] out) {
    if (part.isEmpty()) {
      return 0;
    }
    int n = 0;
    int start = 0;
    while (true) {
      int colon = part.indexOf(':', start);
      String group = colon < 0 ? part.substring(start) : part.substring(start, colon);
      if (colon < 0 && mayEndInIpv4 && group.indexOf('.') >= 0) {
        return n + 4 <= 16 && parseIpv4(group, out, n) ? n + 4 : -1;
      }
      if (group.isEmpty() || group.length() > 4 || n + 2 > 16) {
        return -1;
      }
      int value = 0;
      for (int i = 0; i < group.length(); i++) {
        int digit = hexDigit(group.charAt(i));
        if (digit < 0) {
          return -1;
        }
        value = (value << 4) | digit;
      }
      out[n++] = (byte) (value >>> 8);
      out[n++] = (byte) value;
      if (colon < 0) {
        return n;
      }
      start = colon + 1;
    }
  }

  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
