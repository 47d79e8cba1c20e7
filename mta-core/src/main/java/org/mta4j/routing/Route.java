package org.mta4j.routing;

import java.util.Objects;
import org.mta4j.client.TlsPolicy;

/** Where a recipient's mail goes: to the application (local delivery) or over SMTP. */
public sealed interface Route permits Route.Local, Route.Smtp {

  /** Delivered in-process by the local delivery hook (and/or Maildir). */
  record Local() implements Route {}

  /**
   * Delivered over SMTP.
   *
   * @param host the next hop: a domain whose MX records are looked up when {@code mxLookup}, else a
   *     host name or IP literal connected to directly (Postfix's {@code [host]:port})
   * @param port the port; for MX routes the port used toward every MX host (25 in production)
   * @param mxLookup true to look up MX records of {@code host}
   * @param tls the STARTTLS policy toward this next hop
   * @param implicitTls true to start TLS at connect (RFC 8314, port 465)
   * @param username AUTH user for a smarthost, or null
   * @param password AUTH password, or null; never printed by {@link #toString()}
   */
  record Smtp(
      String host,
      int port,
      boolean mxLookup,
      TlsPolicy tls,
      boolean implicitTls,
      String username,
      String password)
      implements Route {

    public Smtp {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(tls, "tls");
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535: " + port);
      }
      if ((username == null) != (password == null)) {
        throw new IllegalArgumentException("username and password go together");
      }
    }

    /** MX delivery to {@code domain} on port 25 with opportunistic TLS. */
    public static Smtp mx(String domain) {
      return new Smtp(domain, 25, true, TlsPolicy.OPPORTUNISTIC, false, null, null);
    }

    /**
     * A smarthost (Postfix's {@code relayhost = [host]:port}): no MX lookup, STARTTLS required, no
     * credentials. Refine with the {@code with*} methods.
     */
    public static Smtp relay(String host, int port) {
      return new Smtp(host, port, false, TlsPolicy.REQUIRED, false, null, null);
    }

    /** The same route with another TLS policy. */
    public Smtp withTls(TlsPolicy newTls) {
      return new Smtp(host, port, mxLookup, newTls, implicitTls, username, password);
    }

    /** The same route with TLS from the first byte (port 465). */
    public Smtp withImplicitTls() {
      return new Smtp(host, port, mxLookup, tls, true, username, password);
    }

    /** The same route with AUTH credentials. */
    public Smtp withCredentials(String newUsername, String newPassword) {
      return new Smtp(
          host,
          port,
          mxLookup,
          tls,
          implicitTls,
          java.util.Objects.requireNonNull(newUsername, "username"),
          java.util.Objects.requireNonNull(newPassword, "password"));
    }

    /** The same route through another port (tests map MX delivery to a loopback port). */
    public Smtp withPort(int newPort) {
      return new Smtp(host, newPort, mxLookup, tls, implicitTls, username, password);
    }

    /**
     * The destination key for concurrency and backoff: {@code host:port} or {@code [host]:port}.
     */
    public String destination() {
      return (mxLookup ? host : "[" + host + "]") + ":" + port;
    }

    @Override
    public String toString() {
      return "Smtp["
          + destination()
          + ", tls="
          + tls
          + (implicitTls ? ", implicit TLS" : "")
          + (username != null ? ", user=" + username : "")
          + "]";
    }
  }
}
