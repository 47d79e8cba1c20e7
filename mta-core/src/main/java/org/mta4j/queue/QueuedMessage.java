package org.mta4j.queue;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.mta4j.smtp.MailParameters;

/**
 * A message in the queue as the store reports it.
 *
 * @param id the queue id
 * @param reversePath the envelope sender; empty for {@code <>}
 * @param parameters the MAIL parameters
 * @param recipients every recipient with its state, in the original order
 * @param arrivedAt when intake accepted it
 * @param nextAttemptAt when it is due next
 * @param attempts how many delivery attempts were recorded
 * @param size the content size in bytes
 * @param held true while on hold
 * @param leaseOwner the node that has it claimed, or null
 * @param leaseExpiry until when the claim holds, or null
 */
public record QueuedMessage(
    String id,
    String reversePath,
    MailParameters parameters,
    List<RecipientState> recipients,
    Instant arrivedAt,
    Instant nextAttemptAt,
    int attempts,
    long size,
    boolean held,
    String leaseOwner,
    Instant leaseExpiry) {

  public QueuedMessage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reversePath, "reversePath");
    Objects.requireNonNull(parameters, "parameters");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(arrivedAt, "arrivedAt");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
  }

  /** Where the message stands, as {@code mailq} would show it, at time {@code now}. */
  public QueueState state(Instant now) {
    if (held) {
      return QueueState.HOLD;
    }
    if (leaseOwner != null && leaseExpiry != null && leaseExpiry.isAfter(now)) {
      return QueueState.ACTIVE;
    }
    return attempts == 0 ? QueueState.INCOMING : QueueState.DEFERRED;
  }
}
