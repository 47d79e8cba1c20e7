package org.mta4j.queue.jdbc.internal;

import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A message's content read back chunk by chunk, each chunk with a connection of its own, so at most
 * one chunk (256 KiB) is in memory and no connection is held while the caller reads. A message
 * deleted while it is being read ends in an {@link IOException}, never in silently short content.
 */
public final class ChunkedContent extends InputStream {
  private final DataSource dataSource;
  private final String sql;
  private final String id;
  private final int chunks;
  private byte[] current;
  private int position;
  private int next;

  /**
   * @param first chunk 0, already read (null when the content is empty)
   * @param chunks how many chunks the message has
   */
  public ChunkedContent(
      DataSource dataSource, String contentTable, String id, int chunks, byte[] first) {
    this.dataSource = dataSource;
    this.sql = "SELECT chunk FROM " + contentTable + " WHERE message_id = ? AND seq = ?";
    this.id = id;
    this.chunks = chunks;
    this.current = first == null ? new byte[0] : first;
    this.next = 1;
  }

  @Override
  public int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    return current[position++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.length - position);
    System.arraycopy(current, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public int available() {
    return current.length - position;
  }

  private boolean fill() throws IOException {
    while (position == current.length) {
      if (next >= chunks) {
        return false;
      }
      current = load(next++);
      position = 0;
    }
    return true;
  }

  private byte[] load(int seq) throws IOException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, id);
      s.setInt(2, seq);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new IOException(
              "message " + id + " was removed while its content was read (chunk " + seq + ")");
        }
        return r.getBytes(1);
      }
    } catch (SQLException e) {
      throw new IOException("reading chunk " + seq + " of message " + id + ": " + e, e);
    }
  }
}
