package org.mta4j.server.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.mta4j.server.MessageContent;

/**
 * Holds one message's content while it is received: in a heap array up to a threshold, the rest in
 * a temporary file, so that a large message does not need its size in heap. One buffer per session,
 * reset between messages.
 */
final class ContentBuffer implements MessageContent, AutoCloseable {
  private final int memoryLimit;
  private final Path spillDirectory;
  private final SmtpServer.BufferPool pool; // null: allocate
  private byte[] memory = new byte[0]; // allocated on first write: idle sessions hold nothing
  private int memorySize;
  private Path spillFile;
  private OutputStream spill;
  private long spillSize;

  /** Bumped whenever the content is dropped; open streams of an older generation refuse to read. */
  private volatile long generation;

  ContentBuffer(int memoryLimit, Path spillDirectory) {
    this(memoryLimit, spillDirectory, null);
  }

  /** With a pool, the first 16 KiB array comes from it and goes back on {@link #close()}. */
  ContentBuffer(int memoryLimit, Path spillDirectory, SmtpServer.BufferPool pool) {
    this.memoryLimit = memoryLimit;
    this.spillDirectory = spillDirectory;
    this.pool = pool;
  }

  void write(byte[] b, int off, int len) throws IOException {
    if (len <= 0) {
      return;
    }
    if (spill == null) {
      int room = memoryLimit - memorySize;
      int inMemory = Math.min(room, len);
      if (memorySize + inMemory > memory.length) {
        int grown = Math.max(Math.max(16 * 1024, memory.length * 2), memorySize + inMemory);
        int length = Math.min(memoryLimit, grown);
        if (memory.length == 0 && pool != null && length == SmtpServer.BufferPool.BUFFER_SIZE) {
          memory = pool.take(); // nothing to copy yet
        } else {
          memory = Arrays.copyOf(memory, length);
        }
      }
      System.arraycopy(b, off, memory, memorySize, inMemory);
      memorySize += inMemory;
      off += inMemory;
      len -= inMemory;
      if (len == 0) {
        return;
      }
      spillFile =
          spillDirectory == null
              ? Files.createTempFile("mta4j-", ".msg")
              : Files.createTempFile(spillDirectory, "mta4j-", ".msg");
      spill = new java.io.BufferedOutputStream(Files.newOutputStream(spillFile), 64 * 1024);
    }
    spill.write(b, off, len);
    spillSize += len;
  }

  void write(byte[] b) throws IOException {
    write(b, 0, b.length);
  }

  /** Ends writing; the content can be read from now on. */
  void finish() throws IOException {
    if (spill != null) {
      spill.close();
    }
  }

  @Override
  public long size() {
    return memorySize + spillSize;
  }

  @Override
  public InputStream open() throws IOException {
    InputStream head = new ByteArrayInputStream(memory, 0, memorySize);
    InputStream all =
        spillFile == null ? head : new SequenceInputStream(head, Files.newInputStream(spillFile));
    return new Guarded(all, generation);
  }

  /**
   * A stream that stops working once its message is gone: the heap array is reused for the next
   * message (and, pooled, by other sessions), so a handler that keeps a stream past its return must
   * get an error, never another message's bytes.
   */
  private final class Guarded extends java.io.FilterInputStream {
    private final long openedAt;

    Guarded(InputStream in, long openedAt) {
      super(in);
      this.openedAt = openedAt;
    }

    private void check() throws IOException {
      if (generation != openedAt) {
        throw new IOException("message content is no longer valid: the handler has returned");
      }
    }

    @Override
    public int read() throws IOException {
      check();
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      check();
      return super.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
      check();
      return super.skip(n);
    }
  }

  @Override
  public byte[] readAllBytes() throws IOException {
    if (spillFile == null) {
      return Arrays.copyOf(memory, memorySize);
    }
    return MessageContent.super.readAllBytes();
  }

  /** Drops the content, deleting any temporary file; the buffer can be used again. */
  void reset() {
    generation++;
    memorySize = 0;
    spillSize = 0;
    if (memory.length > 256 * 1024) {
      memory = new byte[0]; // don't keep a large array alive on an idle session
    }
    if (spill != null) {
      try {
        spill.close();
      } catch (IOException ignored) {
        // the file is deleted next; nothing to save
      }
      spill = null;
    }
    if (spillFile != null) {
      try {
        Files.deleteIfExists(spillFile);
      } catch (IOException ignored) {
        // a temp file left behind is not worth failing a session for
      }
      spillFile = null;
    }
  }

  /** Drops the content and gives a pooled array back; the buffer is not written again. */
  @Override
  public void close() {
    reset();
    byte[] m = memory;
    memory = new byte[0];
    if (pool != null) {
      pool.give(m);
    }
  }
}
