package org.mta4j.test;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One leaf part of a recorded message (a single-part message is its own only part), with the
 * transfer encoding (base64, quoted-printable) already undone.
 *
 * @param mimeType the lower-case MIME type, e.g. {@code text/plain}
 * @param charset the declared charset for text parts, or {@code null}
 * @param fileName the file name from Content-Disposition or Content-Type, or {@code null}
 * @param attachment true when the part is an attachment (disposition {@code attachment} or a file
 *     name)
 * @param body the decoded bytes
 */
public record MessagePart(
    String mimeType, String charset, String fileName, boolean attachment, byte[] body) {

  public MessagePart {
    Objects.requireNonNull(mimeType, "mimeType");
    body = body.clone();
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body as text in its declared charset (US-ASCII when none is declared, RFC 2045 §5.2). */
  public String text() {
    Charset cs = StandardCharsets.US_ASCII;
    if (charset != null) {
      try {
        cs = Charset.forName(charset);
      } catch (IllegalArgumentException e) {
        cs = StandardCharsets.ISO_8859_1; // an unknown charset still gives readable text
      }
    }
    return new String(body, cs);
  }

  @Override
  public String toString() {
    return "MessagePart["
        + mimeType
        + (fileName != null ? ", file=" + fileName : "")
        + ", "
        + body.length
        + " bytes]";
  }
}
