package org.mta4j.dkim.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.util.Locale;

/**
 * One header field exactly as it is in the message, folding included, without its final CRLF:
 * DKIM's simple canonicalization signs these bytes as they are (RFC 6376 §3.4.1).
 *
 * @param name the field name as written (no trailing whitespace)
 * @param raw the whole field, name and value, without the final line break
 */
public record HeaderField(String name, byte[] raw) {

  /** Whether this field's name is {@code other}, ignoring ASCII case. */
  public boolean is(String other) {
    return name.equalsIgnoreCase(other);
  }

  /** The lower-case name, the key DKIM's {@code h=} matches on. */
  public String key() {
    return name.toLowerCase(Locale.ROOT);
  }

  /** The value after the colon, unfolded (CR and LF removed), as ISO-8859-1 text. */
  public String unfoldedValue() {
    String text = new String(raw, ISO_8859_1);
    int colon = text.indexOf(':');
    return text.substring(colon + 1).replace("\r", "").replace("\n", "");
  }
}
