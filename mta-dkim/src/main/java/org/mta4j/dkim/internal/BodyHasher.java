package org.mta4j.dkim.internal;

import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Canonicalizes a body as it streams through and hashes the result (RFC 6376 §3.4.3, §3.4.4, §3.7):
 * the body is never held in memory. Line ends are CRLF; a lone CR or LF is an ordinary byte. Not
 * thread-safe: one per message and canonicalization.
 */
public final class BodyHasher extends OutputStream {

  private static final int STAGE = 8 * 1024;

  private final boolean relaxed;
  private final long lengthLimit;
  private final MessageDigest digest;
  private final byte[] stage = new byte[STAGE];
  private int staged;
  private long hashed;

  private boolean pendingCr;
  private boolean pendingSpace;
  private long pendingCrlfs;
  private boolean anyContent;
  private byte[] result;

  /**
   * @param relaxed relaxed body canonicalization, else simple
   * @param lengthLimit hash at most this many canonical bytes (the {@code l=} tag), or -1 for all
   */
  public BodyHasher(boolean relaxed, long lengthLimit) {
    this.relaxed = relaxed;
    this.lengthLimit = lengthLimit;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    if (result != null) {
      throw new IllegalStateException("the body hash has already been computed");
    }
    int end = offset + length;
    int i = offset;
    while (i < end) {
      if (!pendingCr && !pendingSpace && pendingCrlfs == 0) {
        // fast path: a run of bytes that canonicalization leaves as they are goes to the digest
        // in one piece (everything but CR, and in relaxed mode every WSP but a lone SP between
        // two ordinary bytes)
        int run = i;
        while (run < end) {
          byte b = bytes[run];
          if (b == '\r') {
            break;
          }
          if (relaxed && (b == ' ' || b == '\t')) {
            if (b == '\t' || run + 1 >= end || !ordinary(bytes[run + 1])) {
              break;
            }
          }
          run++;
        }
        if (run > i) {
          emitRun(bytes, i, run - i);
          anyContent = true;
          i = run;
          if (i == end) {
            break;
          }
        }
      }
      step(bytes[i++]);
    }
  }

  private boolean ordinary(byte b) {
    return b != '\r' && b != ' ' && b != '\t';
  }

  private void step(byte b) {
    if (pendingCr) {
      pendingCr = false;
      if (b == '\n') {
        // end of line: trailing WSP of the line is dropped (relaxed), the CRLF is held back
        // because empty lines at the end of the body do not count (§3.4.3, §3.4.4)
        pendingSpace = false;
        pendingCrlfs++;
        return;
      }
      content((byte) '\r');
    }
    if (b == '\r') {
      pendingCr = true;
    } else if (relaxed && (b == ' ' || b == '\t')) {
      pendingSpace = true;
    } else {
      content(b);
    }
  }

  private void emitRun(byte[] bytes, int offset, int length) {
    int n = length;
    if (lengthLimit >= 0) {
      n = (int) Math.min(n, Math.max(0, lengthLimit - hashed - staged));
    }
    if (n == 0) {
      return;
    }
    if (staged > 0) {
      drain();
    }
    digest.update(bytes, offset, n);
    hashed += n;
  }

  /** The SHA-256 of the canonical body; ends the input. */
  public byte[] hash() {
    if (result == null) {
      if (pendingCr) {
        pendingCr = false;
        content((byte) '\r');
      }
      if (anyContent) {
        emitCrlf(); // the last line's end; pending empty lines collapse into it
      } else if (!relaxed) {
        emitCrlf(); // §3.4.3: an empty body is one CRLF in simple
      }
      drain();
      result = digest.digest();
    }
    return result.clone();
  }

  /** How many canonical bytes were hashed (for {@code l=}, which mta4j never signs with). */
  public long hashedLength() {
    return hashed + staged;
  }

  private void content(byte b) {
    while (pendingCrlfs > 0) {
      emitCrlf();
      pendingCrlfs--;
    }
    if (pendingSpace) {
      pendingSpace = false;
      emit((byte) ' ');
    }
    emit(b);
    anyContent = true;
  }

  private void emitCrlf() {
    emit((byte) '\r');
    emit((byte) '\n');
  }

  private void emit(byte b) {
    if (lengthLimit >= 0 && hashed + staged >= lengthLimit) {
      return;
    }
    if (staged == STAGE) {
      drain();
    }
    stage[staged++] = b;
  }

  private void drain() {
    digest.update(stage, 0, staged);
    hashed += staged;
    staged = 0;
  }
}
