package org.mta4j.queue.file;

import java.io.IOException;

/** A queue file that is not what the format says: torn, truncated or damaged. Recovery moves it. */
final class CorruptFileException extends IOException {
  CorruptFileException(String message) {
    super(message);
  }
}
