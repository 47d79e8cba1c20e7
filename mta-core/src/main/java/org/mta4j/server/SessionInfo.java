package org.mta4j.server;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A snapshot of one SMTP session as policies and the message handler see it.
 *
 * <p>The client address is the real client's: when the listener honours the PROXY protocol and the
 * connection came from a trusted proxy, it is the address the proxy reported, and {@code proxy}
 * holds the proxy's own address.
 *
 * @param sessionId a short id unique within this JVM, also used in log lines
 * @param client the client's address
 * @param server the local address the client connected to
 * @param proxy the address of the PROXY-protocol proxy, or {@code null} for a direct connection
 * @param heloName the name given in EHLO/HELO, or {@code null} before it
 * @param esmtp true after EHLO, false after HELO or before either
 * @param tls the TLS state, or {@code null} while the session is in plain text
 * @param authIdentity the SMTP AUTH identity (RFC 4954), or {@code null} when not authenticated
 */
public record SessionInfo(
    String sessionId,
    InetSocketAddress client,
    InetSocketAddress server,
    InetSocketAddress proxy,
    String heloName,
    boolean esmtp,
    TlsInfo tls,
    String authIdentity) {

  public SessionInfo {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(server, "server");
  }

  /** True once TLS is up. */
  public boolean isTls() {
    return tls != null;
  }

  /** True once the client has authenticated. */
  public boolean isAuthenticated() {
    return authIdentity != null;
  }
}
