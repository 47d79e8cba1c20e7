package org.mta4j.dns;

import java.util.Objects;

/**
 * One MX record (RFC 1035 §3.3.9).
 *
 * @param preference lower is preferred
 * @param exchange the mail host, without a trailing dot; {@code ""} for the null MX "." (RFC 7505)
 */
public record MxRecord(int preference, String exchange) {
  public MxRecord {
    Objects.requireNonNull(exchange, "exchange");
    if (preference < 0 || preference > 65535) {
      throw new IllegalArgumentException("preference must be 0..65535: " + preference);
    }
  }

  /** True for the null MX {@code MX 0 .} of RFC 7505: the domain accepts no mail. */
  public boolean isNullMx() {
    return exchange.isEmpty();
  }
}
