package org.mta4j.server;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * The SMTP envelope of one received message (RFC 5321 §2.3.1).
 *
 * @param id the transaction id, quoted in the {@code 250 ... queued as} reply and in logs
 * @param reversePath the MAIL FROM address without brackets; the empty string for the null reverse
 *     path {@code <>}
 * @param recipients the accepted recipients in the order given, at least one
 * @param parameters the MAIL parameters
 * @param session the session the message came in on
 * @param receivedAt when the end of data was seen
 */
public record Envelope(
    String id,
    String reversePath,
    List<Recipient> recipients,
    MailParameters parameters,
    SessionInfo session,
    Instant receivedAt) {

  public Envelope {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reversePath, "reversePath");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(receivedAt, "receivedAt");
  }

  /** True for the null reverse path {@code <>} (bounces). */
  public boolean isNullSender() {
    return reversePath.isEmpty();
  }
}
