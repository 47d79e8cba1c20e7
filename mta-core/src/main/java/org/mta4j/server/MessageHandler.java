package org.mta4j.server;

import java.io.IOException;

/**
 * Receives each message the server accepts. Its decision becomes the reply to the end of data:
 * {@link Decision#accept()} gives {@code 250 2.0.0 Ok: queued as <id>}, a reject or temp-fail gives
 * its reply, and a throw gives {@code 451 4.3.0} (the session goes on, the client retries).
 *
 * <p>Called on the session's virtual thread; it may block. It is called concurrently for different
 * sessions, so it must be thread-safe. The content is valid only until the call returns.
 */
@FunctionalInterface
public interface MessageHandler {

  /** Takes one message; see the interface comment for how the decision becomes a reply. */
  Decision handle(Envelope envelope, MessageContent content) throws IOException;
}
