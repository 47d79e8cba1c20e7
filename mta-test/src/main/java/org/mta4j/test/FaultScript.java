package org.mta4j.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.mta4j.smtp.SmtpReply;

/**
 * The scripted faults of one {@link MtaServer}: rules per stage with their own occurrence counters,
 * and the latch that ends every stall and delay when the script is reset or the server closes.
 * Thread-safe.
 */
final class FaultScript {

  /** The longest a stall lasts when nobody resets the server (a bound, not a wait). */
  static final Duration MAX_STALL = Duration.ofMinutes(10);

  /** What a rule does when it strikes. */
  sealed interface Action permits Reply, Disconnect, Stall, Delay {}

  /** Answer with this reply instead of the usual one. */
  record Reply(SmtpReply reply) implements Action {}

  /** Close the connection without a reply. */
  record Disconnect() implements Action {}

  /** Never answer (until the server is reset or closed), then close the connection. */
  record Stall() implements Action {}

  /** Answer as usual after this delay. */
  record Delay(Duration delay) implements Action {}

  /**
   * One rule: {@code action} strikes at occurrences {@code from} to {@code from + count - 1} of
   * {@code stage} (1-based, counted from when the rule was added); for {@link Stage#CONTENT}, once
   * {@code afterBytes} bytes of the content went through.
   */
  record Rule(Stage stage, int from, int count, long afterBytes, Action action) {
    Rule {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(action, "action");
    }
  }

  /** An action that struck, with the content offset it waits for ({@link Stage#CONTENT} only). */
  record Strike(long afterBytes, Action action) {}

  private static final class Counted {
    final Rule rule;
    int seen;

    Counted(Rule rule) {
      this.rule = rule;
    }
  }

  private final List<Counted> rules = new ArrayList<>();
  private CountDownLatch released = new CountDownLatch(1);

  synchronized void add(Rule rule) {
    rules.add(new Counted(rule));
  }

  /** Counts one occurrence of {@code stage} and returns the actions that strike, in rule order. */
  synchronized List<Strike> occur(Stage stage) {
    List<Strike> strikes = new ArrayList<>();
    for (Counted c : rules) {
      if (c.rule.stage() != stage) {
        continue;
      }
      c.seen++;
      long last = (long) c.rule.from() + c.rule.count() - 1;
      if (c.seen >= c.rule.from() && c.seen <= last) {
        strikes.add(new Strike(c.rule.afterBytes(), c.rule.action()));
      }
    }
    return strikes;
  }

  /** Forgets every rule and ends every stall and delay under way. */
  void reset() {
    CountDownLatch old;
    synchronized (this) {
      rules.clear();
      old = released;
      released = new CountDownLatch(1);
    }
    old.countDown();
  }

  /**
   * Waits for {@code duration}, or less if the script is reset meanwhile; true if it was cut short.
   */
  boolean pause(Duration duration) {
    CountDownLatch latch;
    synchronized (this) {
      latch = released;
    }
    try {
      return latch.await(duration.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }
}
