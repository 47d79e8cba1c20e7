package org.mta4j.client;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One SMTP server to deliver to, and how: its address, the name to verify its certificate against,
 * the TLS policy and optional credentials. Immutable.
 *
 * <pre>{@code
 * SmtpTarget mx = SmtpTarget.of(new InetSocketAddress(ip, 25), "mx1.example.org",
 *     TlsPolicy.OPPORTUNISTIC);
 * SmtpTarget relay = SmtpTarget.of(new InetSocketAddress(ip, 587), "smtp.provider.example",
 *         TlsPolicy.REQUIRED_VERIFIED)
 *     .withCredentials(new Credentials("user", "secret"));
 * }</pre>
 *
 * @param address the resolved IP address and port
 * @param hostName the server's name: sent as TLS SNI, checked against its certificate under {@link
 *     TlsPolicy#REQUIRED_VERIFIED}, and shown in logs and local failure texts (an MX host name, or
 *     the IP literal when there is none)
 * @param tls how to use STARTTLS (or implicit TLS)
 * @param implicitTls true to start TLS as soon as the TCP connection is up (port 465, RFC 8314
 *     §3.3) instead of STARTTLS; needs a policy other than {@link TlsPolicy#NONE}
 * @param credentials AUTH credentials, or {@code null} to not authenticate
 * @param allowPlaintextAuth true to send the credentials even over an unencrypted connection; false
 *     (the usual) refuses, as a {@link SessionFailure.Unmet} at {@link Stage#AUTH}
 */
public record SmtpTarget(
    InetSocketAddress address,
    String hostName,
    TlsPolicy tls,
    boolean implicitTls,
    Credentials credentials,
    boolean allowPlaintextAuth) {

  public SmtpTarget {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(hostName, "hostName");
    Objects.requireNonNull(tls, "tls");
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("address must be resolved: " + address);
    }
    if (hostName.isBlank() || !hostName.strip().equals(hostName)) {
      throw new IllegalArgumentException("hostName must be a host name or IP literal: " + hostName);
    }
    if (implicitTls && tls == TlsPolicy.NONE) {
      throw new IllegalArgumentException("implicitTls needs a TLS policy other than NONE");
    }
  }

  /** A target without implicit TLS or credentials. */
  public static SmtpTarget of(InetSocketAddress address, String hostName, TlsPolicy tls) {
    return new SmtpTarget(address, hostName, tls, false, null, false);
  }

  /** This target with AUTH credentials. */
  public SmtpTarget withCredentials(Credentials credentials) {
    Objects.requireNonNull(credentials, "credentials");
    return new SmtpTarget(address, hostName, tls, implicitTls, credentials, allowPlaintextAuth);
  }

  /** This target over implicit TLS (submissions port 465). */
  public SmtpTarget withImplicitTls() {
    return new SmtpTarget(address, hostName, tls, true, credentials, allowPlaintextAuth);
  }

  /** This target, allowed to authenticate without TLS (test rigs, loopback relays only). */
  public SmtpTarget withPlaintextAuthAllowed() {
    return new SmtpTarget(address, hostName, tls, implicitTls, credentials, true);
  }

  /** {@code host[ip]:port}, as Postfix names a relay in its logs. */
  public String describe() {
    return hostName + "[" + address.getAddress().getHostAddress() + "]:" + address.getPort();
  }
}
