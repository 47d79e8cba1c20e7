/**
 * DNS for routing and policies: the {@link org.mta4j.dns.DnsResolver} SPI and its answers.
 *
 * <p>Used by routing (MX, RFC 5321 §5.1; null MX, RFC 7505) and later by SPF, DKIM and DMARC.
 */
package org.mta4j.dns;
