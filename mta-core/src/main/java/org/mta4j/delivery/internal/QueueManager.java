package org.mta4j.delivery.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.mta4j.bounce.internal.DeliveryReport;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.delivery.RetryPolicy;
import org.mta4j.event.MtaEvent;
import org.mta4j.event.MtaEventListener;
import org.mta4j.intake.internal.Intake;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.queue.RecipientState.Status;
import org.mta4j.routing.Route;
import org.mta4j.routing.Router;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Postfix's {@code qmgr}: claims due messages with a lease, routes each recipient, runs the
 * delivery agents on virtual threads within a global and a per-destination limit, records the
 * per-recipient outcomes with the next attempt time, and sends delay notices and bounces through
 * intake. Time comes from the injected clock: tests call {@link #runDue(Instant)} with a fake clock
 * and nothing sleeps; in production a background thread calls it when mail arrives or the next
 * message falls due.
 */
public final class QueueManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QueueManager.class);
  private static final int BATCH = 100;
  private static final Duration MAX_IDLE_WAIT = Duration.ofSeconds(1);

  /**
   * While new mail keeps arriving, a run starts at most this often: a burst of a thousand messages
   * is claimed in a few batches instead of waking the loop a thousand times. Mail arriving after a
   * quiet spell starts a run at once.
   */
  private static final long MIN_RUN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** Everything the queue manager works with; immutable. */
  public record Settings(
      QueueStore store,
      Router router,
      DeliveryHook localHook,
      SmtpDeliveryAgent smtpAgent,
      RetryPolicy retry,
      Clock clock,
      RandomGenerator random,
      String nodeId,
      Duration lease,
      int maxConcurrency,
      int maxPerDestination,
      String hostname,
      List<MtaEventListener> listeners) {}

  /** Sends SMTP-routed mail; null when the MTA has no outbound SMTP. */
  public interface SmtpDeliveryAgent extends AutoCloseable {
    List<Outcome> deliver(
        QueuedMessage message,
        List<Recipient> recipients,
        Route.Smtp route,
        DeliveryAgent.Content content);

    /** Closes connections that have been idle too long; called between queue runs. */
    default void closeIdle() {}

    @Override
    default void close() {}
  }

  private final Settings s;
  private final Intake intake;
  private final LocalAgent local;
  private final Semaphore global;
  private final LoadingCache<String, Semaphore> perDestination;

  /** Destinations that failed as a whole, until when they rest, and why. */
  private final Cache<String, DeadDestination> dead;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();

  /** New mail since the current run began; only the wake-up that sets it signals the loop. */
  private final AtomicBoolean woken = new AtomicBoolean();

  private volatile boolean running;
  private Thread loop;

  private record DeadDestination(Instant until, String reason) {}

  public QueueManager(Settings settings, Intake intake) {
    this.s = settings;
    this.intake = intake;
    this.local = new LocalAgent(settings.localHook());
    this.global = new Semaphore(settings.maxConcurrency());
    this.perDestination =
        Caffeine.newBuilder().weakValues().build(k -> new Semaphore(settings.maxPerDestination()));
    this.dead = Caffeine.newBuilder().maximumSize(100_000).build();
  }

  /** Starts the background loop. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    loop = Thread.ofPlatform().name("mta4j-qmgr").daemon(true).start(this::loop);
  }

  /** New mail is queued: look at the queue now. */
  public void wakeUp() {
    if (woken.compareAndSet(false, true)) {
      signal();
    }
  }

  private void signal() {
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void loop() {
    while (running) {
      long runStarted = System.nanoTime();
      woken.set(false); // mail queued from here on asks for another run
      try {
        runDue(s.clock().instant());
        if (s.smtpAgent() != null) {
          s.smtpAgent().closeIdle();
        }
      } catch (IOException | RuntimeException e) {
        log.warn("queue run failed: {}", e.toString(), e);
      }
      long waitMs = MAX_IDLE_WAIT.toMillis();
      try {
        Optional<Instant> next = s.store().nextDue();
        if (next.isPresent()) {
          long until = Duration.between(s.clock().instant(), next.get()).toMillis();
          waitMs = Math.max(20, Math.min(waitMs, until));
        }
      } catch (IOException e) {
        log.warn("queue store failed: {}", e.toString());
      }
      lock.lock();
      try {
        if (!woken.get() && running) {
          wake.await(waitMs, TimeUnit.MILLISECONDS);
        }
        long early = MIN_RUN_INTERVAL_NANOS - (System.nanoTime() - runStarted);
        if (woken.get() && running && early > 0) {
          wake.awaitNanos(early); // gather the burst; stop() signals
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Delivers every message due at {@code now}, waiting for the attempts to end. Returns how many
   * messages were attempted. Up to {@value #BATCH} messages are in flight at once, and a new one is
   * claimed as soon as one ends (no waiting for a whole batch: a slow destination must not hold up
   * the rest). Mail that falls due during the run (a bounce) is delivered in the same run.
   */
  public int runDue(Instant now) throws IOException {
    Semaphore slots = new Semaphore(BATCH);
    int total = 0;
    try (ExecutorService attempts = Executors.newVirtualThreadPerTaskExecutor()) {
      while (true) {
        slots.acquireUninterruptibly();
        int free = 1 + slots.drainPermits();
        // The lease runs from the claim, not from the start of the run: a long run would otherwise
        // hand out leases that are already over, and another node would claim messages in flight.
        Instant current = s.clock().instant();
        Instant claimAt = current.isAfter(now) ? current : now;
        List<QueuedMessage> batch = s.store().claimDue(claimAt, free, s.nodeId(), s.lease());
        slots.release(free - batch.size());
        if (batch.isEmpty()) {
          if (slots.availablePermits() == BATCH) {
            return total; // nothing due and nothing in flight
          }
          // wait for the attempts in flight (they may queue bounces that are due now), then look
          // again
          slots.acquireUninterruptibly(BATCH);
          slots.release(BATCH);
          continue;
        }
        for (QueuedMessage m : batch) {
          attempts.submit(() -> attemptThenRelease(m, now, slots));
        }
        total += batch.size();
      }
    }
  }

  private void attemptThenRelease(QueuedMessage m, Instant now, Semaphore slots) {
    try {
      attemptGuarded(m, now);
    } finally {
      slots.release();
    }
  }

  private void attemptGuarded(QueuedMessage m, Instant now) {
    MDC.put("queueId", m.id());
    try {
      attempt(m, now);
    } catch (IOException | RuntimeException e) {
      // the lease expires and the message is tried again: at-least-once, never lost
      log.warn("{}: attempt failed: {}", m.id(), e.toString(), e);
    } finally {
      MDC.remove("queueId");
    }
  }

  private void attempt(QueuedMessage m, Instant now) throws IOException {
    List<RecipientState> before = m.recipients();
    List<RecipientState> after = new ArrayList<>(before);
    Map<Route, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < before.size(); i++) {
      RecipientState r = before.get(i);
      if (!r.status().isFinal()) {
        Route route = s.router().route(r.recipient());
        if (route instanceof Route.Smtp smtp && smtp.mxLookup()) {
          // one MX route per recipient domain
          route =
              new Route.Smtp(
                  r.recipient().domain(),
                  smtp.port(),
                  true,
                  smtp.tls(),
                  smtp.implicitTls(),
                  smtp.username(),
                  smtp.password());
        }
        groups.computeIfAbsent(route, k -> new ArrayList<>()).add(i);
      }
    }
    DeliveryAgent.Content content = () -> s.store().openContent(m.id());
    boolean expired = false; // one Expired event per message, however many recipients expire
    for (Map.Entry<Route, List<Integer>> g : groups.entrySet()) {
      List<Recipient> rcpts = g.getValue().stream().map(i -> before.get(i).recipient()).toList();
      Instant started = s.clock().instant();
      List<Outcome> outcomes = deliverGroup(m, rcpts, g.getKey(), content, now);
      Duration took = Duration.between(started, s.clock().instant());
      for (int k = 0; k < rcpts.size(); k++) {
        int i = g.getValue().get(k);
        Outcome o = outcomes.get(k);
        if (o instanceof Outcome.Deferred d
            && !now.isBefore(m.arrivedAt().plus(s.retry().maxLifetime()))) {
          o = Outcomes.expired(d);
          expired = true;
        }
        after.set(i, apply(before.get(i), o, now));
        logAttempt(m, before.get(i).recipient(), o, now, took);
      }
    }
    if (expired) {
      emit(new MtaEvent.Expired(now, m.id()));
    }
    sendReports(m, before, after, now);
    Instant next = now.plus(s.retry().backoff(m.attempts() + 1, s.random()));
    if (!s.store().recordAttempt(m.id(), s.nodeId(), after, next)) {
      log.warn("{}: lease lost before the outcome was recorded; another node has it", m.id());
    }
  }

  private List<Outcome> deliverGroup(
      QueuedMessage m,
      List<Recipient> rcpts,
      Route route,
      DeliveryAgent.Content content,
      Instant now) {
    if (route instanceof Route.Local) {
      return withPermits("local", () -> local.deliver(m, rcpts, route, content));
    }
    Route.Smtp smtp = (Route.Smtp) route;
    String destination = smtp.destination();
    DeadDestination d = dead.getIfPresent(destination);
    if (d != null && now.isBefore(d.until())) {
      return nCopies(rcpts.size(), Outcomes.suspended(destination, d.reason()));
    }
    if (s.smtpAgent() == null) {
      return nCopies(
          rcpts.size(),
          new Outcome.Deferred("none", "4.3.5", "no SMTP delivery is configured", false));
    }
    List<Outcome> outcomes =
        withPermits(destination, () -> s.smtpAgent().deliver(m, rcpts, smtp, content));
    for (Outcome o : outcomes) {
      if (o instanceof Outcome.Deferred def && def.siteWide()) {
        dead.put(
            destination, new DeadDestination(now.plus(s.retry().firstRetry()), def.diagnostic()));
        break;
      }
    }
    return outcomes;
  }

  private interface Attempt {
    List<Outcome> run();
  }

  private List<Outcome> withPermits(String destination, Attempt attempt) {
    Semaphore dest = perDestination.get(destination);
    try {
      global.acquire();
      try {
        dest.acquire();
        try {
          return attempt.run();
        } finally {
          dest.release();
        }
      } finally {
        global.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to deliver", e);
    }
  }

  private static List<Outcome> nCopies(int n, Outcome o) {
    return java.util.Collections.nCopies(n, o);
  }

  private static RecipientState apply(RecipientState r, Outcome o, Instant now) {
    Status status =
        switch (o) {
          case Outcome.Delivered x -> Status.DELIVERED;
          case Outcome.Deferred x -> Status.DEFERRED;
          case Outcome.Failed x -> Status.FAILED;
        };
    return r.after(status, o.diagnostic(), o.dsnCode(), o.relay(), now);
  }

  /** One line per recipient and attempt, as Postfix logs it. */
  private void logAttempt(QueuedMessage m, Recipient r, Outcome o, Instant now, Duration took) {
    // Arrival to the start of this run. A message queued while the run was under way arrived
    // after the run's "now": its delay is zero, never negative.
    Duration delay = Duration.between(m.arrivedAt(), now);
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    MtaEvent.Status status =
        switch (o) {
          case Outcome.Delivered x -> MtaEvent.Status.DELIVERED;
          case Outcome.Deferred x -> MtaEvent.Status.DEFERRED;
          case Outcome.Failed x -> MtaEvent.Status.BOUNCED;
        };
    String word =
        switch (status) {
          case DELIVERED -> "sent";
          case DEFERRED -> "deferred";
          case BOUNCED -> "bounced";
        };
    log.info(
        "{}: to=<{}>, relay={}, delay={}, dsn={}, status={} ({})",
        m.id(),
        r.address(),
        o.relay(),
        String.format("%.2f", delay.toMillis() / 1000.0),
        o.dsnCode(),
        word,
        o.diagnostic());
    emit(
        new MtaEvent.Attempt(
            now,
            m.id(),
            r.address(),
            o.relay(),
            delay,
            o.dsnCode(),
            status,
            o.diagnostic(),
            took.isNegative() ? Duration.ZERO : took));
  }

  // ---- bounces and delay notices (RFC 3464), through intake with the null sender

  private void sendReports(
      QueuedMessage m, List<RecipientState> before, List<RecipientState> after, Instant now) {
    if (m.reversePath().isEmpty()) {
      return; // never bounce a bounce (RFC 5321 §4.5.5)
    }
    List<RecipientState> failed = new ArrayList<>();
    List<RecipientState> succeeded = new ArrayList<>();
    List<Integer> delayedIdx = new ArrayList<>();
    boolean warn =
        s.retry().delayWarningEnabled()
            && !now.isBefore(m.arrivedAt().plus(s.retry().delayWarning()));
    for (int i = 0; i < after.size(); i++) {
      RecipientState b = before.get(i);
      RecipientState a = after.get(i);
      var notify = a.recipient().dsnNotify();
      if (a.status() == Status.DELIVERED
          && b.status() != Status.DELIVERED
          && notify.contains(Recipient.Notify.SUCCESS)
          && a.relay().equals(Outcomes.LOCAL)) {
        // RFC 3461 §5.2.2: final delivery here, and the sender asked to hear of it. (Mail
        // relayed over SMTP carries NOTIFY on to a DSN-capable next hop instead.)
        succeeded.add(a);
      } else if (a.status() == Status.FAILED && b.status() != Status.FAILED) {
        if (notify.isEmpty() || notify.contains(Recipient.Notify.FAILURE)) {
          failed.add(a);
        }
      } else if (warn && a.status() == Status.DEFERRED && !a.delayNotified()) {
        if (notify.isEmpty() || notify.contains(Recipient.Notify.DELAY)) {
          delayedIdx.add(i);
        }
      }
    }
    if (!failed.isEmpty()) {
      report(m, failed, DeliveryReport.Action.FAILED, now);
    }
    if (!succeeded.isEmpty()) {
      report(m, succeeded, DeliveryReport.Action.DELIVERED, now);
    }
    if (!delayedIdx.isEmpty()) {
      List<RecipientState> delayed = delayedIdx.stream().map(after::get).toList();
      if (report(m, delayed, DeliveryReport.Action.DELAYED, now)) {
        for (int i : delayedIdx) {
          after.set(i, after.get(i).withDelayNotified());
        }
      }
    }
  }

  private boolean report(
      QueuedMessage m, List<RecipientState> recipients, DeliveryReport.Action action, Instant now) {
    try {
      boolean full =
          action == DeliveryReport.Action.FAILED
              && m.parameters().ret() != MailParameters.Ret.HDRS
              && m.size() <= DeliveryReport.FULL_MESSAGE_LIMIT;
      byte[] original;
      try (InputStream in = s.store().openContent(m.id())) {
        original = full ? in.readAllBytes() : headerBlock(in);
      }
      byte[] dsn =
          DeliveryReport.build(
              s.hostname(),
              m,
              recipients,
              action,
              original,
              full,
              now,
              action == DeliveryReport.Action.DELAYED
                  ? m.arrivedAt().plus(s.retry().maxLifetime())
                  : null,
              s.clock().getZone());
      String id = intake.newId();
      intake.accept(
          id,
          "",
          List.of(Recipient.of(m.reversePath())),
          new MailParameters(
              MailParameters.Body.EIGHT_BIT_MIME, -1, m.parameters().smtpUtf8(), null, null, null),
          dsn.length,
          () -> new java.io.ByteArrayInputStream(dsn));
      log.info(
          "{}: sender {} notification: {}",
          m.id(),
          action.name().toLowerCase(java.util.Locale.ROOT),
          id);
      emit(new MtaEvent.Bounced(now, m.id(), id, action.name().toLowerCase(java.util.Locale.ROOT)));
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn("{}: could not queue the {} report: {}", m.id(), action, e.toString());
      return false;
    }
  }

  /** The header block of a message (up to the empty line), at most 64 KiB. */
  private static byte[] headerBlock(InputStream in) throws IOException {
    byte[] buf = in.readNBytes(64 * 1024);
    for (int i = 0; i + 3 < buf.length; i++) {
      if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
        return java.util.Arrays.copyOf(buf, i + 2);
      }
    }
    return buf;
  }

  private void emit(MtaEvent event) {
    for (MtaEventListener l : s.listeners()) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("event listener {} failed: {}", l.getClass().getName(), e.toString());
      }
    }
  }

  /** Stops the background loop, letting a running pass finish for up to {@code grace}. */
  public void close(Duration grace) {
    Thread t;
    synchronized (this) {
      running = false;
      t = loop;
    }
    signal();
    if (t != null) {
      try {
        t.join(grace.toMillis() + 1);
        if (t.isAlive()) {
          t.interrupt();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (s.smtpAgent() != null) {
      s.smtpAgent().close();
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }
}
