package org.mta4j.queue;

import java.io.IOException;

/**
 * A queue store could not do what was asked. {@link #isInsufficientStorage()} tells intake whether
 * the client should retry ({@code 451 4.3.0}) or whether the store is out of space ({@code 452
 * 4.3.1}).
 */
public class QueueStoreException extends IOException {
  private final boolean insufficientStorage;

  public QueueStoreException(String message, Throwable cause) {
    this(message, cause, false);
  }

  public QueueStoreException(String message, Throwable cause, boolean insufficientStorage) {
    super(message, cause);
    this.insufficientStorage = insufficientStorage;
  }

  /** True when the store is full or read-only (disk full, quota). */
  public boolean isInsufficientStorage() {
    return insufficientStorage;
  }
}
