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
}
