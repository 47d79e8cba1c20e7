package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.mta4j.queue.NewMessage;

/**
 * The two file formats of the queue (the README draws them): the message file, written once, and
 * the state file, replaced whole. Both are framed so that a torn or damaged file is told from a
 * complete one: a magic number with the format version, length-prefixed records with a CRC32C each,
 * and an end marker as the last bytes (as Postfix ends its queue files with an END record).
 */
final class QueueFiles {
  static final byte[] MESSAGE_MAGIC = "MTA4JQM1".getBytes(US_ASCII);
  static final byte[] STATE_MAGIC = "MTA4JQS1".getBytes(US_ASCII);
  static final byte[] END = "MTA4JEND".getBytes(US_ASCII);

  static final String MESSAGE_SUFFIX = ".msg";
  static final String STATE_SUFFIX = ".st";
  static final String TEMP_SUFFIX = ".tmp";

  /** Copy buffer: content is streamed through this much heap, whatever its size. */
  static final int BUFFER_SIZE = 64 * 1024;

  /** An envelope (one message's recipients and parameters) larger than this is not a real one. */
  static final int MAX_RECORD = 64 * 1024 * 1024;

  /** magic, envelope length, envelope CRC. */
  private static final int MESSAGE_HEADER = 8 + 4 + 4;

  /** content length, content CRC, end marker. */
  static final int MESSAGE_TRAILER = 8 + 4 + 8;

  /** Intake's ids ([0-9A-Z], 20 characters) are used as they are. */
  private static final Pattern PLAIN_ID = Pattern.compile("[0-9A-Z][0-9A-Z_-]{0,63}");

  private QueueFiles() {}

  /**
   * The file name stem of a message: its id when that is a safe name even on a file system that
   * ignores case, otherwise {@code ~} and the id's UTF-8 in hex (or its SHA-256 when long). The id
   * itself is in the envelope; the name only has to be unique and stable.
   */
  static String key(String id) {
    if (PLAIN_ID.matcher(id).matches()) {
      return id;
    }
    byte[] utf8 = id.getBytes(UTF_8);
    if (utf8.length <= 48) {
      return "~" + HexFormat.of().formatHex(utf8);
    }
    try {
      return "~~" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(utf8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Where the content sits in a message file, and its checksum. */
  record ContentExtent(long offset, long size, int crc) {}

  /** A message file that passed its checks. */
  record MessageFile(NewMessage envelope, ContentExtent content) {}

  /**
   * Writes a whole message file to {@code ch} (new and empty): header, envelope, the content
   * streamed from {@code content} through one buffer, trailer. Does not force.
   *
   * @throws ContentSourceException reading {@code content} failed (the client, not the disk)
   */
  static ContentExtent writeMessage(
      FileChannel ch, Path path, byte[] envelope, InputStream content, DiskFaults faults)
      throws IOException {
    ChunkWriter w = new ChunkWriter(ch, path, faults);
    CRC32C envelopeCrc = new CRC32C();
    envelopeCrc.update(envelope);
    w.put(MESSAGE_MAGIC);
    w.putInt(envelope.length);
    w.put(envelope);
    w.putInt((int) envelopeCrc.getValue());
    long offset = MESSAGE_HEADER + (long) envelope.length;
    CRC32C contentCrc = new CRC32C();
    long size = w.copy(content, contentCrc);
    int crc = (int) contentCrc.getValue();
    w.putLong(size);
    w.putInt(crc);
    w.put(END);
    w.flush();
    return new ContentExtent(offset, size, crc);
  }

  /** A state file's bytes: magic, length, record, CRC32C, end marker. */
  static byte[] stateFile(byte[] record) {
    CRC32C crc = new CRC32C();
    crc.update(record);
    ByteBuffer b = ByteBuffer.allocate(8 + 4 + record.length + 4 + 8);
    b.put(STATE_MAGIC).putInt(record.length).put(record).putInt((int) crc.getValue()).put(END);
    return b.array();
  }

  /** Writes {@code bytes} to the start of {@code ch}, through the fault seam. */
  static void writeAll(FileChannel ch, Path path, byte[] bytes, DiskFaults faults)
      throws IOException {
    ChunkWriter w = new ChunkWriter(ch, path, faults);
    w.put(bytes);
    w.flush();
  }

  /**
   * Reads and checks a message file: header, envelope CRC, trailer, end marker, that the lengths
   * add up to the file's size, and (if {@code verifyContent}) the content's CRC.
   */
  static MessageFile readMessage(Path path, boolean verifyContent) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long fileSize = ch.size();
      if (fileSize < MESSAGE_HEADER + MESSAGE_TRAILER) {
        throw new CorruptFileException("truncated: " + fileSize + " bytes");
      }
      ByteBuffer head = readFully(ch, 0, 12);
      checkMagic(head, MESSAGE_MAGIC);
      int envelopeLength = head.getInt(8);
      if (envelopeLength < 0
          || envelopeLength > MAX_RECORD
          || MESSAGE_HEADER + (long) envelopeLength + MESSAGE_TRAILER > fileSize) {
        throw new CorruptFileException(
            "envelope length " + envelopeLength + " does not fit a file of " + fileSize + " bytes");
      }
      ByteBuffer env = readFully(ch, 12, envelopeLength + 4);
      byte[] envelope = Arrays.copyOf(env.array(), envelopeLength);
      checkCrc(envelope, env.getInt(envelopeLength), "envelope");
      NewMessage message = Records.parseEnvelope(envelope);
      ByteBuffer trailer = readFully(ch, fileSize - MESSAGE_TRAILER, MESSAGE_TRAILER);
      checkEnd(trailer, 12);
      long size = trailer.getLong(0);
      int crc = trailer.getInt(8);
      long offset = MESSAGE_HEADER + (long) envelopeLength;
      if (size < 0 || offset + size + MESSAGE_TRAILER != fileSize) {
        throw new CorruptFileException(
            "content length " + size + " does not fit a file of " + fileSize + " bytes");
      }
      if (verifyContent) {
        CRC32C c = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(BUFFER_SIZE, Math.max(size, 1)));
        long pos = offset;
        long end = offset + size;
        while (pos < end) {
          buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
          int n = ch.read(buf, pos);
          if (n < 0) {
            throw new CorruptFileException("content ends early");
          }
          buf.flip();
          c.update(buf);
          pos += n;
        }
        if ((int) c.getValue() != crc) {
          throw new CorruptFileException("content fails its CRC32C");
        }
      }
      return new MessageFile(message, new ContentExtent(offset, size, crc));
    }
  }

  /** Reads and checks a state file; returns its record. */
  static byte[] readStateRecord(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long fileSize = ch.size();
      if (fileSize < 8 + 4 + 4 + 8) {
        throw new CorruptFileException("truncated: " + fileSize + " bytes");
      }
      if (fileSize > MAX_RECORD) {
        throw new CorruptFileException("too large: " + fileSize + " bytes");
      }
      ByteBuffer all = readFully(ch, 0, (int) fileSize);
      checkMagic(all, STATE_MAGIC);
      int length = all.getInt(8);
      if (length < 0 || 8 + 4 + (long) length + 4 + 8 != fileSize) {
        throw new CorruptFileException(
            "record length " + length + " does not fit a file of " + fileSize + " bytes");
      }
      byte[] record = Arrays.copyOfRange(all.array(), 12, 12 + length);
      checkCrc(record, all.getInt(12 + length), "state");
      checkEnd(all, 16 + length);
      return record;
    }
  }

  private static ByteBuffer readFully(FileChannel ch, long position, int length)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) {
        throw new CorruptFileException("ends early, at " + (position + b.position()));
      }
    }
    return b.flip();
  }

  private static void checkMagic(ByteBuffer b, byte[] magic) throws CorruptFileException {
    byte[] found = new byte[magic.length];
    b.get(0, found);
    if (!Arrays.equals(found, magic)) {
      throw new CorruptFileException(
          "not a " + new String(magic, US_ASCII) + " file (starts with " + hex(found) + ")");
    }
  }

  private static void checkEnd(ByteBuffer b, int at) throws CorruptFileException {
    byte[] found = new byte[END.length];
    b.get(at, found);
    if (!Arrays.equals(found, END)) {
      throw new CorruptFileException("no end marker (found " + hex(found) + ")");
    }
  }

  private static void checkCrc(byte[] record, int expected, String what)
      throws CorruptFileException {
    CRC32C crc = new CRC32C();
    crc.update(record);
    if ((int) crc.getValue() != expected) {
      throw new CorruptFileException(what + " fails its CRC32C");
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  /** Reading the content to store failed: the source's fault, not the disk's. */
  static final class ContentSourceException extends IOException {
    ContentSourceException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** Buffered writes to a channel through one fixed buffer; every write passes the fault seam. */
  private static final class ChunkWriter {
    private final FileChannel ch;
    private final Path path;
    private final DiskFaults faults;
    private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_SIZE);

    ChunkWriter(FileChannel ch, Path path, DiskFaults faults) {
      this.ch = ch;
      this.path = path;
      this.faults = faults;
    }

    void put(byte[] b) throws IOException {
      int off = 0;
      while (off < b.length) {
        if (!buf.hasRemaining()) {
          flush();
        }
        int n = Math.min(buf.remaining(), b.length - off);
        buf.put(b, off, n);
        off += n;
      }
    }

    void putInt(int v) throws IOException {
      put(ByteBuffer.allocate(4).putInt(v).array());
    }

    void putLong(long v) throws IOException {
      put(ByteBuffer.allocate(8).putLong(v).array());
    }

    /** Streams {@code in} to its end through the buffer; returns the byte count. */
    long copy(InputStream in, CRC32C crc) throws IOException {
      long total = 0;
      while (true) {
        if (!buf.hasRemaining()) {
          flush();
        }
        int n;
        try {
          n = in.read(buf.array(), buf.position(), buf.remaining());
        } catch (IOException e) {
          throw new ContentSourceException(e);
        }
        if (n < 0) {
          return total;
        }
        crc.update(buf.array(), buf.position(), n);
        buf.position(buf.position() + n);
        total += n;
      }
    }

    void flush() throws IOException {
      buf.flip();
      if (buf.hasRemaining()) {
        faults.beforeWrite(path);
      }
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      buf.clear();
    }
  }
}
