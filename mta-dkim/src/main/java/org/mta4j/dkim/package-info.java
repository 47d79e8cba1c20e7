/**
 * DKIM signing and verification (RFC 6376, RFC 8463).
 *
 * <p>Not built yet: see the project's issues. The module exists so that the reactor has the shape
 * of the design card from the first commit.
 */
package org.mta4j.dkim;
