/**
 * The delivery stage's public seams: the local {@link org.mta4j.delivery.DeliveryHook}, a Maildir
 * writer, and the {@link org.mta4j.delivery.RetryPolicy} of the queue manager (Postfix's {@code
 * qmgr}, {@code local} and {@code smtp}).
 */
package org.mta4j.delivery;
