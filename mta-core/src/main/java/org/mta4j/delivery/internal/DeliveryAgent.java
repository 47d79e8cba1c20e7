package org.mta4j.delivery.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.routing.Route;
import org.mta4j.smtp.Recipient;

/** Delivers one message to some of its recipients over one route (Postfix's delivery agents). */
interface DeliveryAgent {

  /** Re-opens the queued content. */
  @FunctionalInterface
  interface Content {
    InputStream open() throws IOException;
  }

  /** One outcome per recipient, in the order given. Never throws: failures are outcomes. */
  List<Outcome> deliver(
      QueuedMessage message, List<Recipient> recipients, Route route, Content content);
}
