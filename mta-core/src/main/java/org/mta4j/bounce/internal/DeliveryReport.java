package org.mta4j.bounce.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.smtp.MailParameters;

/**
 * Builds an RFC 3464 delivery status notification (Postfix's {@code bounce}): a {@code
 * multipart/report; report-type=delivery-status} (RFC 6522) with a human-readable part, the {@code
 * message/delivery-status} part, and the original message or its headers. It goes to the original
 * sender through intake, with the null reverse path.
 */
public final class DeliveryReport {
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

  /** Postfix's {@code bounce_size_limit}: larger originals come back as headers only. */
  public static final int FULL_MESSAGE_LIMIT = 50_000;

  /** The report's kind (RFC 3464 §2.3.3 {@code Action}). */
  public enum Action {
    FAILED,
    DELAYED,
    DELIVERED
  }

  private DeliveryReport() {}

  /**
   * The report's bytes.
   *
   * @param recipients the recipients to report on (all failed, or all delayed)
   * @param original the original message as returned: the full message or only its headers
   * @param fullMessage true if {@code original} is the full message
   * @param retryUntil for a delay notice, until when delivery is tried; null otherwise
   */
  public static byte[] build(
      String hostname,
      QueuedMessage message,
      List<RecipientState> recipients,
      Action action,
      byte[] original,
      boolean fullMessage,
      Instant now,
      Instant retryUntil,
      ZoneId zone) {
    String boundary = now.getEpochSecond() + "/" + UUID.randomUUID() + "/" + hostname;
    StringBuilder h = new StringBuilder(2048);
    h.append("From: MAILER-DAEMON@").append(hostname).append(" (Mail Delivery System)\r\n");
    h.append("To: <").append(message.reversePath()).append(">\r\n");
    h.append("Subject: ")
        .append(
            switch (action) {
              case FAILED -> "Undelivered Mail Returned to Sender";
              case DELAYED -> "Delayed Mail (still being retried)";
              case DELIVERED -> "Successful Mail Delivery Report";
            })
        .append("\r\n");
    h.append("Date: ").append(DATE.format(now.atZone(zone))).append("\r\n");
    h.append("Auto-Submitted: auto-replied\r\n"); // RFC 3834: never answer this automatically
    h.append("MIME-Version: 1.0\r\n");
    h.append("Content-Type: multipart/report; report-type=delivery-status;\r\n");
    h.append("\tboundary=\"").append(boundary).append("\"\r\n");
    h.append("Content-Transfer-Encoding: 8bit\r\n");
    h.append("\r\n");
    h.append("This is a MIME-encapsulated message.\r\n\r\n");

    // 1. for people
    h.append("--").append(boundary).append("\r\n");
    h.append("Content-Description: Notification\r\n");
    h.append("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    h.append("This is the mail system at host ").append(hostname).append(".\r\n\r\n");
    if (action == Action.FAILED) {
      h.append("I'm sorry to have to inform you that your message could not\r\n")
          .append("be delivered to one or more recipients. It's attached below.\r\n\r\n");
    } else if (action == Action.DELIVERED) {
      h.append("Your message was successfully delivered to the destination(s)\r\n")
          .append("listed below, as you asked (NOTIFY=SUCCESS).\r\n\r\n");
    } else {
      h.append("####################################################################\r\n")
          .append("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n")
          .append("####################################################################\r\n\r\n")
          .append("Your message could not be delivered yet. The mail system will keep\r\n")
          .append("trying until ")
          .append(DATE.format(retryUntil.atZone(zone)))
          .append(".\r\n\r\n");
    }
    for (RecipientState r : recipients) {
      h.append("<")
          .append(r.recipient().address())
          .append(">: ")
          .append(oneLine(r.diagnostic().isEmpty() ? r.dsnCode() : r.diagnostic()))
          .append("\r\n\r\n");
    }

    // 2. for machines (RFC 3464 §2.2, §2.3)
    h.append("--").append(boundary).append("\r\n");
    h.append("Content-Description: Delivery report\r\n");
    h.append("Content-Type: message/delivery-status\r\n\r\n");
    h.append("Reporting-MTA: dns; ").append(hostname).append("\r\n");
    h.append("X-Mta4j-Queue-ID: ").append(message.id()).append("\r\n");
    MailParameters p = message.parameters();
    if (p.envid() != null) {
      h.append("Original-Envelope-Id: ").append(p.envid()).append("\r\n");
    }
    h.append("Arrival-Date: ").append(DATE.format(message.arrivedAt().atZone(zone))).append("\r\n");
    for (RecipientState r : recipients) {
      h.append("\r\n");
      h.append("Final-Recipient: rfc822; ").append(r.recipient().address()).append("\r\n");
      String orcpt = r.recipient().orcpt();
      if (orcpt != null) {
        int semi = orcpt.indexOf(';');
        h.append("Original-Recipient: ")
            .append(orcpt, 0, semi)
            .append("; ")
            .append(orcpt.substring(semi + 1))
            .append("\r\n");
      }
      h.append("Action: ").append(action.name().toLowerCase(Locale.ROOT)).append("\r\n");
      h.append("Status: ").append(statusOf(r, action)).append("\r\n");
      String relay = r.relay();
      int bracket = relay.indexOf('[');
      if (bracket > 0) {
        h.append("Remote-MTA: dns; ").append(relay, 0, bracket).append("\r\n");
      }
      String diag = smtpDiagnostic(r.diagnostic());
      if (diag != null) {
        h.append("Diagnostic-Code: smtp; ").append(diag).append("\r\n");
      }
      if (r.lastAttempt() != null) {
        h.append("Last-Attempt-Date: ")
            .append(DATE.format(r.lastAttempt().atZone(zone)))
            .append("\r\n");
      }
      if (retryUntil != null) {
        h.append("Will-Retry-Until: ").append(DATE.format(retryUntil.atZone(zone))).append("\r\n");
      }
    }
    h.append("\r\n");

    // 3. the original (RFC 3462 text/rfc822-headers, or message/rfc822)
    h.append("--").append(boundary).append("\r\n");
    if (fullMessage) {
      h.append("Content-Description: Undelivered Message\r\n");
      h.append("Content-Type: message/rfc822\r\n");
    } else {
      h.append("Content-Description: Undelivered Message Headers\r\n");
      h.append("Content-Type: text/rfc822-headers\r\n");
    }
    h.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream(h.length() + original.length + 128);
    out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
    out.writeBytes(original);
    if (original.length < 2
        || original[original.length - 2] != '\r'
        || original[original.length - 1] != '\n') {
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static String statusOf(RecipientState r, Action action) {
    String code = r.dsnCode();
    if (code.isEmpty()) {
      return switch (action) {
        case FAILED -> "5.0.0";
        case DELAYED -> "4.0.0";
        case DELIVERED -> "2.0.0";
      };
    }
    return code;
  }

  /** The remote reply, when the diagnostic quotes one ({@code ... said: 550 5.1.1 text}). */
  private static String smtpDiagnostic(String diagnostic) {
    int said = diagnostic.indexOf(" said: ");
    if (said < 0) {
      return null;
    }
    String reply = oneLine(diagnostic.substring(said + 7));
    int paren = reply.lastIndexOf(" (in reply to ");
    return paren > 0 ? reply.substring(0, paren) : reply;
  }

  private static String oneLine(String s) {
    return s.replace('\r', ' ').replace('\n', ' ');
  }
}
