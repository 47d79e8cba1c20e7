package org.mta4j.routing;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One mail exchanger to try, with its addresses.
 *
 * <p>The addresses are in the order DNS gave them, IPv4 (A) before IPv6 (AAAA); RFC 5321 §5.1 asks
 * for no reordering within a host, and choosing between the families is the delivery agent's
 * business. Immutable.
 *
 * @param name the host name without the final dot; for the implicit MX the domain itself, for a
 *     domain literal the literal as written ({@code [192.0.2.1]}, {@code [IPv6:2001:db8::1]})
 * @param preference the MX preference, 0..65535; 0 for the implicit MX and domain literals
 * @param addresses at least one address
 */
public record MxHost(String name, int preference, List<InetAddress> addresses) {

  public MxHost {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name must not be empty");
    }
    if (preference < 0 || preference > 65535) {
      throw new IllegalArgumentException("preference must be 0..65535: " + preference);
    }
    addresses = List.copyOf(addresses);
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("addresses must not be empty for " + name);
    }
  }
}
