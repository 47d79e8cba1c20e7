package org.mta4j.delivery;

import java.io.IOException;

/**
 * Thrown by a {@link DeliveryHook} when delivery can never succeed (no such mailbox): the
 * recipients fail and bounce with {@link #dsnCode()} ({@code 5.1.1} by default).
 */
public class PermanentDeliveryException extends IOException {
  private final String dsnCode;

  public PermanentDeliveryException(String message) {
    this(message, "5.1.1");
  }

  public PermanentDeliveryException(String message, String dsnCode) {
    super(message);
    if (dsnCode == null || !dsnCode.matches("5\\.\\d{1,3}\\.\\d{1,3}")) {
      throw new IllegalArgumentException("dsnCode must be 5.x.y: " + dsnCode);
    }
    this.dsnCode = dsnCode;
  }

  /** The RFC 3463 status for the bounce. */
  public String dsnCode() {
    return dsnCode;
  }
}
