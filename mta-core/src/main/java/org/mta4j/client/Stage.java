package org.mta4j.client;

/**
 * Where in an SMTP client session something happened: the command whose reply (or lack of one) is
 * reported. A classifier uses it to scope a failure (RFC 5321 §4.2.5 gives each stage its own
 * meaning: a 5xx to MAIL concerns the message, a 5xx to RCPT one recipient, a 4xx to the greeting
 * the whole site).
 *
 * <p>RSET and QUIT have no stage: their failures change no result. A failed RSET shows as {@link
 * SmtpConnection#isReusable()} turning false; QUIT is best effort.
 */
public enum Stage {
  /** Opening the TCP connection. */
  CONNECT,
  /** The TLS handshake, right after connecting (implicit TLS) or after STARTTLS's 220. */
  TLS_HANDSHAKE,
  /** Waiting for the server's 220 greeting (RFC 5321 §4.3.1). */
  GREETING,
  /** EHLO (RFC 5321 §4.1.1.1), first or after TLS. */
  EHLO,
  /** HELO, the fallback after a 5xx to EHLO. */
  HELO,
  /** The STARTTLS command (RFC 3207). */
  STARTTLS,
  /** SMTP AUTH (RFC 4954). */
  AUTH,
  /** MAIL FROM. */
  MAIL,
  /** RCPT TO. */
  RCPT,
  /** The DATA command, up to its 354 reply. */
  DATA,
  /** Sending the message content (DATA) or a BDAT chunk that is not the last (RFC 3030). */
  MESSAGE_CONTENT,
  /** The reply after the final dot or the last BDAT chunk: the server's verdict on the message. */
  END_OF_DATA
}
