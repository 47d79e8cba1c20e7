package org.mta4j.client;

/** How the SMTP client uses STARTTLS (RFC 3207) toward one destination. */
public enum TlsPolicy {
  /** Never start TLS. */
  NONE,
  /** Start TLS when the server offers it; fall back to plain text if it does not. The default. */
  OPPORTUNISTIC,
  /** Require TLS; any certificate is accepted (encryption against passive eavesdroppers). */
  REQUIRED,
  /** Require TLS with a certificate that verifies and matches the host name. */
  REQUIRED_VERIFIED
}
