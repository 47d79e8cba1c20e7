package org.mta4j.client;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * One message to send in one SMTP transaction: the envelope, the MAIL parameters, the size and a
 * way to read the content.
 *
 * <p>The content is read as a stream, once per {@link SmtpConnection#send} that reaches the data
 * stage, and never held whole in memory. It should be an RFC 5322 message with CRLF line endings;
 * the client turns any bare CR or LF into CRLF (see {@link SmtpConnection}). The size is the
 * content's length in bytes, declared with SIZE (RFC 1870) and checked against the server's limit
 * before anything is sent.
 *
 * <pre>{@code
 * OutgoingMessage message = new OutgoingMessage("alice@example.org",
 *     List.of(Recipient.of("bob@example.net")), MailParameters.NONE,
 *     Files.size(file), () -> Files.newInputStream(file));
 * }</pre>
 *
 * @param reversePath the MAIL FROM address without brackets; empty for the null path {@code <>}
 * @param recipients the RCPT TO recipients in order, at least one; their DSN parameters are sent
 *     only to a server that offers DSN
 * @param parameters the MAIL parameters: BODY, SMTPUTF8, and DSN's RET and ENVID (sent only to a
 *     server that offers DSN); {@code declaredSize} is ignored in favour of {@code size}; {@code
 *     null} means {@link MailParameters#NONE}
 * @param size the content's length in bytes, {@code >= 0}
 * @param content opens the content; called once per send that reaches the data stage
 */
public record OutgoingMessage(
    String reversePath,
    List<Recipient> recipients,
    MailParameters parameters,
    long size,
    IoSupplier<InputStream> content) {

  public OutgoingMessage {
    Objects.requireNonNull(reversePath, "reversePath");
    checkAddress("reversePath", reversePath);
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("recipients must not be empty");
    }
    for (Recipient r : recipients) {
      checkAddress("recipient", r.address());
      if (r.address().isEmpty()) {
        throw new IllegalArgumentException("recipient must not be empty");
      }
      checkXtext("orcpt", r.orcpt());
    }
    if (parameters == null) {
      parameters = MailParameters.NONE;
    }
    checkXtext("envid", parameters.envid());
    checkXtext("auth", parameters.auth());
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0: " + size);
    }
    Objects.requireNonNull(content, "content");
  }

  /** A message held in memory (small messages and tests), with no MAIL parameters. */
  public static OutgoingMessage of(String reversePath, List<Recipient> recipients, byte[] content) {
    byte[] copy = content.clone();
    return new OutgoingMessage(
        reversePath,
        recipients,
        MailParameters.NONE,
        copy.length,
        () -> new ByteArrayInputStream(copy));
  }

  /** This message with other MAIL parameters. */
  public OutgoingMessage withParameters(MailParameters parameters) {
    return new OutgoingMessage(reversePath, recipients, parameters, size, content);
  }

  /**
   * True when the transaction needs SMTPUTF8 (RFC 6531): the parameters say so, or an envelope
   * address is not ASCII.
   */
  public boolean needsSmtpUtf8() {
    if (parameters.smtpUtf8() || !isAscii(reversePath)) {
      return true;
    }
    for (Recipient r : recipients) {
      if (!isAscii(r.address())) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }

  // An address goes between < and > on a command line: no line breaks, no brackets, no controls.
  private static void checkAddress(String name, String address) {
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
        throw new IllegalArgumentException(
            name + " must not contain controls or angle brackets: " + address);
      }
    }
  }

  // A parameter value (xtext, RFC 3461 §4; RFC 6533 allows UTF-8 in ORCPT) is one word on the
  // command line: no space, no controls, so it cannot end the line or add a parameter.
  private static void checkXtext(String name, String value) {
    if (value == null) {
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(name + " must not contain spaces or controls: " + value);
      }
    }
  }
}
