package org.mta4j.server;

import java.util.Objects;
import org.mta4j.smtp.SmtpReply;

/**
 * What a policy hook or the message handler decides about the command it was shown.
 *
 * <ul>
 *   <li>{@link Accept}: accept now; later policies are not asked for this command.
 *   <li>{@link Continue}: no opinion; the next policy is asked, and the built-in default applies.
 *   <li>{@link Reject}: refuse with a 5xx reply; the session goes on.
 *   <li>{@link TempFail}: refuse with a 4xx reply; the session goes on.
 *   <li>{@link Disconnect}: send the reply (421 or 5xx) and close the connection.
 * </ul>
 *
 * <p>Decisions are immutable values, built with the static factories, which check that the reply
 * fits the decision ({@code reject} takes a 5xx reply, {@code tempFail} a 4xx one).
 */
public sealed interface Decision
    permits Decision.Accept,
        Decision.Continue,
        Decision.Reject,
        Decision.TempFail,
        Decision.Disconnect {

  /** Accept; {@code reply} is {@code null} to use the server's usual positive reply. */
  record Accept(SmtpReply reply) implements Decision {
    public Accept {
      if (reply != null && !reply.isPositive()) {
        throw new IllegalArgumentException("accept needs a 2xx reply: " + reply);
      }
    }
  }

  /** No opinion: ask the next policy. */
  record Continue() implements Decision {}

  /** Refuse with a permanent (5xx) reply. */
  record Reject(SmtpReply reply) implements Decision {
    public Reject {
      Objects.requireNonNull(reply, "reply");
      if (!reply.isPermanentFailure()) {
        throw new IllegalArgumentException("reject needs a 5xx reply: " + reply);
      }
    }
  }

  /** Refuse with a transient (4xx) reply. */
  record TempFail(SmtpReply reply) implements Decision {
    public TempFail {
      Objects.requireNonNull(reply, "reply");
      if (!reply.isTransientFailure()) {
        throw new IllegalArgumentException("tempFail needs a 4xx reply: " + reply);
      }
    }
  }

  /** Send the reply and close the connection. */
  record Disconnect(SmtpReply reply) implements Decision {
    public Disconnect {
      Objects.requireNonNull(reply, "reply");
      if (reply.isPositive()) {
        throw new IllegalArgumentException("disconnect needs a 4xx or 5xx reply: " + reply);
      }
    }
  }

  /** Accept with the server's usual reply. */
  static Decision accept() {
    return new Accept(null);
  }

  /** Accept with the given 2xx reply. */
  static Decision accept(SmtpReply reply) {
    return new Accept(Objects.requireNonNull(reply, "reply"));
  }

  /** No opinion. */
  static Decision proceed() {
    return CONTINUE;
  }

  /** Refuse permanently. */
  static Decision reject(SmtpReply reply) {
    return new Reject(reply);
  }

  /** Refuse permanently, e.g. {@code reject(550, "5.7.1", "Sender denied")}. */
  static Decision reject(int code, String enhanced, String text) {
    return new Reject(SmtpReply.of(code, enhanced, text));
  }

  /** Refuse for now. */
  static Decision tempFail(SmtpReply reply) {
    return new TempFail(reply);
  }

  /** Refuse for now, e.g. {@code tempFail(450, "4.7.1", "Greylisted")}. */
  static Decision tempFail(int code, String enhanced, String text) {
    return new TempFail(SmtpReply.of(code, enhanced, text));
  }

  /** Send the reply and hang up. */
  static Decision disconnect(SmtpReply reply) {
    return new Disconnect(reply);
  }

  /** The shared {@link Continue} instance. */
  Continue CONTINUE = new Continue();
}
