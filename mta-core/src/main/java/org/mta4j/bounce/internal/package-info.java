/** Delivery status notifications (Postfix's {@code bounce}): RFC 3464 reports. Not exported. */
package org.mta4j.bounce.internal;
