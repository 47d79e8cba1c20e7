/**
 * The engine end to end: the path from accepted to delivered (queue, routing, DNS, SMTP client,
 * retries, bounces, events) through the whole {@link org.mta4j.Mta}, against real peers on
 * loopback: Knot DNS serving MX zones, aiosmtpd servers on several 127.0.0.x addresses and ::1
 * ({@link org.mta4j.engine.AiosmtpdFarm}), Postfix's smtp-sink with its fault flags, swaks as the
 * submitting client, and mta4j's own server with a policy as a precise fault injector.
 *
 * <p>Retries and expiry run on a {@link org.mta4j.testing.FakeClock} through {@code
 * Mta.deliverDue}; the tests that submit over SMTP start the MTA and wait with Awaitility. Bounces
 * to a local sender land in a {@link org.mta4j.engine.Mailbox} and are read back as RFC 3464
 * reports ({@link org.mta4j.engine.DeliveryStatusReport}). Peers are found through {@link
 * org.mta4j.testing.Peers}: a missing one skips the test, or fails it when {@code
 * MTA4J_REQUIRE_PEERS=1}.
 */
package org.mta4j.engine;
