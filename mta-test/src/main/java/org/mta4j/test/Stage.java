package org.mta4j.test;

/**
 * The points of an SMTP session where {@link MtaServer#on(Stage)} can inject a fault.
 *
 * <p>{@link #CONNECT}, {@link #HELO}, {@link #MAIL}, {@link #RCPT} and {@link #END_OF_DATA} are
 * injected through mta4j's own policy hooks, so they work on TLS sessions too. {@link #DATA} and
 * {@link #CONTENT} are injected by the kit's loopback proxy, which reads the session in plain text:
 * after STARTTLS they no longer fire.
 */
public enum Stage {
  /** A new connection, before the 220 greeting (RFC 5321 §4.3.1). */
  CONNECT,
  /** The EHLO or HELO command. */
  HELO,
  /** The MAIL FROM command. */
  MAIL,
  /** Each RCPT TO command. */
  RCPT,
  /** The DATA command, before its 354 reply. Plain-text sessions only. */
  DATA,
  /**
   * The message content after the 354, for {@code disconnect}, {@code stall} and {@code delay}
   * after a number of bytes ({@link StageFaults#afterBytes(long)}). Plain-text sessions only.
   */
  CONTENT,
  /** The end of the content (the final dot): the reply that says whether the message was taken. */
  END_OF_DATA
}
