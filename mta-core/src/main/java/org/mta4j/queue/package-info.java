/**
 * The queue SPI ({@link org.mta4j.queue.QueueStore}) and its values, and the in-memory store.
 *
 * <p>Between intake (the only writer) and the scheduler. A message is durable in the store before
 * the SMTP server answers 250 or {@code submit()} returns.
 */
package org.mta4j.queue;
