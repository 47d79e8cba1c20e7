package org.mta4j.routing;

import java.util.Objects;
import java.util.regex.Pattern;

/** The RFC 3463 enhanced status codes routing answers with, named in one place. */
final class MxStatus {

  /** X.1.2: the domain does not exist, or has neither MX nor address records. */
  static final String NO_SUCH_DOMAIN = "5.1.2";

  /** X.1.3: a domain literal that is not a valid address. */
  static final String BAD_DOMAIN_LITERAL = "5.1.3";

  /** X.1.10: the domain publishes a null MX (RFC 7505 §4.2, RFC 7504). */
  static final String NULL_MX = "5.1.10";

  /**
   * X.4.4: MX records exist but no MX host has an address, as Postfix's {@code smtp} bounces "Host
   * or domain name not found" with 5.4.4 ({@code smtp_addr.c}).
   */
  static final String NO_MX_HOST_ADDRESS = "5.4.4";

  /** X.4.3: DNS failed for now (SERVFAIL, REFUSED, timeout), as Postfix defers with 4.4.3. */
  static final String DNS_FAILURE = "4.4.3";

  private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

  private MxStatus() {}

  /** Checks that {@code enhancedStatus} is an RFC 3463 code of class {@code expectedClass}. */
  static void check(char expectedClass, String enhancedStatus) {
    Objects.requireNonNull(enhancedStatus, "enhancedStatus");
    if (!ENHANCED.matcher(enhancedStatus).matches() || enhancedStatus.charAt(0) != expectedClass) {
      throw new IllegalArgumentException(
          "enhancedStatus must be " + expectedClass + ".x.x: " + enhancedStatus);
    }
  }
}
