package org.mta4j.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Streams message content onto the wire: dot-stuffed and terminated for DATA (RFC 5321 §4.5.2), or
 * as counted BDAT chunks (RFC 3030 §2). Reads of the content that fail are reported as {@link
 * ContentReadException}, socket failures as the plain {@link IOException}s they are.
 */
final class ContentWriter {
  private ContentWriter() {}

  private static final byte DOT = '.';
  private static final byte[] EXTRA_DOT = {DOT};
  private static final byte LF = '\n';

  /**
   * The content as given, its read errors marked as local; the stream is the caller's code, so a
   * runtime exception from it is a read error too (STYLE rule 8), not a crash of the session.
   */
  static InputStream guarded(InputStream content) {
    return new FilterInputStream(content) {
      @Override
      public int read() throws IOException {
        try {
          return super.read();
        } catch (IOException | RuntimeException e) {
          throw new ContentReadException(e);
        }
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return super.read(b, off, len);
        } catch (IOException | RuntimeException e) {
          throw new ContentReadException(e);
        }
      }
    };
  }

  /** Where encoded bytes go: the channel's buffer, or a byte array in tests. */
  @FunctionalInterface
  interface Sink {
    void write(byte[] bytes, int off, int len) throws IOException;
  }

  /**
   * Writes normalised content (every line ending CRLF, ending with CRLF unless empty), doubling a
   * dot at the start of each line, then the terminating {@code .CRLF}.
   */
  static void writeData(InputStream normalized, Sink sink) throws IOException {
    byte[] buf = new byte[8192];
    boolean lineStart = true;
    int n;
    while ((n = normalized.read(buf, 0, buf.length)) >= 0) {
      int from = 0;
      for (int i = 0; i < n; i++) {
        if (lineStart && buf[i] == DOT) {
          sink.write(buf, from, i - from);
          sink.write(EXTRA_DOT, 0, 1);
          from = i;
        }
        lineStart = buf[i] == LF;
      }
      sink.write(buf, from, n - from);
    }
    sink.write(Protocol.END_OF_DATA, 0, Protocol.END_OF_DATA.length);
  }

  /**
   * Cuts content into BDAT chunks, reading one byte ahead so that the last chunk is known to be the
   * last (RFC 3030 §2: {@code BDAT n LAST}).
   */
  static final class ChunkReader {
    private final InputStream content;
    private int carry = -1;

    ChunkReader(InputStream content) {
      this.content = content;
    }

    /** Fills {@code buffer} as far as the content goes; says how far and whether that is all. */
    Chunk next(byte[] buffer) throws IOException {
      int n = 0;
      if (carry >= 0) {
        buffer[n++] = (byte) carry;
        carry = -1;
      }
      n += content.readNBytes(buffer, n, buffer.length - n);
      if (n < buffer.length) {
        return new Chunk(n, true);
      }
      carry = content.read();
      return new Chunk(n, carry < 0);
    }
  }

  /** A chunk's length and whether it is the last. */
  record Chunk(int length, boolean last) {}
}
