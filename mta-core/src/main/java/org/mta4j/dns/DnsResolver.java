package org.mta4j.dns;

import java.net.InetAddress;

/**
 * The DNS lookups an MTA needs: MX for routing (RFC 5321 §5.1), A/AAAA for hosts, TXT for SPF, DKIM
 * and DMARC.
 *
 * <p>Answers are values, not exceptions: {@link DnsAnswer.Records}, {@link DnsAnswer.NoRecords}
 * (the name exists but has no record of that type: NODATA), {@link DnsAnswer.NoSuchDomain}
 * (NXDOMAIN) and {@link DnsAnswer.Failure} (SERVFAIL, REFUSED, timeout: try again later).
 * Implementations must be thread-safe; calls may block and are made from virtual threads.
 *
 * <p>Names are host or domain names, with or without the final dot, matched case-insensitively. A
 * {@code null} name is a {@link NullPointerException} and an empty one an {@link
 * IllegalArgumentException}; every other problem is an answer. The default implementation is {@link
 * DnsjavaResolver}; {@code org.mta4j.testing.FakeDnsResolver} in the test jar answers from maps.
 */
public interface DnsResolver {

  /** The MX records of {@code domain}, in the order the server gave them. */
  DnsAnswer<MxRecord> mx(String domain);

  /** The IPv4 and IPv6 addresses of {@code host} (A and AAAA, CNAMEs followed). */
  DnsAnswer<InetAddress> addresses(String host);

  /** The TXT records of {@code name}, each the concatenation of its character-strings. */
  DnsAnswer<String> txt(String name);
}
