/**
 * DKIM's machinery behind {@link org.mta4j.dkim}: reading a message's header as raw bytes and
 * streaming its body, canonicalization (RFC 6376 §3.4), tag lists (§3.2), the signing engine that
 * runs in intake before a message is queued (§5, RFC 8463) and the verifying engine (§6), keys (PEM
 * via Bouncy Castle, RFC 8463 §4's raw Ed25519 encoding). Not exported.
 */
package org.mta4j.dkim.internal;
