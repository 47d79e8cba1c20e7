package org.mta4j.client;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the client's content encoding: line endings become CRLF whatever the input and
 * however it is read; DATA's dot-stuffing decodes back to the normalised content and no end of data
 * appears before the real one (no smuggling); BDAT chunks add up to the normalised content.
 */
class ContentEncodingPropertyTest {

  @Property
  void normalisingMakesEveryLineEndingCrlfAndEndsWithOne(
      @ForAll("contents") byte[] content, @ForAll("readSizes") List<Integer> readSizes)
      throws IOException {
    byte[] normalised = readAll(new CrlfNormalizer(chopped(content, readSizes)), readSizes);

    assertThat(normalised).isEqualTo(reference(content));
    for (int i = 0; i < normalised.length; i++) {
      if (normalised[i] == '\r') {
        assertThat(i + 1 < normalised.length && normalised[i + 1] == '\n').isTrue();
      }
      if (normalised[i] == '\n') {
        assertThat(i > 0 && normalised[i - 1] == '\r').isTrue();
      }
    }
  }

  @Property
  void dataEncodingUnstuffsToTheNormalisedContentAndEndsOnlyAtTheEnd(
      @ForAll("contents") byte[] content) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();

    ContentWriter.writeData(new CrlfNormalizer(new ByteArrayInputStream(content)), wire::write);

    byte[] bytes = wire.toByteArray();
    // The DATA command's CRLF precedes the content: search from there.
    String text = "\r\n" + new String(bytes, ISO_8859_1);
    assertThat(text.indexOf("\r\n.\r\n")).isEqualTo(text.length() - 5);
    assertThat(unstuff(bytes)).isEqualTo(reference(content));
  }

  @Property
  void chunksAddUpToTheNormalisedContentAndOnlyTheLastIsLast(
      @ForAll("contents") byte[] content, @ForAll @IntRange(min = 1, max = 64) int chunkSize)
      throws IOException {
    ContentWriter.ChunkReader reader =
        new ContentWriter.ChunkReader(new CrlfNormalizer(new ByteArrayInputStream(content)));
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    byte[] buffer = new byte[chunkSize];

    ContentWriter.Chunk chunk;
    do {
      chunk = reader.next(buffer);
      if (!chunk.last()) {
        assertThat(chunk.length()).isEqualTo(chunkSize);
      }
      joined.write(buffer, 0, chunk.length());
    } while (!chunk.last());

    assertThat(joined.toByteArray()).isEqualTo(reference(content));
  }

  @Provide
  Arbitrary<byte[]> contents() {
    // Mostly the bytes that matter (CR, LF, '.'), some letters and 8-bit bytes.
    Arbitrary<Byte> interesting =
        Arbitraries.of(
            (byte) '\r', (byte) '\n', (byte) '.', (byte) 'a', (byte) ' ', (byte) 0xC3, (byte) 0);
    return interesting.array(byte[].class).ofMaxSize(200);
  }

  @Provide
  Arbitrary<List<Integer>> readSizes() {
    return Arbitraries.integers().between(1, 17).list().ofMinSize(1).ofMaxSize(10);
  }

  /** The specification: CRLF, lone CR and lone LF each become CRLF; a final CRLF if missing. */
  static byte[] reference(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < content.length; i++) {
      byte b = content[i];
      if (b == '\r') {
        out.write('\r');
        out.write('\n');
        if (i + 1 < content.length && content[i + 1] == '\n') {
          i++;
        }
      } else if (b == '\n') {
        out.write('\r');
        out.write('\n');
      } else {
        out.write(b);
      }
    }
    byte[] bytes = out.toByteArray();
    if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
      bytes = Arrays.copyOf(bytes, bytes.length + 2);
      bytes[bytes.length - 2] = '\r';
      bytes[bytes.length - 1] = '\n';
    }
    return bytes;
  }

  /** A receiver's view (RFC 5321 §4.5.2): drop the final ".CRLF", then one leading dot per line. */
  private static byte[] unstuff(byte[] wire) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean lineStart = true;
    for (int i = 0; i < wire.length - 3; i++) {
      if (lineStart && wire[i] == '.') {
        lineStart = false;
        continue;
      }
      out.write(wire[i]);
      lineStart = wire[i] == '\n';
    }
    return out.toByteArray();
  }

  /** A stream that hands out {@code content} in pieces of the given sizes, round robin. */
  private static InputStream chopped(byte[] content, List<Integer> sizes) {
    return new InputStream() {
      private int position;
      private int turn;

      @Override
      public int read() {
        return position < content.length ? content[position++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (position >= content.length) {
          return -1;
        }
        int n =
            Math.min(Math.min(len, sizes.get(turn++ % sizes.size())), content.length - position);
        System.arraycopy(content, position, b, off, n);
        position += n;
        return n;
      }
    };
  }

  private static byte[] readAll(InputStream in, List<Integer> sizes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[32];
    int turn = 0;
    while (true) {
      int want = Math.min(buf.length, sizes.get(turn++ % sizes.size()));
      int n = in.read(buf, 0, want);
      if (n < 0) {
        return out.toByteArray();
      }
      assertThat(n).isPositive();
      out.write(buf, 0, n);
    }
  }
}
