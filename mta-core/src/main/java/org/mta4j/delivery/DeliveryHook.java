package org.mta4j.delivery;

import java.io.IOException;

/**
 * The application's local delivery: it receives the mail for local domains from the queue.
 *
 * <p>Returning normally means every recipient in the delivery is delivered. Throwing {@link
 * PermanentDeliveryException} fails them (they bounce); any other exception defers them, and the
 * queue retries later: a throw is never a loss. Called on virtual threads, concurrently.
 */
@FunctionalInterface
public interface DeliveryHook {

  /** Delivers one message to the recipients in {@code delivery}. */
  void deliver(LocalDelivery delivery) throws IOException;
}
