package org.mta4j.queue;

import java.time.Instant;
import java.util.Objects;
import org.mta4j.smtp.Recipient;

/**
 * Where one recipient of a queued message stands.
 *
 * @param recipient the recipient with its DSN parameters
 * @param status pending (never tried), deferred, delivered or failed
 * @param diagnostic the last reply or error, as Postfix logs it ({@code host x[1.2.3.4] said: 450
 *     4.2.0 ...}); empty when never tried
 * @param dsnCode the RFC 3463 status of the last outcome, e.g. {@code 4.4.1}; empty if none
 * @param relay where the last attempt went ({@code host[ip]:port}, or {@code local}); empty if none
 * @param lastAttempt when it was last tried, or null
 * @param delayNotified true once a delay notice (RFC 3464 {@code action=delayed}) was sent
 */
public record RecipientState(
    Recipient recipient,
    Status status,
    String diagnostic,
    String dsnCode,
    String relay,
    Instant lastAttempt,
    boolean delayNotified) {

  /** The life of a recipient in the queue. */
  public enum Status {
    PENDING,
    DEFERRED,
    DELIVERED,
    FAILED;

    /** Delivered or failed: nothing more will be tried. */
    public boolean isFinal() {
      return this == DELIVERED || this == FAILED;
    }
  }

  public RecipientState {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(diagnostic, "diagnostic");
    Objects.requireNonNull(dsnCode, "dsnCode");
    Objects.requireNonNull(relay, "relay");
  }

  /** A recipient that has not been tried yet. */
  public static RecipientState pending(Recipient recipient) {
    return new RecipientState(recipient, Status.PENDING, "", "", "", null, false);
  }

  /** This state after an attempt. */
  public RecipientState after(
      Status newStatus, String newDiagnostic, String newDsnCode, String newRelay, Instant at) {
    return new RecipientState(
        recipient, newStatus, newDiagnostic, newDsnCode, newRelay, at, delayNotified);
  }

  /** This state, marked as having had its delay notice. */
  public RecipientState withDelayNotified() {
    return new RecipientState(recipient, status, diagnostic, dsnCode, relay, lastAttempt, true);
  }
}
