package org.mta4j.delivery.internal;

import java.util.Collections;
import java.util.List;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.delivery.LocalDelivery;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.routing.Route;
import org.mta4j.smtp.Recipient;

/**
 * Hands local mail to the application's hook (Postfix's {@code local}); a throw never loses mail.
 */
final class LocalAgent implements DeliveryAgent {
  private final DeliveryHook hook;

  LocalAgent(DeliveryHook hook) {
    this.hook = hook;
  }

  @Override
  public List<Outcome> deliver(
      QueuedMessage message, List<Recipient> recipients, Route route, Content content) {
    Outcome outcome;
    if (hook == null) {
      outcome = Outcomes.localNotConfigured();
    } else {
      try {
        hook.deliver(
            new LocalDelivery(
                message.id(),
                message.reversePath(),
                recipients,
                message.parameters(),
                message.arrivedAt(),
                content::open));
        outcome = Outcomes.localDelivered();
      } catch (Exception e) {
        outcome = Outcomes.localFailure(e);
      }
    }
    return Collections.nCopies(recipients.size(), outcome);
  }
}
