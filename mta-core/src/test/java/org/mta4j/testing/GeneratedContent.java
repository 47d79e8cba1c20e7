package org.mta4j.testing;

import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * A message of any size made up on the fly (a header, then pseudo-random CRLF lines from a seed),
 * never held in memory; it remembers the largest read it was asked for and its SHA-256.
 */
public final class GeneratedContent extends InputStream {
  private static final byte[] HEADER = "Subject: generated\r\n\r\n".getBytes();
  private static final byte[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 +/".getBytes();

  private final long size;
  private final SplittableRandom random;
  private final MessageDigest sha256;
  private long position;
  private int column;
  private int largestRead;

  public GeneratedContent(long size, long seed) {
    this.size = size;
    this.random = new SplittableRandom(seed);
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    largestRead = Math.max(largestRead, len);
    if (position >= size) {
      return -1;
    }
    int n = (int) Math.min(len, size - position);
    for (int i = 0; i < n; i++) {
      b[off + i] = next();
    }
    sha256.update(b, off, n);
    return n;
  }

  private byte next() {
    long p = position++;
    if (p < HEADER.length) {
      return HEADER[(int) p];
    }
    if (p >= size - 2) {
      return p == size - 2 ? (byte) '\r' : (byte) '\n';
    }
    column++;
    if (column == 77) {
      return '\r';
    }
    if (column == 78) {
      column = 0;
      return '\n';
    }
    return ALPHABET[random.nextInt(ALPHABET.length)];
  }

  public int largestRead() {
    return largestRead;
  }

  /** The SHA-256 of what was read so far (all of it, once read to the end). */
  public String sha256() {
    try {
      return HexFormat.of().formatHex(((MessageDigest) sha256.clone()).digest());
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads {@code back} to its end and compares it with this content: a line starting with {@code
   * OK} (or {@code MISMATCH}) and the size read, then {@code extra}, the digests and the JVM's
   * maximum heap, for a child JVM to print.
   */
  public String readBackReport(InputStream back, String extra) throws java.io.IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long read = 0;
    byte[] buf = new byte[8192];
    for (int n; (n = back.read(buf)) >= 0; ) {
      digest.update(buf, 0, n);
      read += n;
    }
    String readBack = HexFormat.of().formatHex(digest.digest());
    String written = sha256();
    return (readBack.equals(written) && read == size ? "OK " : "MISMATCH ")
        + "size="
        + read
        + extra
        + " written="
        + written
        + " read="
        + readBack
        + " maxHeap="
        + Runtime.getRuntime().maxMemory();
  }

  /** A one-recipient envelope, as the large-content tests enqueue this content under. */
  public static org.mta4j.queue.NewMessage envelope(String id) {
    return new org.mta4j.queue.NewMessage(
        id,
        "a@sender.test",
        java.util.List.of(org.mta4j.smtp.Recipient.of("b@example.org")),
        org.mta4j.smtp.MailParameters.NONE,
        java.time.Instant.parse("2026-03-02T10:00:00Z"));
  }
}
