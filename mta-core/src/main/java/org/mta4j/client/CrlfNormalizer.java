package org.mta4j.client;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Reads content with every line ending made CRLF: a bare CR and a bare LF each become CRLF, and
 * non-empty content that does not end with a line ending gets a final CRLF. Streams in small
 * blocks; never buffers the whole content.
 *
 * <p>Why: with DATA the end of the message is {@code CRLF . CRLF}; a server that also ends lines on
 * a bare LF or CR could be made to see an end of data inside the content (SMTP smuggling). Only
 * CRLF pairs leaving this stream, with dot-stuffing after it, means no such sequence can occur. RFC
 * 5321 §2.3.8 forbids bare CR and LF in SMTP content anyway.
 */
final class CrlfNormalizer extends InputStream {
  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final InputStream in;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int limit;
  private boolean eof;
  private boolean finished;
  private boolean owesLf; // a CR was emitted; its LF is still to come
  private boolean swallowLf; // the last source byte was a CR, so a following LF belongs to it
  private boolean atLineStart = true;

  CrlfNormalizer(InputStream in) {
    this.in = Objects.requireNonNull(in, "in");
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    int n = 0;
    while (n < len) {
      if (owesLf) {
        b[off + n++] = LF;
        owesLf = false;
        atLineStart = true;
        continue;
      }
      if (pos == limit) {
        if (eof) {
          if (!finished) {
            finished = true;
            if (!atLineStart) {
              b[off + n++] = CR;
              owesLf = true;
              continue;
            }
          }
          break;
        }
        if (n > 0) {
          break; // hand over what we have rather than block for more
        }
        int r = in.read(buf, 0, buf.length);
        if (r < 0) {
          eof = true;
        } else {
          pos = 0;
          limit = r;
        }
        continue;
      }
      if (!swallowLf) {
        // the common case: a run of ordinary bytes, copied in one piece
        int max = Math.min(limit - pos, len - n);
        int run = 0;
        while (run < max && buf[pos + run] != CR && buf[pos + run] != LF) {
          run++;
        }
        if (run > 0) {
          System.arraycopy(buf, pos, b, off + n, run);
          pos += run;
          n += run;
          atLineStart = false;
          continue;
        }
      }
      byte c = buf[pos++];
      if (swallowLf) {
        swallowLf = false;
        if (c == LF) {
          continue; // the CR before it already became CRLF
        }
      }
      if (c == CR) {
        b[off + n++] = CR;
        owesLf = true;
        swallowLf = true;
      } else if (c == LF) {
        b[off + n++] = CR;
        owesLf = true;
      } else {
        b[off + n++] = c;
        atLineStart = false;
      }
    }
    return n == 0 ? -1 : n;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
