/**
 * A durable file queue: fsync before acknowledgement, group commit, crash recovery.
 *
 * <p>Not built yet: see the project's issues. The module exists so that the reactor has the shape of
 * the design card from the first commit.
 */
package org.mta4j.queue.file;
