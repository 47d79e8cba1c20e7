package org.mta4j.event;

import java.time.Duration;
import java.time.Instant;

/**
 * What happens to mail in the MTA, for metrics and logs. Events are immutable values delivered to
 * {@link MtaEventListener}s on the thread where they happen.
 */
public sealed interface MtaEvent {

  /** When it happened. */
  Instant at();

  /**
   * An SMTP session ended.
   *
   * @param sessionId the server's session id
   * @param client the client's address (after any PROXY header)
   * @param heloName the last EHLO/HELO name, or null
   * @param tls true when TLS was up at the end
   * @param authIdentity the AUTH identity, or null
   * @param messagesAccepted messages answered with 250 at the end of data
   * @param duration how long the session lasted
   */
  record Session(
      Instant at,
      String sessionId,
      java.net.InetSocketAddress client,
      String heloName,
      boolean tls,
      String authIdentity,
      int messagesAccepted,
      Duration duration)
      implements MtaEvent {}

  /** A message was queued by intake. */
  record Queued(
      Instant at, String queueId, String reversePath, int recipients, long size, String origin)
      implements MtaEvent {}

  /**
   * One delivery attempt for one recipient ended; {@code status} tells how.
   *
   * @param delay from the message's arrival to this outcome (Postfix's {@code delay=})
   * @param attemptDuration how long this attempt took: routing, any wait for a concurrency slot,
   *     and the delivery itself (shared by the recipients delivered together); zero when unknown
   */
  record Attempt(
      Instant at,
      String queueId,
      String recipient,
      String relay,
      Duration delay,
      String dsnCode,
      Status status,
      String diagnostic,
      Duration attemptDuration)
      implements MtaEvent {

    /** An attempt whose duration is not known. */
    public Attempt(
        Instant at,
        String queueId,
        String recipient,
        String relay,
        Duration delay,
        String dsnCode,
        Status status,
        String diagnostic) {
      this(at, queueId, recipient, relay, delay, dsnCode, status, diagnostic, Duration.ZERO);
    }
  }

  /** A non-delivery report (or delay notice) was queued back to the sender. */
  record Bounced(Instant at, String queueId, String bounceId, String action) implements MtaEvent {}

  /** A message stayed deferred past the queue lifetime and was given up. */
  record Expired(Instant at, String queueId) implements MtaEvent {}

  /** The outcome of an attempt, as Postfix's {@code status=} field. */
  enum Status {
    DELIVERED,
    DEFERRED,
    BOUNCED
  }
}
