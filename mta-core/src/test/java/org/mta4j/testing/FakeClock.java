package org.mta4j.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that moves only when a test moves it. Thread-safe. */
public final class FakeClock extends Clock {
  private volatile Instant now;

  public FakeClock(Instant start) {
    this.now = start;
  }

  /** A clock at 2026-01-01T00:00:00Z. */
  public static FakeClock atEpochOfTests() {
    return new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
  }

  public synchronized Instant advance(Duration d) {
    now = now.plus(d);
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a fake clock stays in UTC");
  }

  @Override
  public Instant instant() {
    return now;
  }
}
