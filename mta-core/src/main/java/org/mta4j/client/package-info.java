/**
 * The SMTP client of the delivery stage (Postfix's {@code smtp}): EHLO, PIPELINING (RFC 2920),
 * STARTTLS per {@link org.mta4j.client.TlsPolicy}, AUTH (RFC 4954), SIZE (RFC 1870), 8BITMIME and
 * SMTPUTF8 awareness, CHUNKING (RFC 3030), several recipients per transaction and connection reuse.
 */
package org.mta4j.client;
