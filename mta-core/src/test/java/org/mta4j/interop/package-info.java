/**
 * Interoperability tests: the server against the real clients users send with, each run as it is
 * installed (swaks, Postfix's smtp-source, Python's smtplib, Angus Mail) and checked on both sides,
 * the client's exit code or replies and the bytes the message handler was given. Byte-exact probes
 * no library client sends (BDAT chunk boundaries, bare line endings) use {@link
 * org.mta4j.interop.RawSmtpClient}.
 *
 * <p>Peers are found through {@link org.mta4j.testing.Peers}: a missing one skips the test, or
 * fails it when {@code MTA4J_REQUIRE_PEERS=1}. Everything listens and connects on loopback only.
 */
package org.mta4j.interop;
