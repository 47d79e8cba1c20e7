package org.mta4j.queue.file;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The content of one message file, read in place (never into the heap as a whole) and checked
 * against its CRC32C when read to the end: a damaged file fails with an {@link IOException} before
 * the last byte is handed out, so a delivery agent cannot finish sending a corrupt message (an SMTP
 * client never writes the final dot; a local hook sees the error).
 */
final class ContentStream extends InputStream {
  private final FileChannel channel;
  private final String id;
  private final long end;
  private final int expectedCrc;
  private final CRC32C crc = new CRC32C();
  private long position;
  private boolean checked;

  ContentStream(FileChannel channel, String id, QueueFiles.ContentExtent extent) {
    this.channel = channel;
    this.id = id;
    this.position = extent.offset();
    this.end = extent.offset() + extent.size();
    this.expectedCrc = extent.crc();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (position >= end) {
      verify();
      return -1;
    }
    int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
    if (n < 0) {
      throw new IOException("content of " + id + " ends early: the queue file was truncated");
    }
    crc.update(b, off, n);
    position += n;
    if (position == end) {
      verify(); // before the last chunk is handed out
    }
    return n;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, end - position);
  }

  private void verify() throws IOException {
    if (!checked && (int) crc.getValue() != expectedCrc) {
      throw new IOException("content of " + id + " fails its CRC32C: the queue file is damaged");
    }
    checked = true;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
