package org.mta4j.client;

import java.io.IOException;

/**
 * Reading the message content failed (an I/O error, or a runtime exception from the caller's
 * stream): a local problem, kept apart from the socket's I/O errors so it is not blamed on the
 * server. Becomes {@link TransactionResult.LocalFailure.Reason#CONTENT_UNREADABLE}.
 */
final class ContentReadException extends IOException {
  ContentReadException(Exception cause) {
    super(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
  }
}
