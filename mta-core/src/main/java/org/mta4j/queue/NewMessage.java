package org.mta4j.queue;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * A message as intake hands it to the queue.
 *
 * @param id the queue id, chosen by intake (quoted in {@code 250 ... queued as} and in logs)
 * @param reversePath the envelope sender; empty for the null reverse path (bounces)
 * @param recipients at least one, each once
 * @param parameters the MAIL parameters that matter for delivery (BODY, SMTPUTF8, RET, ENVID)
 * @param arrivedAt when intake accepted it
 */
public record NewMessage(
    String id,
    String reversePath,
    List<Recipient> recipients,
    MailParameters parameters,
    Instant arrivedAt) {

  public NewMessage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reversePath, "reversePath");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("a message needs at least one recipient");
    }
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(arrivedAt, "arrivedAt");
  }
}
