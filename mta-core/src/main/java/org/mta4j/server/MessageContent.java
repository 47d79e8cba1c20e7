package org.mta4j.server;

import java.io.IOException;
import java.io.InputStream;

/**
 * The content of a received message: the RFC 5322 bytes with CRLF line endings, dot-unstuffed, with
 * the server's {@code Received:} header first.
 *
 * <p>Content can be read several times; each {@link #open()} starts at the first byte. It is valid
 * until the handler that was given it returns. Small messages are held in memory, larger ones in a
 * temporary file, so a message never needs its whole size in heap.
 */
public interface MessageContent {

  /** The size in bytes. */
  long size();

  /** A new stream over the content, from the start. */
  InputStream open() throws IOException;

  /** The whole content as bytes; for small messages and tests. */
  default byte[] readAllBytes() throws IOException {
    try (InputStream in = open()) {
      return in.readAllBytes();
    }
  }
}
