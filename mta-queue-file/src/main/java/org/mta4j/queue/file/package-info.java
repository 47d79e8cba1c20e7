/**
 * A durable {@link org.mta4j.queue.QueueStore} in a directory: {@link
 * org.mta4j.queue.file.FileQueueStore}.
 *
 * <p>Sits where Postfix's queue directories sit: between intake (the only writer) and the
 * scheduler. A message is on stable storage (written, fsynced, renamed into place, directory
 * fsynced) before {@code enqueue} returns, so before the SMTP server's {@code 250} (RFC 5321 §6.1:
 * with the 250 the server takes responsibility for the message, and must not lose it because the
 * host later crashes). Concurrent enqueues share directory fsyncs (group commit). The on-disk
 * format and the recovery rules are in the module's README.
 */
package org.mta4j.queue.file;
