package org.mta4j.routing.internal;

import java.util.Map;
import java.util.Set;
import org.mta4j.routing.Route;
import org.mta4j.routing.Router;
import org.mta4j.smtp.Recipient;

/**
 * The default routes, in Postfix's order: local domains (and {@code <postmaster>}) to the local
 * hook, then the transport map by domain, then the smarthost if one is set, else MX.
 */
public final class DefaultRouter implements Router {
  private static final Route LOCAL = new Route.Local();
  private final Set<String> localDomains;
  private final Map<String, Route> transports;
  private final Route.Smtp smarthost;
  private final int mxPort;

  public DefaultRouter(
      Set<String> localDomains, Map<String, Route> transports, Route.Smtp smarthost, int mxPort) {
    this.localDomains = Set.copyOf(localDomains);
    this.transports = Map.copyOf(transports);
    this.smarthost = smarthost;
    this.mxPort = mxPort;
  }

  @Override
  public Route route(Recipient recipient) {
    String domain = recipient.domain();
    if (domain.isEmpty() || localDomains.contains(domain)) {
      return LOCAL;
    }
    Route t = transports.get(domain);
    if (t != null) {
      return t;
    }
    if (smarthost != null) {
      return smarthost;
    }
    return Route.Smtp.mx(domain).withPort(mxPort);
  }
}
