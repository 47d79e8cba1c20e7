package org.mta4j.server.internal;

import java.net.InetAddress;

/**
 * The closed-relay rule, checked at RCPT before any user policy (Postfix's {@code
 * permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination}).
 *
 * <p>A client in a trusted network or authenticated may send anywhere. Anyone else may send only to
 * a local domain, and only to a plain local part: an address whose local part still holds routing
 * syntax ({@code user%other@local}, {@code other!user@local}, {@code "user@other"@local}) is
 * refused, since a later hop could route it off-site (Postfix's {@code allow_untrusted_routing =
 * no}). Source routes ({@code @local:user@other}) were already dropped by the parser (RFC 5321 §C),
 * so the final domain is what counts. {@code <postmaster>} is always accepted (RFC 5321 §4.5.1).
 */
final class RelayControl {
  private RelayControl() {}

  static boolean mayRelay(
      ServerConfig config, MailPath recipient, InetAddress client, boolean authenticated) {
    if (authenticated || Cidr.anyContains(config.trustedNetworks(), client)) {
      return true;
    }
    if (recipient.domain().isEmpty()) {
      return recipient.localPart().equalsIgnoreCase("postmaster");
    }
    if (!config.localDomains().contains(recipient.domainLowerCase())) {
      return false;
    }
    String local = recipient.unquotedLocalPart();
    return local.indexOf('%') < 0 && local.indexOf('!') < 0 && local.indexOf('@') < 0;
  }
}
