package org.mta4j.server;

import java.util.Objects;

/**
 * The TLS state of a session once STARTTLS (RFC 3207) or implicit TLS (RFC 8314) is up.
 *
 * @param protocol the negotiated protocol, e.g. {@code TLSv1.3}
 * @param cipherSuite the negotiated cipher suite, e.g. {@code TLS_AES_256_GCM_SHA384}
 */
public record TlsInfo(String protocol, String cipherSuite) {
  public TlsInfo {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(cipherSuite, "cipherSuite");
  }
}
