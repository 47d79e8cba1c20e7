package org.mta4j.server.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decodes message content as it arrives, for DATA (dot-stuffed, ended by {@code <CRLF>.<CRLF>}) or
 * for BDAT chunks (length-delimited, RFC 3030).
 *
 * <p>This is where SMTP smuggling is stopped. Only a {@code "."} line that both starts after a real
 * CRLF and ends with a real CRLF ends DATA (RFC 5321 §4.1.1.4); every other variant ({@code \n.\n},
 * {@code \r.\r}, {@code \r\n.\n}, {@code \n.\r\n}, ...) is content. Bare CR and bare LF are noted
 * ({@link #sawBareLineEnding()}) and, when normalizing, written as CRLF. A leading dot is removed
 * from every line (RFC 5321 §4.5.2). Line length and total size are checked, and bytes past the
 * size limit are dropped rather than stored, so memory and disk stay bounded.
 */
final class ContentDecoder {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte[] CRLF = {CR, LF};
  private static final byte[] CR_ONLY = {CR};
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long CRS = ONES * CR;
  private static final long LFS = ONES * LF;

  private enum State {
    TEXT,
    CR,
    LINE_START,
    DOT,
    DOT_CR
  }

  private final boolean dotStuffed;
  private final boolean normalize;
  private final long maxSize;
  private final int maxLineLength;
  private ContentBuffer sink;

  private State state;

  /** The current line began after a real CRLF (or at the start of DATA). */
  private boolean realLineStart;

  private boolean done;
  private boolean bareLineEnding;
  private boolean lineTooLong;
  private boolean tooBig;
  private long size;
  private int lineLength;

  /**
   * @param dotStuffed true for DATA, false for BDAT
   * @param normalize write bare CR/LF as CRLF (otherwise they are kept and only noted)
   * @param maxSize the largest content size to store; larger content is noted and dropped
   * @param maxLineLength the longest line including its CRLF (RFC 5321 §4.5.3.1.6)
   */
  ContentDecoder(boolean dotStuffed, boolean normalize, long maxSize, int maxLineLength) {
    this.dotStuffed = dotStuffed;
    this.normalize = normalize;
    this.maxSize = maxSize;
    this.maxLineLength = maxLineLength;
  }

  /**
   * Starts a new message written to {@code sink}; {@code initialSize} counts what is already in it.
   */
  void start(ContentBuffer sink, long initialSize) {
    this.sink = sink;
    this.state = State.LINE_START;
    this.realLineStart = true;
    this.done = false;
    this.bareLineEnding = false;
    this.lineTooLong = false;
    this.tooBig = false;
    this.size = initialSize;
    this.lineLength = 0;
  }

  /**
   * Consumes bytes from {@code buf[from, to)}; returns the index of the first byte not consumed,
   * which is {@code to} unless DATA ended inside the range (then the bytes after the terminating
   * CRLF belong to the next command).
   *
   * <p>Bytes that are stored as they arrived (text and real CRLFs, the common case) are not written
   * one line at a time: they form a run, {@code buf[run, i)}, that is stored in one piece when a
   * byte must be dropped (a stuffed dot, the end of data) or replaced (a normalized bare CR or LF),
   * and at the end of the range. A CR whose meaning depends on the next byte is left out of the run
   * at the end of a range; the next call (or {@link #endOfChunks}) settles it.
   */
  int decode(byte[] buf, int from, int to) throws IOException {
    int i = from;
    int run = from;
    while (i < to && !done) {
      switch (state) {
        case TEXT -> {
          int j = lineEnd(buf, i, to);
          countText(j - i);
          i = j;
          if (i < to) {
            if (buf[i] == CR) {
              state = State.CR;
              i++;
            } else {
              // a bare LF (RFC 5321 §2.3.8)
              bareLineEnding = true;
              if (normalize) {
                flush(buf, run, i);
                store(CRLF, 0, 2);
                run = i + 1;
              }
              i++;
              endLine(false);
            }
          }
        }
        case CR, DOT_CR -> {
          // the CR just before buf[i] is in the run, unless it ended the previous range
          boolean crInRun = i > from;
          if (buf[i] == LF && state == State.DOT_CR && realLineStart) {
            flush(buf, run, crInRun ? i - 1 : i);
            done = true; // <CRLF>.<CRLF>
            i++;
            run = i;
          } else if (buf[i] == LF) {
            // CRLF; after a dot, \n.\r\n: a line "." after a bare LF is content, never the end
            if (!crInRun) {
              store(CRLF, 0, 2);
              run = i + 1;
            }
            i++;
            endLine(true);
          } else {
            // the CR was bare; buf[i] is looked at again as the first byte of a new line
            bareLineEnding = true;
            if (normalize) {
              flush(buf, run, crInRun ? i - 1 : i);
              store(CRLF, 0, 2);
              run = i;
              endLine(false);
            } else {
              if (!crInRun) {
                store(CR_ONLY, 0, 1);
                run = i;
              }
              countText(1);
              state = State.TEXT;
            }
          }
        }
        case LINE_START -> {
          if (dotStuffed && buf[i] == '.') {
            flush(buf, run, i); // RFC 5321 §4.5.2: the leading dot is dropped
            i++;
            run = i;
            state = State.DOT;
          } else {
            state = State.TEXT;
          }
        }
        case DOT -> {
          // a dot alone on a line may end the data
          if (buf[i] == CR) {
            state = State.DOT_CR;
            i++;
          } else {
            state = State.TEXT;
          }
        }
      }
    }
    boolean crPending = !done && (state == State.CR || state == State.DOT_CR) && i > from;
    flush(buf, run, crPending ? i - 1 : i);
    return i;
  }

  /**
   * The index of the first CR or LF in {@code buf[from, to)}, or {@code to}: eight bytes at a time
   * (a byte equals CR or LF when its XOR with it is zero, found with the classic has-zero-byte
   * test), since most of a message is text between line endings.
   */
  private static int lineEnd(byte[] buf, int from, int to) {
    int i = from;
    for (; i <= to - 8; i += 8) {
      long w = (long) LONGS.get(buf, i);
      long cr = w ^ CRS;
      long lf = w ^ LFS;
      long hit = (((cr - ONES) & ~cr) | ((lf - ONES) & ~lf)) & HIGHS;
      if (hit != 0) {
        // little-endian: the lowest flagged byte is the first match (flags above it may be false)
        return i + (Long.numberOfTrailingZeros(hit) >>> 3);
      }
    }
    while (i < to && buf[i] != CR && buf[i] != LF) {
      i++;
    }
    return i;
  }

  /** A line ended: {@code real} when with CRLF. The line ending itself is stored by the caller. */
  private void endLine(boolean real) {
    lineLength = 0;
    realLineStart = real;
    state = State.LINE_START;
  }

  /** Counts text octets of the current line (its ending excluded) against the line limit. */
  private void countText(int len) {
    lineLength += len;
    if (lineLength > maxLineLength - 2) {
      lineTooLong = true;
    }
  }

  private void flush(byte[] buf, int from, int to) throws IOException {
    if (to > from) {
      store(buf, from, to - from);
    }
  }

  private void store(byte[] buf, int off, int len) throws IOException {
    size += len;
    if (size > maxSize) {
      tooBig = true;
      return;
    }
    sink.write(buf, off, len);
  }

  /** For BDAT: the last chunk has been decoded; a trailing bare CR is settled. */
  void endOfChunks() throws IOException {
    if (state == State.CR) {
      bareLineEnding = true;
      if (normalize) {
        store(CRLF, 0, 2);
        endLine(false);
      } else {
        store(CR_ONLY, 0, 1);
        countText(1);
        state = State.TEXT;
      }
    }
  }

  boolean isDone() {
    return done;
  }

  boolean sawBareLineEnding() {
    return bareLineEnding;
  }

  boolean lineTooLong() {
    return lineTooLong;
  }

  boolean tooBig() {
    return tooBig;
  }

  long size() {
    return size;
  }
}
