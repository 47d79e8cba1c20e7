package org.mta4j.dkim.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a message once: first its header fields as raw bytes (DKIM canonicalizes the bytes, not a
 * parsed model), then streams the body to a sink, so a large body is hashed as it passes.
 */
public final class MessageReader {

  /** The most header bytes a message may have before DKIM gives up on it. */
  public static final int MAX_HEADER_BYTES = 1 << 20;

  /** The most header fields a message may have before DKIM gives up on it. */
  public static final int MAX_HEADER_FIELDS = 10_000;

  private static final int BUFFER = 16 * 1024;

  private final InputStream in;
  private final byte[] buffer = new byte[BUFFER];
  private int position;
  private int limit;
  private boolean headersRead;

  public MessageReader(InputStream in) {
    this.in = in;
  }

  /**
   * The header fields, top to bottom. A line that is neither a field nor a continuation (no colon)
   * is kept as a field with an empty name, so that nothing is silently dropped; DKIM never signs
   * it. Reading stops after the empty line that ends the header section (or at the end of input).
   *
   * @throws IOException on a read error, or when the header exceeds {@link #MAX_HEADER_BYTES} or
   *     {@link #MAX_HEADER_FIELDS}
   */
  public List<HeaderField> readHeader() throws IOException {
    if (headersRead) {
      throw new IllegalStateException("the header has already been read");
    }
    headersRead = true;
    List<HeaderField> fields = new ArrayList<>();
    ByteArrayOutputStream field = new ByteArrayOutputStream(256);
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    long total = 0;
    while (true) {
      line.reset();
      boolean ended = readLine(line);
      byte[] bytes = line.toByteArray();
      total += bytes.length;
      if (total > MAX_HEADER_BYTES) {
        throw new IOException("header section exceeds " + MAX_HEADER_BYTES + " bytes");
      }
      int content = contentLength(bytes);
      if (content == 0 && (ended || bytes.length == 0)) {
        // the empty line that separates header and body, or the end of the input
        flush(field, fields);
        return fields;
      }
      if (bytes[0] == ' ' || bytes[0] == '\t') {
        if (field.size() > 0) {
          // a continuation: the previous line's break stays inside the field
          field.write(bytes, 0, bytes.length);
          continue;
        }
      }
      flush(field, fields);
      if (fields.size() >= MAX_HEADER_FIELDS) {
        throw new IOException("header section exceeds " + MAX_HEADER_FIELDS + " fields");
      }
      field.write(bytes, 0, bytes.length);
      if (!ended) {
        flush(field, fields);
        return fields;
      }
    }
  }

  /**
   * Copies everything after the header section to {@code sink} (the header must have been read).
   */
  public void transferBody(OutputStream sink) throws IOException {
    if (!headersRead) {
      throw new IllegalStateException("read the header first");
    }
    if (limit > position) {
      sink.write(buffer, position, limit - position);
      position = limit;
    }
    int n;
    while ((n = in.read(buffer)) > 0) {
      sink.write(buffer, 0, n);
    }
  }

  // The field buffer holds raw lines with their line breaks; only the last break is removed here,
  // so a folded field keeps its inner CRLFs.
  private static void flush(ByteArrayOutputStream field, List<HeaderField> fields) {
    if (field.size() == 0) {
      return;
    }
    byte[] bytes = field.toByteArray();
    int length = contentLength(bytes);
    byte[] raw = java.util.Arrays.copyOf(bytes, length);
    field.reset();
    fields.add(new HeaderField(nameOf(raw), raw));
  }

  private static String nameOf(byte[] raw) {
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == ':') {
        int end = i;
        while (end > 0 && (raw[end - 1] == ' ' || raw[end - 1] == '\t')) {
          end--;
        }
        return new String(raw, 0, end, ISO_8859_1);
      }
    }
    return "";
  }

  // The length of a line without its final line break (CRLF or a bare LF).
  private static int contentLength(byte[] line) {
    int n = line.length;
    if (n > 0 && line[n - 1] == '\n') {
      n--;
      if (n > 0 && line[n - 1] == '\r') {
        n--;
      }
    }
    return n;
  }

  // Appends one line, with its LF, to out; false when the input ended before an LF.
  private boolean readLine(ByteArrayOutputStream out) throws IOException {
    while (true) {
      if (position == limit) {
        limit = in.read(buffer);
        position = 0;
        if (limit <= 0) {
          limit = 0;
          return false;
        }
      }
      int start = position;
      while (position < limit) {
        if (buffer[position++] == '\n') {
          out.write(buffer, start, position - start);
          return true;
        }
      }
      out.write(buffer, start, position - start);
      if (out.size() > MAX_HEADER_BYTES) {
        throw new IOException("header line exceeds " + MAX_HEADER_BYTES + " bytes");
      }
    }
  }
}
