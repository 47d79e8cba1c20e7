/**
 * The SMTP client of the delivery stage (Postfix's {@code smtp}): it sits after routing, takes a
 * message and a chosen server, and returns the server's replies as values for the classifier that
 * decides delivered, deferred or bounced.
 *
 * <p>Entry point: {@link org.mta4j.client.SmtpClient}, whose {@code connect} gives an {@link
 * org.mta4j.client.SmtpConnection} (or a {@link org.mta4j.client.SessionFailure}); each {@code
 * send} gives a {@link org.mta4j.client.TransactionResult}. Implements RFC 5321 (EHLO/HELO,
 * timeouts of §4.5.3.2, dot-stuffing of §4.5.2), PIPELINING (RFC 2920), STARTTLS (RFC 3207) per
 * {@link org.mta4j.client.TlsPolicy} and implicit TLS (RFC 8314), AUTH PLAIN and LOGIN (RFC 4954,
 * RFC 4616), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), CHUNKING and BINARYMIME
 * (RFC 3030), DSN parameters (RFC 3461) and enhanced status codes (RFC 3463, RFC 2034); several
 * recipients per transaction and several transactions per connection.
 */
package org.mta4j.client;
