package org.mta4j.delivery.internal;

import java.util.Objects;

/**
 * The outcome of one delivery attempt for one recipient (STYLE rule 6). Built only by {@link
 * Outcomes}, the one place that classifies replies and errors.
 */
sealed interface Outcome permits Outcome.Delivered, Outcome.Deferred, Outcome.Failed {

  /** Where the attempt went: {@code host[ip]:port}, {@code local}, or {@code none}. */
  String relay();

  /** RFC 3463 status, e.g. {@code 2.0.0}, {@code 4.4.1}, {@code 5.1.1}. */
  String dsnCode();

  /** What happened, in Postfix's words ({@code host x[ip] said: 550 5.1.1 ...}). */
  String diagnostic();

  record Delivered(String relay, String dsnCode, String diagnostic) implements Outcome {
    public Delivered {
      Objects.requireNonNull(relay);
    }
  }

  /**
   * Try again later. {@code siteWide} when the whole destination failed (no connection, 421, DNS),
   * so that other messages to it wait instead of hammering it.
   */
  record Deferred(String relay, String dsnCode, String diagnostic, boolean siteWide)
      implements Outcome {}

  record Failed(String relay, String dsnCode, String diagnostic) implements Outcome {}
}
