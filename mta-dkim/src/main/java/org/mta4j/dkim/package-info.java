/**
 * DKIM (RFC 6376) with RSA and Ed25519 (RFC 8463): {@link org.mta4j.dkim.DkimSigner} signs mail in
 * intake, as a {@link org.mta4j.intake.ContentStep} that runs before the message is queued, and
 * {@link org.mta4j.dkim.DkimVerifier} checks the signatures of received mail and writes the {@code
 * Authentication-Results} header field (RFC 8601). {@link org.mta4j.dkim.DkimKeys} makes keys and
 * the DNS records that publish them.
 */
package org.mta4j.dkim;
