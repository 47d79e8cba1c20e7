package org.mta4j.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mta4j.Mta;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the {@link Mta} (binds the SMTP listeners, starts delivery) once every bean of the context
 * is ready, and drains it on shutdown: stop accepting, let sessions and delivery attempts under way
 * finish for up to {@code mta.shutdown-grace}, close the queue.
 *
 * <p>It starts in a late phase (after the web server) and stops early (before the web server and
 * the DataSource), so the queue's database is still there while the MTA drains. An MTA once stopped
 * is closed for good: a context that is started again needs a new one. Thread-safe.
 */
public final class MtaLifecycle implements SmartLifecycle, DisposableBean {

  /** After the web server starts ({@code DEFAULT_PHASE - 1024}), before it stops. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

  private final Mta mta;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean running;

  public MtaLifecycle(Mta mta) {
    this.mta = mta;
  }

  @Override
  public void start() {
    if (closed.get()) {
      throw new IllegalStateException("the MTA was stopped and cannot start again");
    }
    if (running) {
      return;
    }
    try {
      mta.start();
    } catch (IOException e) {
      throw new UncheckedIOException("the MTA could not start: " + e.getMessage(), e);
    }
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /** Closes the MTA (and its queue store) if a failed or stopped context never did. */
  @Override
  public void destroy() {
    close();
  }

  private void close() {
    if (closed.compareAndSet(false, true)) {
      mta.close();
    }
  }
}
