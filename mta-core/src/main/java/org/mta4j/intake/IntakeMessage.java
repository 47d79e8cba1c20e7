package org.mta4j.intake;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * A message in intake, as a {@link ContentStep} sees it.
 *
 * @param queueId the id it will have in the queue
 * @param reversePath the envelope sender; empty for {@code <>}
 * @param recipients the recipients, duplicates removed
 * @param parameters the MAIL parameters
 * @param content the content; can be opened more than once
 */
public record IntakeMessage(
    String queueId,
    String reversePath,
    List<Recipient> recipients,
    MailParameters parameters,
    Content content) {

  /** Re-openable content. */
  @FunctionalInterface
  public interface Content {
    InputStream open() throws IOException;
  }

  public IntakeMessage {
    recipients = List.copyOf(recipients);
  }

  /** A new stream over the content, from its first byte. */
  public InputStream openContent() throws IOException {
    return content.open();
  }
}
