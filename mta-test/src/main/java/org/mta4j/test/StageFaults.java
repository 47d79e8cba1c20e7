package org.mta4j.test;

import java.time.Duration;
import java.util.Objects;
import org.mta4j.smtp.SmtpReply;

/**
 * Scripts one fault at one {@link Stage}; from {@link MtaServer#on(Stage)}. Choose which
 * occurrences it hits ({@link #nth}, {@link #times}; default every one from now on), then end with
 * the fault: {@link #reply}, {@link #disconnect()}, {@link #stall()} or {@link #delay}.
 *
 * <pre>{@code
 * mail.on(Stage.RCPT).nth(2).reply(550, "5.1.1", "No such user");   // the 2nd RCPT only
 * mail.on(Stage.CONNECT).times(1).reply(421, "4.3.2", "Try later");  // the first connection
 * mail.on(Stage.CONTENT).afterBytes(200).disconnect();               // hang up mid-DATA
 * mail.on(Stage.END_OF_DATA).stall();                                // never answer the dot
 * mail.on(Stage.MAIL).delay(Duration.ofMillis(300));                  // a slow server
 * }</pre>
 *
 * <p>Occurrences are counted per rule from the moment the rule is added, across all connections.
 * Rules stay until {@link MtaServer#reset()} (which the extension calls before each test). Not
 * thread-safe: script from the test thread.
 */
public final class StageFaults {
  private final FaultScript script;
  private final Stage stage;
  private int from = 1;
  private int count = Integer.MAX_VALUE;
  private long afterBytes;

  StageFaults(FaultScript script, Stage stage) {
    this.script = script;
    this.stage = Objects.requireNonNull(stage, "stage");
  }

  /** Strikes only the {@code n}th occurrence (1 = the next one). */
  public StageFaults nth(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("nth must be >= 1: " + n);
    }
    this.from = n;
    this.count = 1;
    return this;
  }

  /** Strikes the next {@code n} occurrences, then lets the stage pass again. */
  public StageFaults times(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("times must be >= 1: " + n);
    }
    this.from = 1;
    this.count = n;
    return this;
  }

  /**
   * For {@link Stage#CONTENT}: strike once this many bytes of the content (after the 354, as the
   * client sends them) went through to the server. Default 0: at the first byte.
   */
  public StageFaults afterBytes(long bytes) {
    if (stage != Stage.CONTENT) {
      throw new IllegalStateException("afterBytes is for Stage.CONTENT, not " + stage);
    }
    if (bytes < 0) {
      throw new IllegalArgumentException("afterBytes must be >= 0: " + bytes);
    }
    this.afterBytes = bytes;
    return this;
  }

  /**
   * Answers with this failure reply instead of the usual one; a {@code 421} also closes the
   * connection (RFC 5321 §3.8). At {@link Stage#CONNECT} the reply replaces the greeting and the
   * server hangs up.
   *
   * @param code 4xx or 5xx
   * @param enhanced the RFC 3463 status, whose class matches the code (e.g. {@code 5.1.1})
   */
  public void reply(int code, String enhanced, String text) {
    reply(SmtpReply.of(code, enhanced, text));
  }

  /** {@link #reply(int, String, String)} with a reply value. */
  public void reply(SmtpReply reply) {
    Objects.requireNonNull(reply, "reply");
    if (reply.isPositive()) {
      throw new IllegalArgumentException("reply must be 4xx or 5xx: " + reply);
    }
    if (stage == Stage.CONTENT) {
      throw new IllegalStateException(
          "the content has no reply of its own; script Stage.END_OF_DATA for the final reply");
    }
    add(new FaultScript.Reply(reply));
  }

  /** Closes the connection without a reply (the client sees the connection drop). */
  public void disconnect() {
    add(new FaultScript.Disconnect());
  }

  /**
   * Never answers, so the client's read timeout fires. The stall ends (and the connection is
   * closed) when the server is reset or closed, at the latest after 10 minutes.
   */
  public void stall() {
    add(new FaultScript.Stall());
  }

  /** Answers as usual, but only after {@code delay} (a slow server). */
  public void delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative() || delay.isZero() || delay.compareTo(FaultScript.MAX_STALL) > 0) {
      throw new IllegalArgumentException("delay must be > 0 and <= 10 minutes: " + delay);
    }
    add(new FaultScript.Delay(delay));
  }

  private void add(FaultScript.Action action) {
    script.add(new FaultScript.Rule(stage, from, count, afterBytes, action));
  }
}
