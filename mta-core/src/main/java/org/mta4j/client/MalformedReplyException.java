package org.mta4j.client;

import java.io.IOException;

/**
 * The server sent something that is not an SMTP reply; becomes a {@link
 * SessionFailure.ProtocolViolation}.
 */
final class MalformedReplyException extends IOException {
  MalformedReplyException(String message) {
    super(message);
  }
}
