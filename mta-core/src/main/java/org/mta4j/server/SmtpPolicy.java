package org.mta4j.server;

import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * A policy hook: shown each stage of an SMTP session, it answers with a {@link Decision}.
 *
 * <p>Policies are asked in the order they were added to the builder. The first that answers
 * anything but {@link Decision#proceed()} decides; when every policy proceeds, the server's default
 * applies (accept, after the built-in checks). Relay control runs before any user policy and a
 * policy cannot open the relay: at RCPT, an {@code accept} decision for a recipient the relay check
 * refused does not count.
 *
 * <p>Every method has a default that proceeds, so an implementation overrides only the stages it
 * cares about. Hooks run on the session's virtual thread and may block (DNS lookups, a database);
 * they are called concurrently for different sessions and must be thread-safe. A hook that throws
 * is logged and its command answered {@code 451 4.3.0}; the session goes on.
 *
 * <p>DNSBL, greylisting, SPF, DMARC and rate limits all plug in here.
 */
public interface SmtpPolicy {

  /** After the TCP connection (and any PROXY header), before the greeting. */
  default Decision onConnect(SessionInfo session) {
    return Decision.proceed();
  }

  /** At EHLO or HELO. */
  default Decision onHelo(SessionInfo session, String heloName) {
    return Decision.proceed();
  }

  /**
   * At MAIL FROM.
   *
   * @param reversePath the address without brackets; empty for {@code <>}
   */
  default Decision onMail(SessionInfo session, String reversePath, MailParameters parameters) {
    return Decision.proceed();
  }

  /** At each RCPT TO, after syntax and relay checks passed. */
  default Decision onRcpt(SessionInfo session, String reversePath, Recipient recipient) {
    return Decision.proceed();
  }

  /**
   * At the end of data (DATA's final dot or the last BDAT chunk), before the message handler. The
   * content can be read here (e.g. to verify DKIM signatures).
   */
  default Decision onMessage(Envelope envelope, MessageContent content) {
    return Decision.proceed();
  }
}
