/**
 * Routing, Postfix's {@code trivial-rewrite}: recipient → route, and for MX routes the list of
 * hosts to try.
 *
 * <p>Sits between the scheduler and delivery in the pipeline (see ARCHITECTURE.md). {@link
 * org.mta4j.routing.MxResolver} turns a domain into an {@link org.mta4j.routing.MxPlan}: MX hosts
 * in the order RFC 5321 §5.1 gives (preference, equal preferences shuffled), the implicit MX when
 * there is none, domain literals without DNS, and null MX (RFC 7505) as a permanent failure.
 */
package org.mta4j.routing;
