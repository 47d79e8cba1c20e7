package org.mta4j.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The session's read side: one buffer, no locks, bounded lines. Owning the buffer is what lets the
 * session throw away plaintext pipelined behind STARTTLS (CVE-2011-0411) and know whether more
 * pipelined commands are waiting before it flushes its replies (RFC 2920).
 */
final class SmtpInput {
  /** How a command line ended. */
  enum Ending {
    CRLF,
    BARE_LF
  }

  /** One command line; {@code text} is empty when {@code tooLong}. */
  record Line(String text, Ending ending, boolean tooLong, boolean binary) {}

  private InputStream in;
  private ReadDeadline deadline;
  private byte[] buf;
  private int pos;
  private int limit;

  /**
   * Reads from {@code in}; {@code deadline} bounds each blocking read, or is null when the stream
   * enforces its own timeout ({@code SO_TIMEOUT}, as for TLS).
   */
  SmtpInput(InputStream in, ReadDeadline deadline, int bufferSize) {
    this.in = in;
    this.deadline = deadline;
    this.buf = new byte[bufferSize];
  }

  /**
   * Grows the buffer for bulk content (DATA, BDAT). Sessions start small, so that thousands of idle
   * connections cost little heap, and grow once they carry a message.
   */
  void reserve(SmtpServer.BufferPool pool) {
    if (buf.length < SmtpServer.BufferPool.BUFFER_SIZE) {
      byte[] bigger = pool.take();
      System.arraycopy(buf, pos, bigger, 0, limit - pos);
      limit -= pos;
      pos = 0;
      buf = bigger;
    }
  }

  /** At the end of the session: a pooled buffer goes back; this input is not read again. */
  void release(SmtpServer.BufferPool pool) {
    byte[] b = buf;
    buf = new byte[0];
    pos = 0;
    limit = 0;
    pool.give(b);
  }

  /**
   * Reads from a new stream (after the TLS handshake), which enforces its own timeout, dropping
   * anything still buffered.
   */
  void switchTo(InputStream newIn) {
    this.in = newIn;
    this.deadline = null;
    discardBuffered();
  }

  void discardBuffered() {
    pos = 0;
    limit = 0;
  }

  /** True when bytes the client already sent are waiting (pipelined commands). */
  boolean hasBuffered() {
    return pos < limit;
  }

  private boolean fill() throws IOException {
    if (pos < limit) {
      return true;
    }
    int n;
    if (deadline == null) {
      n = in.read(buf, 0, buf.length);
    } else {
      deadline.arm();
      try {
        n = in.read(buf, 0, buf.length);
      } catch (IOException e) {
        deadline.disarm(); // a timeout takes precedence
        throw e;
      }
      deadline.disarm();
    }
    if (n <= 0) {
      return false;
    }
    pos = 0;
    limit = n;
    return true;
  }

  /**
   * Reads one command line of at most {@code maxLength} octets including CRLF (RFC 5321
   * §4.5.3.1.4). A longer line is read to its end and dropped. Returns null at end of stream.
   */
  Line readLine(int maxLength) throws IOException {
    byte[] line = new byte[Math.min(maxLength, 128)];
    int len = 0;
    boolean tooLong = false;
    boolean binary = false;
    while (true) {
      if (!fill()) {
        return null;
      }
      int start = pos;
      int lf = -1;
      for (int i = start; i < limit; i++) {
        if (buf[i] == '\n') {
          lf = i;
          break;
        }
      }
      int end = lf < 0 ? limit : lf;
      int n = end - start;
      if (!tooLong) {
        if (len + n > maxLength - 1) {
          tooLong = true;
        } else {
          if (len + n > line.length) {
            line =
                java.util.Arrays.copyOf(
                    line, Math.min(maxLength, Math.max(line.length * 2, len + n)));
          }
          System.arraycopy(buf, start, line, len, n);
          len += n;
        }
      }
      if (lf < 0) {
        pos = limit;
        continue;
      }
      pos = lf + 1;
      if (tooLong) {
        return new Line("", Ending.CRLF, true, false);
      }
      Ending ending = Ending.BARE_LF;
      if (len > 0 && line[len - 1] == '\r') {
        ending = Ending.CRLF;
        len--;
      }
      boolean ascii = true;
      for (int i = 0; i < len; i++) {
        if (line[i] == 0 || line[i] == '\r') {
          binary = true;
          break;
        }
        ascii &= line[i] >= 0;
      }
      if (!binary && !ascii && !isUtf8(line, len)) {
        // RFC 6531 §3.3: 8-bit text must be UTF-8; decoding malformed bytes to U+FFFD would
        // silently change an address, so the line is refused like one with a NUL.
        binary = true;
      }
      return new Line(new String(line, 0, len, StandardCharsets.UTF_8), ending, false, binary);
    }
  }

  private static boolean isUtf8(byte[] bytes, int len) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes, 0, len));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }

  /** Feeds DATA content to the decoder until it sees the end of data. */
  void readData(ContentDecoder decoder) throws IOException {
    while (!decoder.isDone()) {
      if (!fill()) {
        throw new EOFException("connection closed in DATA");
      }
      pos = decoder.decode(buf, pos, limit);
    }
  }

  /** Feeds exactly {@code count} bytes of a BDAT chunk to the decoder (or drops them if null). */
  void readChunk(long count, ContentDecoder decoder) throws IOException {
    long left = count;
    while (left > 0) {
      if (!fill()) {
        throw new EOFException("connection closed in BDAT");
      }
      int n = (int) Math.min(left, limit - pos);
      if (decoder != null) {
        decoder.decode(buf, pos, pos + n);
      }
      pos += n;
      left -= n;
    }
  }

  /** Reads up to {@code max} bytes already buffered or from the stream (for PROXY headers etc.). */
  int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    return buf[pos++] & 0xff;
  }
}
