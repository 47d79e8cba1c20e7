package org.mta4j.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mta4j.server.internal.ProxyProtocol.ProxyHeader;

class ProxyProtocolTest {

  private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";

  // --- version 1 ---

  @Test
  void v1Tcp4GivesTheClientAndProxyAddresses() throws IOException {
    ProxyHeader header = read("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\n");

    assertThat(header.source()).isEqualTo(socket("192.0.2.7", 56324));
    assertThat(header.destination()).isEqualTo(socket("198.51.100.1", 25));
    assertThat(header.hasAddresses()).isTrue();
  }

  @Test
  void v1Tcp6GivesIpv6Addresses() throws IOException {
    ProxyHeader header = read("PROXY TCP6 2001:db8::7 2001:DB8:0:0:0:0:0:1 65535 0\r\n");

    assertThat(header.source()).isEqualTo(socket("2001:db8::7", 65535));
    assertThat(header.destination()).isEqualTo(socket("2001:db8::1", 0));
  }

  @Test
  void v1LongestValidLineIsAccepted() throws IOException {
    String full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    String line = "PROXY TCP6 " + full + " " + full + " 65535 65535\r\n";
    assertThat(line).hasSize(104);
    assertThat(read(line).source().getPort()).isEqualTo(65535);

    String unknown = "PROXY UNKNOWN " + full + " " + full + " 65535 65535\r\n";
    assertThat(unknown).hasSize(ProxyProtocol.V1_MAX_LINE);
    assertThat(read(unknown).hasAddresses()).isFalse();
  }

  @Test
  void v1UnknownKeepsTheSocketAddresses() throws IOException {
    assertThat(read("PROXY UNKNOWN\r\n")).isEqualTo(new ProxyHeader(null, null));
    assertThat(read("PROXY UNKNOWN whatever follows\r\n").source()).isNull();
  }

  @Test
  void v1LineWithoutCrlfWithin107BytesIsRejected() {
    String line = "PROXY UNKNOWN " + "x".repeat(200) + "\r\n";
    assertThatThrownBy(() -> read(line))
        .isInstanceOf(ProxyProtocolException.class)
        .hasMessage("PROXY v1 header has no CRLF within 107 bytes");
    // 108 bytes including CRLF: one too many.
    String justTooLong = "PROXY UNKNOWN " + "x".repeat(92) + "\r\n";
    assertThat(justTooLong).hasSize(108);
    assertThatThrownBy(() -> read(justTooLong)).isInstanceOf(ProxyProtocolException.class);
  }

  @Test
  void nonProxyTrafficIsRejectedAtOnce() throws IOException {
    InputStream in = stream("EHLO client.example\r\n");
    assertThatThrownBy(() -> ProxyProtocol.read(in))
        .isInstanceOf(ProxyProtocolException.class)
        .hasMessage("not a PROXY protocol header: starts with byte 0x45");

    InputStream almost = stream("PROXZ TCP4 ...\r\n");
    assertThatThrownBy(() -> ProxyProtocol.read(almost))
        .hasMessage("not a PROXY protocol header: starts with \"PROXZ\"");
    assertThat(almost.available()).as("stops reading at the first wrong byte").isEqualTo(11);

    assertThatThrownBy(() -> read("PROX\r\n"))
        .hasMessage("not a PROXY protocol header: starts with \"PROX\\x0d\"");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 25 extra\r\n",
        "PROXY TCP4  192.0.2.7 198.51.100.1 56324 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 25 \r\n",
        "PROXY TCP5 192.0.2.7 198.51.100.1 56324 25\r\n",
        "PROXY tcp4 192.0.2.7 198.51.100.1 56324 25\r\n",
        "PROXY \r\n",
        "PROXY TCP4 192.0.2.256 198.51.100.1 56324 25\r\n",
        "PROXY TCP4 192.0.02.7 198.51.100.1 56324 25\r\n",
        "PROXY TCP4 localhost 198.51.100.1 56324 25\r\n",
        "PROXY TCP4 2001:db8::7 198.51.100.1 56324 25\r\n",
        "PROXY TCP6 192.0.2.7 2001:db8::1 56324 25\r\n",
        "PROXY TCP6 [2001:db8::7] 2001:db8::1 56324 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 65536 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 -1 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 025 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 x 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\rX\n",
        "PROXY TCP4 192.0.2.7\t198.51.100.1 56324 25\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 25",
        "PROXY",
      })
  void v1MalformedLinesAreRejected(String line) {
    assertThatThrownBy(() -> read(line)).isInstanceOf(ProxyProtocolException.class);
  }

  @Test
  void v1ErrorsSayWhatWasWrong() {
    assertThatThrownBy(() -> read("PROXY TCP4 192.0.2.256 198.51.100.1 56324 25\r\n"))
        .hasMessage("PROXY v1 header has a bad TCP4 address \"192.0.2.256\"");
    assertThatThrownBy(() -> read("PROXY TCP4 192.0.2.7 198.51.100.1 65536 25\r\n"))
        .hasMessage("PROXY v1 header has a bad port \"65536\"");
    assertThatThrownBy(() -> read("PROXY TCP4 192.0.2.7 198.51.100.1 1 25\n"))
        .hasMessage("PROXY v1 header ends in a bare LF, not CRLF");
    assertThatThrownBy(() -> read("PROXY TCP4 192.0.2.7"))
        .hasMessage("connection closed after 20 bytes of a PROXY v1 header");
    assertThatThrownBy(() -> read(""))
        .hasMessage("connection closed before the PROXY protocol header");
  }

  // --- version 2 ---

  @Test
  void v2Ipv4OverStream() throws IOException {
    ProxyHeader header =
        readHex(SIGNATURE + "21" + "11" + "000c" + "c0000207" + "c6336401" + "dc04" + "0019");

    assertThat(header.source()).isEqualTo(socket("192.0.2.7", 56324));
    assertThat(header.destination()).isEqualTo(socket("198.51.100.1", 25));
  }

  @Test
  void v2Ipv6OverStream() throws IOException {
    ProxyHeader header =
        readHex(
            SIGNATURE
                + "21"
                + "21"
                + "0024"
                + "20010db8000000000000000000000007"
                + "20010db8000000000000000000000001"
                + "ffff"
                + "024b");

    assertThat(header.source()).isEqualTo(socket("2001:db8::7", 65535));
    assertThat(header.destination()).isEqualTo(socket("2001:db8::1", 587));
  }

  @Test
  void v2LocalKeepsTheSocketAddressesAndSkipsItsBlock() throws IOException {
    assertThat(readHex(SIGNATURE + "20" + "00" + "0000").hasAddresses()).isFalse();
    // §2.2: receivers must skip the declared length even for LOCAL, whatever the family says.
    InputStream in = hex(SIGNATURE + "20" + "11" + "000c" + "c0000207c6336401dc040019" + "454844");
    assertThat(ProxyProtocol.read(in).hasAddresses()).isFalse();
    assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("EHD");
  }

  @Test
  void v2UnspecUnixAndDatagramFallBackToTheSocketAddresses() throws IOException {
    assertThat(readHex(SIGNATURE + "21" + "00" + "0000").hasAddresses()).isFalse();
    assertThat(readHex(SIGNATURE + "21" + "31" + "00d8" + "00".repeat(216)).hasAddresses())
        .isFalse();
    assertThat(readHex(SIGNATURE + "21" + "12" + "000c" + "c0000207c6336401dc040019").source())
        .isNull();
  }

  @Test
  void v2TlvsAreSkipped() throws IOException {
    String authority =
        "02" + "000b" + HexFormat.of().formatHex("example.com".getBytes(StandardCharsets.US_ASCII));
    String noop = "04" + "0000";
    String uniqueId = "05" + "0004" + "deadbeef";
    String tlvs = authority + noop + uniqueId;
    int length = 12 + tlvs.length() / 2;
    InputStream in =
        hex(
            SIGNATURE
                + "21"
                + "11"
                + String.format("%04x", length)
                + "c0000207c6336401dc040019"
                + tlvs
                + HexFormat.of().formatHex("QUIT\r\n".getBytes(StandardCharsets.US_ASCII)));

    assertThat(ProxyProtocol.read(in).source()).isEqualTo(socket("192.0.2.7", 56324));
    assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("QUIT\r\n");
  }

  @Test
  void v2TlvRunningPastTheDeclaredLengthIsRejected() {
    assertThatThrownBy(
            () ->
                readHex(SIGNATURE + "21" + "11" + "000e" + "c0000207c6336401dc040019" + "0200")
                    .source())
        .isInstanceOf(ProxyProtocolException.class)
        .hasMessage("PROXY v2 header has a truncated TLV at offset 28");
    assertThatThrownBy(
            () ->
                readHex(SIGNATURE + "21" + "11" + "0010" + "c0000207c6336401dc040019" + "02000541"))
        .hasMessage("PROXY v2 header has TLV type 0x02 at offset 28 with length 5 past the end");
  }

  @Test
  void v2TruncatedHeaderIsRejected() {
    assertThatThrownBy(() -> readHex(SIGNATURE + "21" + "11" + "000c" + "c0000207c633"))
        .isInstanceOf(ProxyProtocolException.class)
        .hasMessage("connection closed after 22 of 28 bytes of a PROXY v2 header");
    assertThatThrownBy(() -> readHex(SIGNATURE.substring(0, 10)))
        .isInstanceOf(ProxyProtocolException.class)
        .hasMessage("connection closed after 5 of 16 bytes of a PROXY v2 header");
  }

  @Test
  void v2MalformedFixedPartIsRejected() {
    assertThatThrownBy(() -> readHex("0d0a0d0a000d0a515549540b" + "21110000"))
        .isInstanceOf(ProxyProtocolException.class)
        .hasMessage("not a PROXY protocol header: bad v2 signature 0d0a0d0a000d0a515549540b");
    assertThatThrownBy(() -> readHex(SIGNATURE + "11" + "11" + "0000"))
        .hasMessage("PROXY v2 header has version nibble 1, not 2");
    assertThatThrownBy(() -> readHex(SIGNATURE + "22" + "11" + "0000"))
        .hasMessage("PROXY v2 header has unassigned command 2");
    assertThatThrownBy(() -> readHex(SIGNATURE + "21" + "41" + "0000"))
        .hasMessage("PROXY v2 header has unassigned address family 4");
    assertThatThrownBy(() -> readHex(SIGNATURE + "21" + "13" + "0000"))
        .hasMessage("PROXY v2 header has unassigned transport 3");
    assertThatThrownBy(() -> readHex(SIGNATURE + "21" + "11" + "0008" + "c0000207c6336401"))
        .hasMessage("PROXY v2 header declares 8 bytes, too few for AF_INET addresses (12)");
    assertThatThrownBy(() -> readHex(SIGNATURE + "21" + "11" + "ffff"))
        .hasMessage("PROXY v2 header declares 65535 bytes of addresses and TLVs; limit 536");
  }

  // --- both ---

  @Test
  void bytesAfterTheHeaderAreLeftInTheStream() throws IOException {
    InputStream v1 = stream("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\nEHLO x\r\n");
    ProxyProtocol.read(v1);
    assertThat(new String(v1.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("EHLO x\r\n");

    ByteArrayOutputStream v2Bytes = new ByteArrayOutputStream();
    v2Bytes.writeBytes(HexFormat.of().parseHex(SIGNATURE + "2111000cc0000207c6336401dc040019"));
    v2Bytes.writeBytes("EHLO x\r\n".getBytes(StandardCharsets.US_ASCII));
    InputStream v2 = new ByteArrayInputStream(v2Bytes.toByteArray());
    ProxyProtocol.read(v2);
    assertThat(new String(v2.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("EHLO x\r\n");
  }

  @Test
  void headerWithOnlyOneAddressIsAProgrammingError() {
    assertThatThrownBy(() -> new ProxyHeader(socket("192.0.2.7", 1), null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static ProxyHeader read(String text) throws IOException {
    return ProxyProtocol.read(stream(text));
  }

  private static ProxyHeader readHex(String hex) throws IOException {
    return ProxyProtocol.read(hex(hex));
  }

  private static InputStream stream(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static InputStream hex(String hex) {
    return new ByteArrayInputStream(HexFormat.of().parseHex(hex));
  }

  private static InetSocketAddress socket(String literal, int port) {
    try {
      return new InetSocketAddress(InetAddress.getByAddress(Cidr.parseLiteral(literal)), port);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
