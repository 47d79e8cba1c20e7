package org.mta4j.dkim.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

/**
 * Empties the {@code b=} value of a raw DKIM-Signature field, keeping every other byte: what the
 * signature covers (RFC 6376 §3.7).
 */
public final class BTag {

  private BTag() {}

  /**
   * {@code raw} with the value of its {@code b} tag removed (the tag name and '=' stay).
   *
   * @throws IllegalArgumentException when there is no {@code b} tag
   */
  public static byte[] withoutValue(byte[] raw) {
    String text = new String(raw, ISO_8859_1);
    int colon = text.indexOf(':');
    int start = colon + 1;
    while (start <= text.length()) {
      int semicolon = text.indexOf(';', start);
      int end = semicolon < 0 ? text.length() : semicolon;
      String spec = text.substring(start, end);
      int equals = spec.indexOf('=');
      if (equals >= 0 && spec.substring(0, equals).strip().equals("b")) {
        int valueStart = start + equals + 1;
        return (text.substring(0, valueStart) + text.substring(end)).getBytes(ISO_8859_1);
      }
      if (semicolon < 0) {
        break;
      }
      start = semicolon + 1;
    }
    throw new IllegalArgumentException("no b= tag");
  }
}
