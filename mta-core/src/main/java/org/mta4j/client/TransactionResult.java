package org.mta4j.client;

import java.util.List;
import java.util.Objects;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.SmtpReply;

/**
 * The facts of one mail transaction: every reply the server gave, in protocol order, and what
 * stopped the transaction if something did. A reply is {@code null} when the command was not sent
 * or its reply never came. The client does not decide what the facts mean for delivery; a
 * classifier does.
 *
 * <p>Reading a result: a {@link #localFailure()} means nothing (or, for unreadable content, no
 * complete message) was sent; a {@link #sessionFailure()} means the connection broke and the
 * replies stop where it did; otherwise {@link #mailReply()}, each recipient's reply and {@link
 * #messageReply()} tell what the server decided.
 *
 * @param mailReply the reply to MAIL FROM
 * @param recipientReplies one entry per recipient, in the order given, each with the reply to its
 *     RCPT TO (or {@code null})
 * @param dataReply the reply to DATA (354, or a refusal); {@code null} with BDAT
 * @param messageReply the reply after the final dot, or to the last BDAT chunk (or to the first
 *     chunk the server refused): the server's verdict on the message
 * @param localFailure why this side refused to send the message, or {@code null}
 * @param sessionFailure why the session broke during the transaction, or {@code null}; the
 *     connection is then closed
 */
public record TransactionResult(
    RemoteReply mailReply,
    List<RecipientReply> recipientReplies,
    RemoteReply dataReply,
    RemoteReply messageReply,
    LocalFailure localFailure,
    SessionFailure sessionFailure) {

  /**
   * One recipient and the reply to its RCPT TO.
   *
   * @param recipient the recipient as given
   * @param reply the reply, or {@code null} when RCPT was not sent or not answered
   */
  public record RecipientReply(Recipient recipient, RemoteReply reply) {
    public RecipientReply {
      Objects.requireNonNull(recipient, "recipient");
    }

    /** True when the server accepted this recipient. */
    public boolean accepted() {
      return reply != null && reply.isPositive();
    }
  }

  /**
   * This side refused to send the message, with a reply made up here for the DSN.
   *
   * @param reason why
   * @param reply the reply to report ({@code 552 5.3.4}, {@code 554 5.6.7}, ...)
   */
  public record LocalFailure(Reason reason, SmtpReply reply) {

    /** The reasons. */
    public enum Reason {
      /** The message is larger than the server's SIZE (RFC 1870); {@code 552 5.3.4}. */
      MESSAGE_TOO_BIG,
      /** The message needs SMTPUTF8 and the server does not offer it (RFC 6531); {@code 5.6.7}. */
      SMTPUTF8_NOT_OFFERED,
      /** BODY=BINARYMIME and the server lacks CHUNKING or BINARYMIME (RFC 3030); {@code 5.6.3}. */
      BINARYMIME_NOT_OFFERED,
      /**
       * The content could not be read (a local I/O error); {@code 451 4.3.0}. When this happens
       * during the data stage the connection is dropped before the end of data, so the server
       * discards the partial message.
       */
      CONTENT_UNREADABLE
    }

    public LocalFailure {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(reply, "reply");
    }
  }

  public TransactionResult {
    recipientReplies = List.copyOf(recipientReplies);
  }

  /** A transaction refused here before anything was sent. */
  static TransactionResult refused(List<Recipient> recipients, LocalFailure failure) {
    return new TransactionResult(
        null,
        recipients.stream().map(r -> new RecipientReply(r, null)).toList(),
        null,
        null,
        failure,
        null);
  }

  /**
   * True when the server accepted the message for at least one recipient: a 2xx after the content
   * and a 2xx to some RCPT.
   */
  public boolean messageAccepted() {
    return messageReply != null
        && messageReply.isPositive()
        && recipientReplies.stream().anyMatch(RecipientReply::accepted);
  }

  /** The recipients the server took the message for; empty unless {@link #messageAccepted()}. */
  public List<Recipient> acceptedRecipients() {
    if (!messageAccepted()) {
      return List.of();
    }
    return recipientReplies.stream()
        .filter(RecipientReply::accepted)
        .map(RecipientReply::recipient)
        .toList();
  }
}
