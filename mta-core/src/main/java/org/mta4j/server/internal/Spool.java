package org.mta4j.server.internal;

import java.io.IOException;
import java.io.InputStream;
import org.mta4j.intake.internal.MessageTooBigException;

/**
 * A stream read once into heap (up to 1 MiB) or a temporary file, so that intake can read a
 * submitted message more than once. Refuses content over the size limit as it reads.
 */
public final class Spool implements AutoCloseable {
  private final ContentBuffer buffer;

  private Spool(ContentBuffer buffer) {
    this.buffer = buffer;
  }

  /** Reads {@code in} to its end (not closing it); over {@code limit} bytes is refused. */
  public static Spool of(InputStream in, long limit) throws IOException {
    ContentBuffer buffer = new ContentBuffer(1 << 20, null);
    try {
      byte[] chunk = new byte[16 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(chunk)) > 0) {
        total += n;
        if (total > limit) {
          throw new MessageTooBigException(total, limit);
        }
        buffer.write(chunk, 0, n);
      }
      buffer.finish();
      return new Spool(buffer);
    } catch (IOException | RuntimeException e) {
      buffer.close();
      throw e;
    }
  }

  public long size() {
    return buffer.size();
  }

  public InputStream open() throws IOException {
    return buffer.open();
  }

  @Override
  public void close() {
    buffer.close();
  }
}
