package org.mta4j.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Assertions;
import org.mta4j.server.Decision;
import org.mta4j.server.Envelope;
import org.mta4j.server.MessageContent;
import org.mta4j.server.MessageHandler;

/**
 * A {@link MessageHandler} that accepts every message and records it: the envelope, a copy of the
 * content bytes (which the server's {@link MessageContent} no longer holds once the handler has
 * returned) and the content's SHA-256.
 *
 * <pre>{@code
 * RecordingHandler handler = new RecordingHandler();
 * try (Mta mta = Mta.builder().listener(Listener.smtp("127.0.0.1", 0))
 *         .messageHandler(handler).build()) {
 *   mta.start();
 *   ... a client sends two messages ...
 *   List<RecordingHandler.Received> got = handler.awaitMessages(2, Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Thread-safe: the server calls {@link #handle} concurrently from many sessions while a test
 * thread reads or waits. Messages are kept in the order their handling completed.
 */
public final class RecordingHandler implements MessageHandler {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final List<Received> messages = new ArrayList<>();

  /**
   * One recorded message.
   *
   * @param envelope the envelope the server handed over
   * @param content the content exactly as the handler saw it, starting with the server's {@code
   *     Received:} header (the array is a private copy; {@link #content()} copies it again)
   * @param sha256 the lower-case hex SHA-256 of {@code content}
   */
  public record Received(Envelope envelope, byte[] content, String sha256) {

    public Received {
      Objects.requireNonNull(envelope, "envelope");
      content = content.clone();
      Objects.requireNonNull(sha256, "sha256");
    }

    /** A copy of the content bytes. */
    @Override
    public byte[] content() {
      return content.clone();
    }

    /** The content decoded as UTF-8 (for assertions on text). */
    public String contentAsString() {
      return new String(content, StandardCharsets.UTF_8);
    }

    /**
     * The content without the server's own {@code Received:} header field (its first line and the
     * folded lines after it): what the client sent, after dot-unstuffing. When the content does not
     * start with a {@code Received:} field it is returned whole.
     */
    public byte[] contentAfterReceivedHeader() {
      if (!startsWithIgnoreCase(content, "Received:")) {
        return content.clone();
      }
      int i = 0;
      while (true) {
        int lf = indexOf(content, (byte) '\n', i);
        if (lf < 0) {
          return new byte[0];
        }
        i = lf + 1;
        // RFC 5322 §2.2.3: a line starting with white space continues the field
        if (i >= content.length || (content[i] != ' ' && content[i] != '\t')) {
          return Arrays.copyOfRange(content, i, content.length);
        }
      }
    }

    /**
     * The message body: the bytes after the first empty line ({@code CRLF CRLF}), or an empty array
     * when the message has no body.
     */
    public byte[] body() {
      for (int i = 0; i + 3 < content.length; i++) {
        if (content[i] == '\r'
            && content[i + 1] == '\n'
            && content[i + 2] == '\r'
            && content[i + 3] == '\n') {
          return Arrays.copyOfRange(content, i + 4, content.length);
        }
      }
      return new byte[0];
    }

    @Override
    public String toString() {
      return "Received[id="
          + envelope.id()
          + ", from=<"
          + envelope.reversePath()
          + ">, recipients="
          + envelope.recipients()
          + ", size="
          + content.length
          + ", sha256="
          + sha256
          + "]";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Received r
          && envelope.equals(r.envelope)
          && Arrays.equals(content, r.content)
          && sha256.equals(r.sha256);
    }

    @Override
    public int hashCode() {
      return Objects.hash(envelope, Arrays.hashCode(content), sha256);
    }
  }

  /** Records the message and accepts it. */
  @Override
  public Decision handle(Envelope envelope, MessageContent content) throws IOException {
    byte[] bytes = content.readAllBytes();
    Received received = new Received(envelope, bytes, sha256Hex(bytes));
    lock.lock();
    try {
      messages.add(received);
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
    return Decision.accept();
  }

  /** A snapshot of the messages recorded so far. */
  public List<Received> messages() {
    lock.lock();
    try {
      return List.copyOf(messages);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until at least {@code count} messages have been recorded and returns a snapshot of all of
   * them; fails the test (saying how many arrived) if they have not within {@code timeout}.
   */
  public List<Received> awaitMessages(int count, Duration timeout) {
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0: " + count);
    }
    Objects.requireNonNull(timeout, "timeout");
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (messages.size() < count) {
        if (nanos <= 0) {
          return Assertions.fail(
              "expected "
                  + count
                  + " messages within "
                  + timeout
                  + ", got "
                  + messages.size()
                  + ": "
                  + messages);
        }
        try {
          nanos = arrived.awaitNanos(nanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Assertions.fail("interrupted while waiting for " + count + " messages", e);
        }
      }
      return List.copyOf(messages);
    } finally {
      lock.unlock();
    }
  }

  /** The lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static boolean startsWithIgnoreCase(byte[] bytes, String prefix) {
    if (bytes.length < prefix.length()) {
      return false;
    }
    String head = new String(bytes, 0, prefix.length(), StandardCharsets.ISO_8859_1);
    return head.equalsIgnoreCase(prefix);
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
