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
  private byte[] memory = new byte[0]; // allocated on first write: idle sessions hold nothing
  private int memorySize;
  private Path spillFile;
  private OutputStream spill;
  private long spillSize;

  ContentBuffer(int memoryLimit, Path spillDirectory) {
    this.memoryLimit = memoryLimit;
    this.spillDirectory = spillDirectory;
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
        memory = Arrays.copyOf(memory, Math.min(memoryLimit, grown));
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
    if (spillFile == null) {
      return head;
    }
    return new SequenceInputStream(head, Files.newInputStream(spillFile));
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

  @Override
  public void close() {
    reset();
  }
}
