package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.mta4j.smtp.Recipient;

/** Shared set-up for the client tests: a client with test-sized timeouts and small helpers. */
final class ClientFixtures {
  private ClientFixtures() {}

  static final String HELO = "client.mta4j.test";

  /** How long a test waits for a peer to show what it received. */
  static final Duration AWAIT = Duration.ofSeconds(20);

  // Bounded so a broken test fails in seconds, not in RFC 5321's minutes.
  private static final Duration TEST_TIMEOUT = Duration.ofSeconds(20);

  static SmtpClient.Builder clientBuilder() {
    return SmtpClient.builder()
        .heloName(HELO)
        .connectTimeout(TEST_TIMEOUT)
        .greetingTimeout(TEST_TIMEOUT)
        .heloTimeout(TEST_TIMEOUT)
        .startTlsTimeout(TEST_TIMEOUT)
        .mailTimeout(TEST_TIMEOUT)
        .rcptTimeout(TEST_TIMEOUT)
        .dataInitTimeout(TEST_TIMEOUT)
        .dataBlockTimeout(TEST_TIMEOUT)
        .dataDoneTimeout(TEST_TIMEOUT)
        .rsetTimeout(TEST_TIMEOUT)
        .quitTimeout(TEST_TIMEOUT);
  }

  static SmtpClient client() {
    return clientBuilder().build();
  }

  static InetSocketAddress loopback(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  static SmtpTarget target(int port, TlsPolicy tls) {
    return SmtpTarget.of(loopback(port), "localhost", tls);
  }

  /** Fails the test unless the result is an open connection. */
  static SmtpConnection connected(ConnectResult result) {
    if (result instanceof SessionFailure failure) {
      return Assertions.fail("expected a connection, got " + failure.describe());
    }
    return (SmtpConnection) result;
  }

  /** Fails the test unless the result is a failure. */
  static SessionFailure failed(ConnectResult result) {
    if (result instanceof SmtpConnection connection) {
      connection.close();
      return Assertions.fail("expected a session failure, got " + connection);
    }
    return (SessionFailure) result;
  }

  static List<Recipient> recipients(String... addresses) {
    return Arrays.stream(addresses).map(Recipient::of).toList();
  }

  static OutgoingMessage message(String content, String... to) {
    return OutgoingMessage.of("sender@example.test", recipients(to), content.getBytes(UTF_8));
  }

  static String simpleContent(String subject) {
    return "From: sender@example.test\r\nTo: rcpt@example.test\r\nSubject: "
        + subject
        + "\r\n\r\nHello.\r\n";
  }

  /** {@code size} bytes of CRLF lines, generated as they are read, never held in memory. */
  static InputStream generated(long size) {
    return new InputStream() {
      private long position;

      @Override
      public int read() {
        if (position >= size) {
          return -1;
        }
        long p = position++;
        return p % 78 == 76 ? '\r' : p % 78 == 77 ? '\n' : 'a' + (int) (p % 26);
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (position >= size) {
          return -1;
        }
        int n = (int) Math.min(len, size - position);
        for (int i = 0; i < n; i++) {
          b[off + i] = (byte) read();
        }
        return n;
      }
    };
  }
}
