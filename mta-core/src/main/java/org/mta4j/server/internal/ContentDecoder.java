package org.mta4j.server.internal;

import java.io.IOException;

/**
 * Decodes message content as it arrives, for DATA (dot-stuffed, ended by {@code <CRLF>.<CRLF>})
 * or for BDAT chunks (length-delimited, RFC 3030).
 *
 * <p>This is where SMTP smuggling is stopped. Only a {@code "."} line that both starts after a real
 * CRLF and ends with a real CRLF ends DATA (RFC 5321 §4.1.1.4); every other variant ({@code
 * \n.\n}, {@code \r.\r}, {@code \r\n.\n}, {@code \n.\r\n}, ...) is content. Bare CR and bare LF are
 * noted ({@link #sawBareLineEnding()}) and, when normalizing, written as CRLF. A leading dot is
 * removed from every line (RFC 5321 §4.5.2). Line length and total size are checked, and bytes past
 * the size limit are dropped rather than stored, so memory and disk stay bounded.
 */
final class ContentDecoder {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte[] CRLF = {CR, LF};

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

  /** Starts a new message written to {@code sink}; {@code initialSize} counts what is already in it. */
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
   */
  int decode(byte[] buf, int from, int to) throws IOException {
    int i = from;
    while (i < to && !done) {
      switch (state) {
        case TEXT -> {
          int j = i;
          while (j < to && buf[j] != CR && buf[j] != LF) {
            j++;
          }
          text(buf, i, j - i);
          i = j;
          if (i < to) {
            state = buf[i] == CR ? State.CR : bareLf();
            i++;
          }
        }
        case CR -> {
          byte b = buf[i];
          if (b == LF) {
            endLine(true);
            i++;
          } else {
            bareCr(); // the CR was bare; look at b again as the first byte of a new line
          }
        }
        case LINE_START -> {
          if (dotStuffed && buf[i] == '.') {
            state = State.DOT;
            i++;
          } else {
            state = State.TEXT;
          }
        }
        case DOT -> {
          // RFC 5321 §4.5.2: the leading dot is dropped; a dot alone may end the data
          if (buf[i] == CR) {
            state = State.DOT_CR;
            i++;
          } else {
            state = State.TEXT;
          }
        }
        case DOT_CR -> {
          if (buf[i] == LF && realLineStart) {
            done = true; // <CRLF>.<CRLF>
            i++;
          } else if (buf[i] == LF) {
            endLine(true); // \n.\r\n: a line "." after a bare LF is content, never the end
            i++;
          } else {
            bareCr();
          }
        }
      }
    }
    return i;
  }

  private State bareLf() throws IOException {
    bareLineEnding = true;
    endLine(false);
    return state;
  }

  private void bareCr() throws IOException {
    bareLineEnding = true;
    if (normalize) {
      endLine(false);
    } else {
      text(new byte[] {CR}, 0, 1);
      state = State.TEXT;
    }
  }

  /** Ends the current line: {@code real} when it ended with CRLF. */
  private void endLine(boolean real) throws IOException {
    if (real || normalize) {
      store(CRLF, 0, 2);
    } else {
      store(new byte[] {LF}, 0, 1);
    }
    lineLength = 0;
    realLineStart = real;
    state = State.LINE_START;
  }

  private void text(byte[] buf, int off, int len) throws IOException {
    if (len == 0) {
      return;
    }
    lineLength += len;
    if (lineLength > maxLineLength - 2) {
      lineTooLong = true;
    }
    store(buf, off, len);
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
      bareCr();
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
