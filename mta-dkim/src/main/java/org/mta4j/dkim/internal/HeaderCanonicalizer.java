package org.mta4j.dkim.internal;

import java.io.ByteArrayOutputStream;

/** DKIM header canonicalization, simple and relaxed (RFC 6376 §3.4.1, §3.4.2). */
public final class HeaderCanonicalizer {

  private static final byte[] CRLF = {'\r', '\n'};

  private HeaderCanonicalizer() {}

  /**
   * The canonical form of {@code raw} (a whole field without its final CRLF), followed by CRLF when
   * {@code withCrlf} (every signed field but the DKIM-Signature itself, RFC 6376 §3.7).
   */
  public static byte[] canonicalize(byte[] raw, boolean relaxed, boolean withCrlf) {
    if (!relaxed) {
      if (!withCrlf) {
        return raw.clone();
      }
      byte[] out = new byte[raw.length + 2];
      System.arraycopy(raw, 0, out, 0, raw.length);
      out[raw.length] = '\r';
      out[raw.length + 1] = '\n';
      return out;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + 2);
    int colon = indexOfColon(raw);
    int nameEnd = colon < 0 ? raw.length : colon;
    while (nameEnd > 0 && isWsp(raw[nameEnd - 1])) {
      nameEnd--; // §3.4.2: no whitespace before the colon
    }
    for (int i = 0; i < nameEnd; i++) {
      byte b = raw[i];
      out.write(b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b);
    }
    if (colon >= 0) {
      out.write(':');
      // unfold, turn every run of WSP into one SP, drop WSP at both ends of the value
      boolean pendingSpace = false;
      boolean started = false;
      for (int i = colon + 1; i < raw.length; i++) {
        byte b = raw[i];
        if (b == '\r' || b == '\n') {
          continue;
        }
        if (isWsp(b)) {
          pendingSpace = started;
          continue;
        }
        if (pendingSpace) {
          out.write(' ');
          pendingSpace = false;
        }
        out.write(b);
        started = true;
      }
    }
    if (withCrlf) {
      out.write(CRLF, 0, 2);
    }
    return out.toByteArray();
  }

  private static int indexOfColon(byte[] raw) {
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == ':') {
        return i;
      }
    }
    return -1;
  }

  private static boolean isWsp(byte b) {
    return b == ' ' || b == '\t';
  }
}
