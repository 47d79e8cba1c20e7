package org.mta4j.intake.internal;

import java.io.IOException;

/** A message over the size limit; nothing was queued. */
public final class MessageTooBigException extends IOException {
  public MessageTooBigException(long size, long limit) {
    super("message size " + size + " exceeds the limit of " + limit + " bytes");
  }
}
