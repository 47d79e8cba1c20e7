package org.mta4j.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * One message handed to a {@link DeliveryHook}: the envelope and the content as queued (with the
 * Received, Message-ID and Date headers intake added).
 *
 * @param queueId the queue id
 * @param reversePath the envelope sender; empty for {@code <>}
 * @param recipients the local recipients of this delivery
 * @param parameters the MAIL parameters
 * @param arrivedAt when the message was queued
 */
public record LocalDelivery(
    String queueId,
    String reversePath,
    List<Recipient> recipients,
    MailParameters parameters,
    Instant arrivedAt,
    ContentSource content) {

  /** Re-openable message content. */
  @FunctionalInterface
  public interface ContentSource {
    InputStream open() throws IOException;
  }

  public LocalDelivery {
    recipients = List.copyOf(recipients);
  }

  /** A new stream over the content, from the start. */
  public InputStream openContent() throws IOException {
    return content.open();
  }
}
