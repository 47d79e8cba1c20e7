package org.mta4j.intake;

import java.io.IOException;
import java.util.List;

/**
 * A step of intake (Postfix's {@code cleanup}) that looks at each message once, before it is
 * queued, and may put header fields on top of it: the seam where DKIM signing plugs in. Steps run
 * in the order they were added, for mail from SMTP, from {@code submit()} and for bounces; the
 * content they see already carries the {@code Received}, {@code Message-ID} and {@code Date}
 * headers, and the headers of earlier steps are not part of it.
 *
 * <p>Called on the session's (or the submitter's) thread, concurrently; must be thread-safe. A step
 * that throws refuses the message for now: the SMTP client gets {@code 451 4.3.0}, {@code submit()}
 * throws, nothing is queued.
 */
@FunctionalInterface
public interface ContentStep {

  /**
   * The header fields to prepend, each a complete field without its final CRLF (folded lines inside
   * a field are separated by CRLF followed by a space or tab); empty for none.
   */
  List<String> headersToPrepend(IntakeMessage message) throws IOException;

  /**
   * Whether a header field the message arrived with is deleted before it is queued: for example an
   * {@code Authentication-Results} field that claims this server's authserv-id but came from
   * outside (RFC 8601 §5). Asked for every field of the arriving header before any step runs, so
   * every step sees the message without the deleted fields; the fields intake adds are not asked
   * about. Default: none.
   *
   * @param name the field name as it arrived
   * @param value the field body, unfolded, without leading white space
   */
  default boolean removes(String name, String value) {
    return false;
  }
}
