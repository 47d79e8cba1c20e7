/**
 * The SMTP server's public seams: the envelope and session values, policy hooks ({@link
 * org.mta4j.server.SmtpPolicy}) with their typed {@link org.mta4j.server.Decision}s, the {@link
 * org.mta4j.server.MessageHandler} and the {@link org.mta4j.server.Authenticator}.
 *
 * <p>First stage of the pipeline. Implements RFC 5321 (SMTP), RFC 1870 (SIZE), RFC 2034 and RFC
 * 3463 (enhanced status codes), RFC 2920 (PIPELINING), RFC 3030 (CHUNKING), RFC 3207 (STARTTLS),
 * RFC 3461 (DSN parameters), RFC 4954 (AUTH), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 8314
 * (implicit TLS) and the HAProxy PROXY protocol.
 */
package org.mta4j.server;
