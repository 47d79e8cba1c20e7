/** Intake (Postfix's {@code cleanup}): the only writer to the queue. Not exported. */
package org.mta4j.intake.internal;
