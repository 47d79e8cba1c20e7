package org.mta4j.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Reads the HAProxy PROXY protocol header, v1 or v2 (haproxy doc/proxy-protocol.txt §2.1, §2.2),
 * that a trusted load balancer sends before SMTP. It reads exactly the header and nothing more, so
 * the caller can hand the same stream to the SMTP session (or to TLS, for implicit-TLS listeners).
 */
public final class ProxyProtocol {

  /**
   * The original connection endpoints; both null when the header says to keep the real socket
   * addresses (v1 {@code UNKNOWN}, v2 {@code LOCAL}, or an address family not forwarded here).
   */
  public record ProxyHeader(InetSocketAddress source, InetSocketAddress destination) {

    static final ProxyHeader KEEP_SOCKET_ADDRESSES = new ProxyHeader(null, null);

    public ProxyHeader {
      if ((source == null) != (destination == null)) {
        throw new IllegalArgumentException(
            "source and destination must both be set or both be null: "
                + source
                + ", "
                + destination);
      }
    }

    /** True if the header carries addresses that replace the socket's. */
    public boolean hasAddresses() {
      return source != null;
    }
  }

  /** §2.1: "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n" is the longest line. */
  static final int V1_MAX_LINE = 107;

  /**
   * Our limit on the v2 address and TLV block. §2.2 says the header is always sent at once and fits
   * in an MSS; 536 is the smallest IPv4 MSS (RFC 879), room for AF_UNIX (216) plus 320 of TLVs.
   */
  static final int V2_MAX_PAYLOAD = 536;

  private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);

  /** §2.2: the 12-byte signature, chosen to be rejected by most other protocols. */
  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  private ProxyProtocol() {}

  /**
   * Reads one v1 or v2 header, consuming exactly its bytes, so the stream can go on to the session
   * as it is. v1 is read byte by byte: pass the socket's own stream, not a fresh buffered wrapper.
   *
   * @throws ProxyProtocolException if the header is malformed, too long, or the stream ends in it
   * @throws IOException if reading fails
   */
  public static ProxyHeader read(InputStream in) throws IOException {
    int first = in.read();
    if (first == 'P') {
      return readV1(in);
    }
    if (first == V2_SIGNATURE[0]) {
      return readV2(in);
    }
    if (first < 0) {
      throw new ProxyProtocolException("connection closed before the PROXY protocol header");
    }
    throw new ProxyProtocolException(
        String.format("not a PROXY protocol header: starts with byte 0x%02x", first));
  }

  // --- version 1, §2.1 --------------------------------------------------------------------------

  private static ProxyHeader readV1(InputStream in) throws IOException {
    byte[] line = new byte[V1_MAX_LINE];
    line[0] = 'P';
    int length = 1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new ProxyProtocolException(
            "connection closed after " + length + " bytes of a PROXY v1 header");
      }
      if (length < V1_PREFIX.length && b != V1_PREFIX[length]) {
        throw new ProxyProtocolException(
            "not a PROXY protocol header: starts with "
                + quote(new String(line, 0, length, StandardCharsets.US_ASCII) + (char) b));
      }
      boolean afterCr = line[length - 1] == '\r';
      if (b == '\n') {
        if (!afterCr) {
          throw new ProxyProtocolException("PROXY v1 header ends in a bare LF, not CRLF");
        }
        return parseV1(new String(line, 0, length - 1, StandardCharsets.US_ASCII));
      }
      if (afterCr) {
        throw new ProxyProtocolException("PROXY v1 header has a CR not followed by LF");
      }
      if ((b < 0x20 && b != '\r') || b > 0x7e) {
        throw new ProxyProtocolException(
            String.format("PROXY v1 header contains byte 0x%02x at offset %d", b, length));
      }
      if (length == V1_MAX_LINE - 1) {
        // The next byte would be the 108th; a valid line has its LF by the 107th.
        throw new ProxyProtocolException(
            "PROXY v1 header has no CRLF within " + V1_MAX_LINE + " bytes");
      }
      line[length++] = (byte) b;
    }
  }

  private static ProxyHeader parseV1(String line) throws ProxyProtocolException {
    String[] fields = line.split(" ", -1);
    String protocol = fields[1];
    if (protocol.equals("UNKNOWN")) {
      // §2.1: the receiver must ignore anything after UNKNOWN and use the real endpoints.
      return ProxyHeader.KEEP_SOCKET_ADDRESSES;
    }
    int addressLength;
    if (protocol.equals("TCP4")) {
      addressLength = 4;
    } else if (protocol.equals("TCP6")) {
      addressLength = 16;
    } else {
      throw new ProxyProtocolException("PROXY v1 header has unknown protocol " + quote(protocol));
    }
    if (fields.length != 6) {
      throw new ProxyProtocolException(
          "PROXY v1 header must have 6 fields separated by single spaces: " + quote(line));
    }
    InetAddress source = v1Address(fields[2], addressLength, protocol);
    InetAddress destination = v1Address(fields[3], addressLength, protocol);
    return new ProxyHeader(
        new InetSocketAddress(source, v1Port(fields[4])),
        new InetSocketAddress(destination, v1Port(fields[5])));
  }

  private static InetAddress v1Address(String text, int length, String protocol)
      throws ProxyProtocolException {
    byte[] bytes = Cidr.parseLiteral(text);
    if (bytes == null || bytes.length != length) {
      throw new ProxyProtocolException(
          "PROXY v1 header has a bad " + protocol + " address " + quote(text));
    }
    return address(bytes);
  }

  /** §2.1: decimal 0..65535 without leading zeros. */
  private static int v1Port(String text) throws ProxyProtocolException {
    boolean valid =
        !text.isEmpty() && text.length() <= 5 && (text.length() == 1 || text.charAt(0) != '0');
    int value = 0;
    for (int i = 0; valid && i < text.length(); i++) {
      char c = text.charAt(i);
      valid = c >= '0' && c <= '9';
      value = value * 10 + (c - '0');
    }
    if (!valid || value > 65535) {
      throw new ProxyProtocolException("PROXY v1 header has a bad port " + quote(text));
    }
    return value;
  }

  // --- version 2, §2.2 --------------------------------------------------------------------------

  private static ProxyHeader readV2(InputStream in) throws IOException {
    byte[] fixed = new byte[16];
    fixed[0] = V2_SIGNATURE[0];
    readFully(in, fixed, 1, 15, 1);
    for (int i = 0; i < V2_SIGNATURE.length; i++) {
      if (fixed[i] != V2_SIGNATURE[i]) {
        throw new ProxyProtocolException(
            "not a PROXY protocol header: bad v2 signature "
                + HexFormat.of().formatHex(fixed, 0, V2_SIGNATURE.length));
      }
    }
    int version = (fixed[12] & 0xf0) >>> 4;
    int command = fixed[12] & 0x0f;
    int family = (fixed[13] & 0xf0) >>> 4;
    int transport = fixed[13] & 0x0f;
    int length = ((fixed[14] & 0xff) << 8) | (fixed[15] & 0xff);
    if (version != 2) {
      throw new ProxyProtocolException("PROXY v2 header has version nibble " + version + ", not 2");
    }
    if (command > 1) {
      throw new ProxyProtocolException("PROXY v2 header has unassigned command " + command);
    }
    if (length > V2_MAX_PAYLOAD) {
      throw new ProxyProtocolException(
          "PROXY v2 header declares "
              + length
              + " bytes of addresses and TLVs; limit "
              + V2_MAX_PAYLOAD);
    }
    byte[] payload = new byte[length];
    readFully(in, payload, 0, length, 16);
    if (command == 0) {
      // LOCAL: a health check from the proxy itself; the family and block are ignored.
      return ProxyHeader.KEEP_SOCKET_ADDRESSES;
    }
    if (family > 3) {
      throw new ProxyProtocolException("PROXY v2 header has unassigned address family " + family);
    }
    if (transport > 2) {
      throw new ProxyProtocolException("PROXY v2 header has unassigned transport " + transport);
    }
    int addressLength = family == 1 ? 4 : 16;
    if (family == 0 || family == 3 || transport != 1) {
      // AF_UNSPEC, AF_UNIX, UNSPEC or DGRAM: fall back to the real endpoints, as §2.2 allows.
      return ProxyHeader.KEEP_SOCKET_ADDRESSES;
    }
    int blockLength = 2 * addressLength + 4;
    if (length < blockLength) {
      throw new ProxyProtocolException(
          "PROXY v2 header declares "
              + length
              + " bytes, too few for "
              + (family == 1 ? "AF_INET" : "AF_INET6")
              + " addresses ("
              + blockLength
              + ")");
    }
    checkTlvs(payload, blockLength);
    byte[] source = new byte[addressLength];
    byte[] destination = new byte[addressLength];
    System.arraycopy(payload, 0, source, 0, addressLength);
    System.arraycopy(payload, addressLength, destination, 0, addressLength);
    int sourcePort =
        ((payload[2 * addressLength] & 0xff) << 8) | (payload[2 * addressLength + 1] & 0xff);
    int destinationPort =
        ((payload[2 * addressLength + 2] & 0xff) << 8) | (payload[2 * addressLength + 3] & 0xff);
    return new ProxyHeader(
        new InetSocketAddress(address(source), sourcePort),
        new InetSocketAddress(address(destination), destinationPort));
  }

  /** §2.2.x: TLVs are skipped, but each must fit in the declared length. */
  private static void checkTlvs(byte[] payload, int offset) throws ProxyProtocolException {
    int at = offset;
    while (at < payload.length) {
      if (payload.length - at < 3) {
        throw new ProxyProtocolException(
            "PROXY v2 header has a truncated TLV at offset " + (16 + at));
      }
      int valueLength = ((payload[at + 1] & 0xff) << 8) | (payload[at + 2] & 0xff);
      if (valueLength > payload.length - at - 3) {
        throw new ProxyProtocolException(
            String.format(
                "PROXY v2 header has TLV type 0x%02x at offset %d with length %d past the end",
                payload[at] & 0xff, 16 + at, valueLength));
      }
      at += 3 + valueLength;
    }
  }

  private static void readFully(InputStream in, byte[] buffer, int offset, int length, int before)
      throws IOException {
    int done = in.readNBytes(buffer, offset, length);
    if (done < length) {
      throw new ProxyProtocolException(
          "connection closed after "
              + (before + done)
              + " of "
              + (before + length)
              + " bytes of a PROXY v2 header");
    }
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes); // raw bytes: no lookup
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  /** Quotes peer bytes for a message, escaping any that could forge log lines. */
  private static String quote(String text) {
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        quoted.append(String.format("\\x%02x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }
}
