package org.mta4j.spring;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueState;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code mtaqueue} Actuator endpoint: the {@code mailq} and {@code postsuper} of a Boot app.
 *
 * <pre>
 * GET    /actuator/mtaqueue?state=deferred&amp;domain=example.org&amp;limit=100   list
 * GET    /actuator/mtaqueue/{id}                                     show (404 if none)
 * POST   /actuator/mtaqueue/{id}  {"action": "hold|release|requeue"}
 * DELETE /actuator/mtaqueue/{id}                                     delete, no bounce
 * POST   /actuator/mtaqueue       {}                                 flush: deferred mail due now
 * </pre>
 *
 * <p>Like every Actuator endpoint it is exposed over HTTP only when listed in {@code
 * management.endpoints.web.exposure.include}; secure it as the other write endpoints.
 */
@Endpoint(id = "mtaqueue")
public class MtaQueueEndpoint {

  /** Most messages one list returns when no limit is given. */
  public static final int DEFAULT_LIMIT = 100;

  private final QueueStore store;
  private final Clock clock;

  public MtaQueueEndpoint(QueueStore store, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Messages oldest first, optionally by state (incoming, active, deferred, hold) and domain. */
  @ReadOperation
  public QueueListing list(@Nullable String state, @Nullable String domain, @Nullable Integer limit)
      throws IOException {
    Set<QueueState> states = EnumSet.noneOf(QueueState.class);
    if (state != null && !state.isBlank()) {
      for (String s : state.split(",")) {
        try {
          states.add(QueueState.valueOf(s.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new InvalidEndpointRequestException(
              "state must be incoming, active, deferred or hold: " + s, "bad state");
        }
      }
    }
    int max = limit == null ? DEFAULT_LIMIT : limit;
    if (max <= 0 || max > 10_000) {
      throw new InvalidEndpointRequestException("limit must be 1..10000: " + max, "bad limit");
    }
    Instant now = clock.instant();
    List<MessageView> messages =
        store.list(new QueueFilter(states, blankToNull(domain), null, now, max)).stream()
            .map(m -> MessageView.of(m, now))
            .toList();
    return new QueueListing(messages.size(), messages);
  }

  /** One message with its recipients; null (HTTP 404) if there is none with this id. */
  @ReadOperation
  public @Nullable MessageView show(@Selector String id) throws IOException {
    Instant now = clock.instant();
    return store.show(id).map(m -> MessageView.of(m, now)).orElse(null);
  }

  /** Holds, releases or requeues one message. */
  @WriteOperation
  public ActionResult act(@Selector String id, String action) throws IOException {
    boolean done =
        switch (action == null ? "" : action.toLowerCase(Locale.ROOT)) {
          case "hold" -> store.hold(id);
          case "release" -> store.release(id);
          case "requeue" -> store.requeue(id, clock.instant());
          default ->
              throw new InvalidEndpointRequestException(
                  "action must be hold, release or requeue: " + action, "bad action");
        };
    return new ActionResult(id, action.toLowerCase(Locale.ROOT), done);
  }

  /** Deletes one message without delivering or bouncing it. */
  @DeleteOperation
  public ActionResult delete(@Selector String id) throws IOException {
    return new ActionResult(id, "delete", store.delete(id));
  }

  /** Makes every deferred message due now (Postfix's {@code postqueue -f}). */
  @WriteOperation
  public FlushResult flush() throws IOException {
    return new FlushResult(store.flush(clock.instant()));
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** A list of messages. */
  public record QueueListing(int count, List<MessageView> messages) {}

  /** One queued message as the endpoint shows it. */
  public record MessageView(
      String id,
      String state,
      String sender,
      String arrivedAt,
      String nextAttemptAt,
      int attempts,
      long size,
      List<RecipientView> recipients) {

    static MessageView of(QueuedMessage m, Instant now) {
      return new MessageView(
          m.id(),
          m.state(now).name().toLowerCase(Locale.ROOT),
          m.reversePath(),
          m.arrivedAt().toString(),
          m.nextAttemptAt().toString(),
          m.attempts(),
          m.size(),
          m.recipients().stream().map(RecipientView::of).toList());
    }
  }

  /** One recipient of a queued message. */
  public record RecipientView(
      String address, String status, String dsn, String relay, String diagnostic) {

    static RecipientView of(RecipientState r) {
      return new RecipientView(
          r.recipient().address(),
          r.status().name().toLowerCase(Locale.ROOT),
          r.dsnCode(),
          r.relay(),
          r.diagnostic());
    }
  }

  /** What an action did: {@code done} is false when there was no such message (or no change). */
  public record ActionResult(String id, String action, boolean done) {}

  /** How many deferred messages a flush made due. */
  public record FlushResult(int flushed) {}
}
