/**
 * Intake's public seam: {@link org.mta4j.intake.ContentStep}s that see each message once before it
 * is queued (DKIM signing plugs in here). Intake itself (Postfix's {@code cleanup}) is internal.
 */
package org.mta4j.intake;
