package org.mta4j.routing;

import org.mta4j.smtp.Recipient;

/**
 * Decides the route of each recipient (Postfix's {@code trivial-rewrite}). The default router sends
 * local domains to the local delivery hook, then consults the transport map, then the smarthost if
 * one is set (a null client), and otherwise MX. Implementations must be thread-safe and quick: they
 * are called once per recipient per attempt.
 */
@FunctionalInterface
public interface Router {

  /** The route for one recipient. */
  Route route(Recipient recipient);
}
