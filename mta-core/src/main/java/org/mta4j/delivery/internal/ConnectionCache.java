package org.mta4j.delivery.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.mta4j.client.SmtpConnection;
import org.mta4j.client.SmtpTarget;

/**
 * Open SMTP connections kept between messages to the same host (Postfix's {@code scache}): a
 * connection that finished a transaction waits here for up to {@code idleLimit} (Postfix's {@code
 * smtp_connection_cache_time_limit}, 2 s) and is closed after that or after {@code maxReuse}
 * transactions. Thread-safe; idle connections are closed when found stale and by {@link
 * #closeIdle()}, which the queue manager calls between runs.
 */
public final class ConnectionCache implements AutoCloseable {
  private final Clock clock;
  private final Duration idleLimit;
  private final int maxReuse;
  private final int maxIdlePerTarget;
  private final Map<SmtpTarget, Deque<Idle>> idle = new HashMap<>();
  private boolean closed;

  private record Idle(SmtpConnection connection, Instant since) {}

  public ConnectionCache(Clock clock, Duration idleLimit, int maxReuse, int maxIdlePerTarget) {
    this.clock = clock;
    this.idleLimit = idleLimit;
    this.maxReuse = maxReuse;
    this.maxIdlePerTarget = maxIdlePerTarget;
  }

  /** An idle connection to {@code target}, or null. */
  public SmtpConnection take(SmtpTarget target) {
    List<SmtpConnection> stale = new ArrayList<>();
    SmtpConnection found = null;
    synchronized (this) {
      Deque<Idle> q = idle.get(target);
      while (q != null && !q.isEmpty() && found == null) {
        Idle i = q.pollLast();
        if (fresh(i)) {
          found = i.connection();
        } else {
          stale.add(i.connection());
        }
      }
      if (q != null && q.isEmpty()) {
        idle.remove(target);
      }
    }
    stale.forEach(SmtpConnection::close);
    return found;
  }

  /** Keeps a connection that may be reused; closes it if it may not. */
  public void put(SmtpConnection connection) {
    boolean keep;
    synchronized (this) {
      Deque<Idle> q = idle.computeIfAbsent(connection.target(), t -> new ArrayDeque<>());
      keep =
          !closed
              && connection.isReusable()
              && connection.transactions() < maxReuse
              && q.size() < maxIdlePerTarget;
      if (keep) {
        q.addLast(new Idle(connection, clock.instant()));
      } else if (q.isEmpty()) {
        idle.remove(connection.target());
      }
    }
    if (!keep) {
      connection.close();
    }
  }

  /** Closes the connections that have waited too long. */
  public void closeIdle() {
    List<SmtpConnection> stale = new ArrayList<>();
    synchronized (this) {
      for (Iterator<Deque<Idle>> it = idle.values().iterator(); it.hasNext(); ) {
        Deque<Idle> q = it.next();
        q.removeIf(
            i -> {
              if (!fresh(i)) {
                stale.add(i.connection());
                return true;
              }
              return false;
            });
        if (q.isEmpty()) {
          it.remove();
        }
      }
    }
    stale.forEach(SmtpConnection::close);
  }

  private boolean fresh(Idle i) {
    return i.connection().isReusable() && !clock.instant().isAfter(i.since().plus(idleLimit));
  }

  /** Closes every idle connection (QUIT) and keeps no more. */
  @Override
  public void close() {
    List<SmtpConnection> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      idle.values().forEach(q -> q.forEach(i -> all.add(i.connection())));
      idle.clear();
    }
    all.forEach(SmtpConnection::close);
  }
}
