package org.mta4j.server;

import java.util.List;
import java.util.Objects;

/**
 * One listening socket of the server.
 *
 * <pre>{@code
 * Listener.smtp("0.0.0.0", 25)                            // plain, STARTTLS offered if TLS is set
 * Listener.implicitTls("0.0.0.0", 465)                    // RFC 8314 implicit TLS
 * Listener.smtp("0.0.0.0", 2525).withProxyProtocolFrom("10.0.0.0/8")  // behind HAProxy / a k8s LB
 * }</pre>
 *
 * @param host the address to bind, a literal ({@code 0.0.0.0}, {@code ::}, {@code 127.0.0.1})
 * @param port the port; 0 binds an ephemeral port, readable from {@code Mta.boundPorts()}
 * @param implicitTls true for a listener where TLS starts at once (port-465 style)
 * @param proxyProtocolFrom networks (CIDR) whose connections must start with a PROXY protocol v1 or
 *     v2 header; connections from other addresses are taken as direct clients
 */
public record Listener(String host, int port, boolean implicitTls, List<String> proxyProtocolFrom) {

  public Listener {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535: " + port);
    }
    proxyProtocolFrom = List.copyOf(proxyProtocolFrom);
  }

  /** A plain SMTP listener (STARTTLS is offered when the server has TLS). */
  public static Listener smtp(String host, int port) {
    return new Listener(host, port, false, List.of());
  }

  /** An implicit-TLS listener (RFC 8314). */
  public static Listener implicitTls(String host, int port) {
    return new Listener(host, port, true, List.of());
  }

  /** The same listener, expecting a PROXY protocol header from the given networks. */
  public Listener withProxyProtocolFrom(String... networks) {
    return new Listener(host, port, implicitTls, List.of(networks));
  }
}
