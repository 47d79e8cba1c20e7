package org.mta4j.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Properties of the DATA decoder (RFC 5321 §4.5.2, §4.1.1.4): dot-stuffed content with CRLF line
 * endings comes back byte for byte however the network splits it, and, whatever the bytes, only the
 * real {@code <CRLF>.<CRLF>} ends the data, which is the property that stops SMTP smuggling.
 */
class DotStuffingPropertyTest {

  private static final byte[] END_OF_DATA = ".\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NEXT_COMMAND = "NOOP\r\n".getBytes(StandardCharsets.US_ASCII);

  @Property
  void stuffedCrlfContentDecodesToTheOriginalWhateverTheSplitPoints(
      @ForAll("crlfContents") byte[] original, @ForAll("splitSeeds") List<Integer> seeds)
      throws IOException {
    byte[] wire = concat(stuff(original), END_OF_DATA, NEXT_COMMAND);

    Decoded decoded = decode(wire, seeds, false);

    assertThat(decoded.done).isTrue();
    assertThat(decoded.consumed).isEqualTo(wire.length - NEXT_COMMAND.length);
    assertThat(decoded.content).isEqualTo(original);
    assertThat(decoded.bareLineEnding).isFalse();
  }

  @Property
  void onlyTheRealEndOfDataEndsArbitraryContent(
      @ForAll("anyContents") byte[] original,
      @ForAll("splitSeeds") List<Integer> seeds,
      @ForAll boolean normalize)
      throws IOException {
    // The terminator is CRLF "." CRLF whatever the content's last bytes (RFC 5321 §4.1.1.4).
    byte[] wire = concat(stuff(original), "\r\n".getBytes(StandardCharsets.US_ASCII), END_OF_DATA);
    byte[] withNext = concat(wire, NEXT_COMMAND);

    Decoded decoded = decode(withNext, seeds, normalize);

    assertThat(decoded.done).as("data ended").isTrue();
    assertThat(decoded.consumed).as("bytes consumed").isEqualTo(wire.length);
  }

  /** A client's dot-stuffing: a "." is put before every line that starts with "." (§4.5.2). */
  static byte[] stuff(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 16);
    boolean lineStart = true;
    for (int i = 0; i < content.length; i++) {
      byte b = content[i];
      if (lineStart && b == '.') {
        out.write('.');
      }
      out.write(b);
      lineStart = b == '\n' && i > 0 && content[i - 1] == '\r';
    }
    return out.toByteArray();
  }

  private record Decoded(byte[] content, boolean done, int consumed, boolean bareLineEnding) {}

  /** Feeds {@code wire} to a fresh decoder in pieces cut at points drawn from {@code seeds}. */
  private static Decoded decode(byte[] wire, List<Integer> seeds, boolean normalize)
      throws IOException {
    TreeSet<Integer> cuts = new TreeSet<>();
    for (int seed : seeds) {
      cuts.add(Math.floorMod(seed, wire.length + 1));
    }
    cuts.add(wire.length);
    try (ContentBuffer sink = new ContentBuffer(1 << 20, null)) {
      ContentDecoder decoder = new ContentDecoder(true, normalize, 1 << 20, 1000);
      decoder.start(sink, 0);
      int from = 0;
      int consumed = -1;
      for (int cut : cuts) {
        if (cut < from) {
          continue;
        }
        int next = decoder.decode(wire, from, cut);
        if (decoder.isDone()) {
          consumed = next;
          break;
        }
        assertThat(next).as("a decoder that is not done consumes its whole range").isEqualTo(cut);
        from = cut;
      }
      sink.finish();
      return new Decoded(
          sink.readAllBytes(), decoder.isDone(), consumed, decoder.sawBareLineEnding());
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  // ---- generators

  /** Lines of any bytes but CR and LF, each ended by CRLF: what a conforming client sends. */
  @Provide
  Arbitrary<byte[]> crlfContents() {
    Arbitrary<Byte> lineByte =
        Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.bytes().filter(b -> b != '\r' && b != '\n')),
            Tuple.of(2, Arbitraries.of((byte) '.')),
            Tuple.of(1, Arbitraries.of((byte) 0)));
    Arbitrary<byte[]> line =
        lineByte.list().ofMaxSize(40).map(DotStuffingPropertyTest::toBytesWithCrlf);
    return line.list().ofMaxSize(12).map(lines -> concat(lines.toArray(byte[][]::new)));
  }

  /** Any bytes, heavy in the ones that matter: CR, LF, "." and NUL. */
  @Provide
  Arbitrary<byte[]> anyContents() {
    Arbitrary<Byte> b =
        Arbitraries.frequencyOf(
            Tuple.of(2, Arbitraries.bytes()),
            Tuple.of(3, Arbitraries.of((byte) '\r', (byte) '\n', (byte) '.', (byte) 0)),
            Tuple.of(1, Arbitraries.of((byte) 'a')));
    return b.list().ofMaxSize(200).map(DotStuffingPropertyTest::toBytes);
  }

  @Provide
  Arbitrary<List<Integer>> splitSeeds() {
    return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMaxSize(8);
  }

  private static byte[] toBytesWithCrlf(List<Byte> bytes) {
    byte[] a = new byte[bytes.size() + 2];
    for (int i = 0; i < bytes.size(); i++) {
      a[i] = bytes.get(i);
    }
    a[a.length - 2] = '\r';
    a[a.length - 1] = '\n';
    return a;
  }

  private static byte[] toBytes(List<Byte> bytes) {
    byte[] a = new byte[bytes.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = bytes.get(i);
    }
    return a;
  }
}
