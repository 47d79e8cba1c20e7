package org.mta4j.delivery.internal;

import java.util.ArrayList;
import java.util.List;
import org.mta4j.client.RemoteReply;
import org.mta4j.client.SessionFailure;
import org.mta4j.client.Stage;
import org.mta4j.client.TransactionResult;
import org.mta4j.delivery.PermanentDeliveryException;
import org.mta4j.smtp.Recipient;

/**
 * The one place that decides delivered, deferred or failed (Postfix's {@code smtp_trouble.c}; STYLE
 * rule 6). 2xx delivered; 4xx, I/O errors and DNS trouble deferred; 5xx failed. Scope decides who
 * it applies to: a session or site failure defers every recipient of the attempt and marks the
 * destination as failing; a message failure (MAIL, DATA) applies to all recipients of the
 * transaction; a recipient failure (RCPT) to that recipient only.
 */
final class Outcomes {
  private Outcomes() {}

  static final String LOCAL = "local";

  static Outcome localDelivered() {
    return new Outcome.Delivered(LOCAL, "2.0.0", "delivered to the application");
  }

  static Outcome localNotConfigured() {
    return new Outcome.Deferred(LOCAL, "4.3.0", "no local delivery hook is configured", false);
  }

  static Outcome localFailure(Exception e) {
    if (e instanceof PermanentDeliveryException p) {
      return new Outcome.Failed(LOCAL, p.dsnCode(), "local delivery failed: " + p.getMessage());
    }
    return new Outcome.Deferred(LOCAL, "4.3.0", "local delivery failed, will retry: " + e, false);
  }

  /** A destination that failed a moment ago is not tried again until its backoff ends. */
  static Outcome suspended(String destination, String lastReason) {
    return new Outcome.Deferred(
        "none",
        "4.4.1",
        "delivery temporarily suspended: " + destination + ": " + lastReason,
        false);
  }

  /** A deferred recipient past the queue lifetime. */
  static Outcome expired(Outcome.Deferred last) {
    String code = last.dsnCode().isEmpty() ? "4.4.7" : last.dsnCode();
    return new Outcome.Failed(last.relay(), code, last.diagnostic() + " (delivery time expired)");
  }

  /**
   * A reply from a remote SMTP server.
   *
   * @param code the basic reply code
   * @param enhanced the enhanced status, or null when the server gave none
   * @param text the reply text
   * @param relay {@code host[ip]:port}
   * @param stage the command it answered ({@code MAIL FROM}, {@code RCPT TO}, {@code end of DATA})
   * @param siteWide true for greeting/EHLO/TLS/AUTH replies that fail the whole destination
   */
  static Outcome remoteReply(
      int code, String enhanced, String text, String relay, String stage, boolean siteWide) {
    String diagnostic =
        "host "
            + relay
            + " said: "
            + code
            + (enhanced != null ? " " + enhanced : "")
            + " "
            + text
            + " (in reply to "
            + stage
            + ")";
    if (code / 100 == 2) {
      return new Outcome.Delivered(relay, enhanced != null ? enhanced : "2.0.0", diagnostic);
    }
    if (code / 100 == 5 && !siteWide) {
      return new Outcome.Failed(relay, enhancedOr(enhanced, "5.0.0", code), diagnostic);
    }
    // 4xx, and 5xx at greeting/EHLO/AUTH (Postfix tries the next MX and defers: smtp_trouble.c)
    String deferredCode = enhancedOr(enhanced, "4.0.0", code).replaceFirst("^5", "4");
    return new Outcome.Deferred(relay, deferredCode, diagnostic, siteWide);
  }

  /** No connection, reset, timeout: temporary, and for the whole site. */
  static Outcome ioFailure(String relay, String what) {
    return new Outcome.Deferred(relay, "4.4.1", "connect to " + relay + ": " + what, true);
  }

  /** Lost connection or timeout in the middle of a transaction. */
  static Outcome lostConnection(String relay, String stage, String what) {
    return new Outcome.Deferred(
        relay,
        "4.4.2",
        "lost connection with " + relay + " while sending " + stage + ": " + what,
        true);
  }

  /** A DNS answer that means the destination cannot exist (NXDOMAIN, null MX). */
  static Outcome dnsPermanent(String dsnCode, String reason) {
    return new Outcome.Failed("none", dsnCode, reason);
  }

  /** A DNS failure that may pass (SERVFAIL, timeout). */
  static Outcome dnsTemporary(String dsnCode, String reason) {
    return new Outcome.Deferred("none", dsnCode, reason, true);
  }

  /** A check done before sending (SIZE, SMTPUTF8) that can never pass with this server. */
  static Outcome precheckFailed(String relay, String dsnCode, String reason) {
    return new Outcome.Failed(relay, dsnCode, reason);
  }

  private static String enhancedOr(String enhanced, String fallback, int code) {
    if (enhanced != null && enhanced.length() > 0 && enhanced.charAt(0) - '0' == code / 100) {
      return enhanced;
    }
    return fallback;
  }

  /** Words for a stage in a diagnostic, as Postfix writes them ({@code in reply to RCPT TO}). */
  static String stageName(Stage stage) {
    return switch (stage) {
      case MAIL -> "MAIL FROM";
      case RCPT -> "RCPT TO";
      case END_OF_DATA, MESSAGE_CONTENT -> "end of DATA command";
      case EHLO -> "EHLO";
      case HELO -> "HELO";
      default -> stage.name().replace('_', ' ');
    };
  }

  private static Outcome reply(RemoteReply r, String relay, Stage stage, boolean siteWide) {
    return remoteReply(r.code(), r.enhanced(), r.message(), relay, stageName(stage), siteWide);
  }

  /**
   * A session that failed before or outside a transaction: every recipient is deferred and the
   * destination rests (Postfix defers, and tries the next MX host first).
   */
  static Outcome session(SessionFailure failure, String relay) {
    return switch (failure) {
      case SessionFailure.ServerReply r -> reply(r.reply(), relay, r.stage(), true);
      case SessionFailure.NetworkError n ->
          switch (n.kind()) {
            case CONNECT -> ioFailure(relay, n.message());
            case TLS ->
                new Outcome.Deferred(
                    relay, "4.7.5", "TLS with " + relay + " failed: " + n.message(), true);
            default -> lostConnection(relay, stageName(n.stage()), n.kind() + ": " + n.message());
          };
      case SessionFailure.ProtocolViolation v ->
          new Outcome.Deferred(
              relay, "4.5.0", "host " + relay + " broke the protocol: " + v.detail(), true);
      case SessionFailure.Unmet u ->
          new Outcome.Deferred(
              relay,
              u.requirement() == SessionFailure.Unmet.Requirement.TLS ? "4.7.5" : "4.7.0",
              "host " + relay + ": " + u.detail(),
              true);
    };
  }

  /**
   * One outcome per recipient, in order, from a transaction: MAIL and DATA replies apply to the
   * whole message, RCPT replies to their recipient (RFC 5321 §3.3; Postfix's smtp_trouble.c).
   */
  static List<Outcome> transaction(TransactionResult t, List<Recipient> recipients, String relay) {
    List<Outcome> out = new ArrayList<>(recipients.size());
    Outcome all = null;
    if (t.localFailure() != null) {
      var f = t.localFailure();
      var r = f.reply();
      String reason = f.reason() + ": " + r;
      all =
          r.isPermanentFailure()
              ? precheckFailed(relay, r.enhanced(), reason)
              : new Outcome.Deferred(relay, r.enhanced(), reason, false);
    } else if (t.mailReply() != null && !t.mailReply().isPositive()) {
      all = reply(t.mailReply(), relay, Stage.MAIL, false);
    } else if (t.mailReply() == null && t.sessionFailure() != null) {
      all = session(t.sessionFailure(), relay);
    }
    if (all != null) {
      for (int i = 0; i < recipients.size(); i++) {
        out.add(all);
      }
      return out;
    }
    Outcome forAccepted;
    if (t.dataReply() != null && !t.dataReply().isPositive() && !t.dataReply().isIntermediate()) {
      forAccepted = reply(t.dataReply(), relay, Stage.DATA, false);
    } else if (t.messageReply() != null) {
      forAccepted = reply(t.messageReply(), relay, Stage.END_OF_DATA, false);
    } else if (t.sessionFailure() != null) {
      forAccepted = session(t.sessionFailure(), relay);
    } else {
      forAccepted = lostConnection(relay, "end of DATA command", "no reply");
    }
    for (int i = 0; i < recipients.size(); i++) {
      TransactionResult.RecipientReply rr =
          i < t.recipientReplies().size() ? t.recipientReplies().get(i) : null;
      if (rr == null || rr.reply() == null) {
        out.add(
            t.sessionFailure() != null
                ? session(t.sessionFailure(), relay)
                : lostConnection(relay, "RCPT TO", "no reply"));
      } else if (!rr.accepted()) {
        out.add(reply(rr.reply(), relay, Stage.RCPT, false));
      } else {
        out.add(forAccepted);
      }
    }
    return out;
  }
}
