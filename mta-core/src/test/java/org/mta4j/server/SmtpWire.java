package org.mta4j.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assertions;
import org.mta4j.testing.TestCertificates;

/**
 * A raw SMTP client for byte-exact tests: it writes exactly the bytes it is given, in one write,
 * and reads replies strictly (every line ends in CRLF; a multi-line reply keeps one code). Nothing
 * is hidden: no implicit EHLO, no dot-stuffing, no retry.
 *
 * <p>Every read is bounded by a socket timeout, so a server that says nothing fails the test
 * instead of hanging it. Not thread-safe: one test thread drives one wire.
 */
final class SmtpWire implements AutoCloseable {

  /** How long a read waits for the server before the test fails. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

  private static final Pattern REPLY_LINE = Pattern.compile("[2-5][0-9][0-9]([ -].*)?");

  private final Socket plain;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private final List<Reply> transcript = new ArrayList<>();

  private SmtpWire(Socket socket) throws IOException {
    this.plain = socket;
    this.socket = socket;
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    socket.setTcpNoDelay(true);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Connects to 127.0.0.1:port. */
  static SmtpWire connect(int port) {
    return connect(port, "127.0.0.1");
  }

  /** Connects to 127.0.0.1:port from the given loopback address (e.g. 127.0.0.2). */
  static SmtpWire connect(int port, String localAddress) {
    Socket s = new Socket();
    try {
      s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
      return new SmtpWire(s);
    } catch (IOException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // already failing
      }
      throw new UncheckedIOException("cannot connect to 127.0.0.1:" + port, e);
    }
  }

  /** The local port of the client socket. */
  int localPort() {
    return plain.getLocalPort();
  }

  /** Writes the string's characters as ISO-8859-1 bytes (so "\0" is byte 0), in one write. */
  SmtpWire send(String raw) {
    return send(raw.getBytes(ISO_8859_1));
  }

  /** Writes the bytes in one write. */
  SmtpWire send(byte[] raw) {
    try {
      out.write(raw);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("write failed", e);
    }
    return this;
  }

  /** Sends {@code line} + CRLF and reads one reply. */
  Reply command(String line) {
    send(line + "\r\n");
    return read();
  }

  /** Sends {@code line} + CRLF as UTF-8 and reads one reply. */
  Reply commandUtf8(String line) {
    send((line + "\r\n").getBytes(UTF_8));
    return read();
  }

  /** Reads one whole reply, failing the test on timeout, end of stream or bad syntax. */
  Reply read() {
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = readLine();
      if (line == null) {
        return Assertions.fail(
            "connection closed while waiting for a reply"
                + (lines.isEmpty() ? "" : " after " + lines)
                + "; transcript so far: "
                + transcript);
      }
      if (!REPLY_LINE.matcher(line).matches()) {
        return Assertions.fail("not an SMTP reply line: \"" + line + "\"; after " + transcript);
      }
      if (!lines.isEmpty() && !line.startsWith(lines.get(0).substring(0, 3))) {
        return Assertions.fail(
            "reply code changed inside a multi-line reply: " + lines + ", " + line);
      }
      lines.add(line);
      if (line.length() == 3 || line.charAt(3) == ' ') {
        Reply reply = new Reply(List.copyOf(lines));
        transcript.add(reply);
        return reply;
      }
    }
  }

  /** Reads {@code n} replies. */
  List<Reply> read(int n) {
    List<Reply> replies = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      replies.add(read());
    }
    return replies;
  }

  /** Reads replies until the server closes the connection (at most {@code max}). */
  List<Reply> readUntilClosed(int max) {
    List<Reply> replies = new ArrayList<>();
    for (int i = 0; i <= max; i++) {
      String line = readLineOrNullWhenReset();
      if (line == null) {
        return replies;
      }
      Assertions.assertTrue(i < max, "more than " + max + " replies: " + replies + ", " + line);
      List<String> lines = new ArrayList<>(List.of(line));
      while (line.length() > 3 && line.charAt(3) == '-') {
        line = readLine();
        Assertions.assertNotNull(line, "connection closed inside a multi-line reply " + lines);
        lines.add(line);
      }
      Reply r = new Reply(List.copyOf(lines));
      transcript.add(r);
      replies.add(r);
    }
    return replies;
  }

  /** Fails unless the server closes the connection without sending anything more. */
  void assertClosed() {
    String line = readLineOrNullWhenReset();
    if (line != null) {
      Assertions.fail("expected the server to close the connection, but it sent: \"" + line + "\"");
    }
  }

  /**
   * Fails if the server sends anything within {@code quiet}. A bounded negative check (a socket
   * read timeout, not a sleep) for "no greeting yet".
   */
  void assertSilentFor(Duration quiet) {
    try {
      socket.setSoTimeout((int) quiet.toMillis());
      int b = in.read();
      Assertions.fail(
          b < 0 ? "the server closed the connection" : "the server sent a byte: " + (char) b);
    } catch (SocketTimeoutException expected) {
      // silent, as it should be
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      try {
        socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
      } catch (SocketException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Starts TLS over the connection (after the server's {@code 220} to STARTTLS, or at once for an
   * implicit-TLS port), trusting only {@link TestCertificates}. Fails if the server had sent any
   * plaintext byte that the client has not read.
   */
  SmtpWire startTls() {
    try {
      if (in.available() > 0) {
        Assertions.fail(
            "the server sent plaintext after its last reply: " + in.available() + " bytes");
      }
      SSLSocket ssl =
          (SSLSocket)
              TestCertificates.clientSocketFactory()
                  .createSocket(plain, "localhost", plain.getPort(), true);
      ssl.setUseClientMode(true);
      ssl.setSoTimeout((int) READ_TIMEOUT.toMillis());
      ssl.startHandshake();
      socket = ssl;
      in = ssl.getInputStream();
      out = ssl.getOutputStream();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("TLS handshake failed", e);
    }
  }

  /** Every reply read so far, in order. */
  List<Reply> transcript() {
    return List.copyOf(transcript);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // a test closing its client does not care
    }
  }

  /** One line without its CRLF; null at end of stream. A bare LF in a reply fails the test. */
  private String readLine() {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    try {
      while (true) {
        int b = in.read();
        if (b < 0) {
          if (line.size() > 0) {
            Assertions.fail(
                "connection closed inside a reply line: \"" + line.toString(UTF_8) + "\"");
          }
          return null;
        }
        if (b == '\n') {
          byte[] bytes = line.toByteArray();
          if (bytes.length == 0 || bytes[bytes.length - 1] != '\r') {
            Assertions.fail("reply line ends in a bare LF: \"" + line.toString(UTF_8) + "\"");
          }
          String text = new String(bytes, 0, bytes.length - 1, UTF_8);
          if (text.indexOf('\r') >= 0) {
            Assertions.fail("reply line holds a bare CR: \"" + text + "\"");
          }
          return text;
        }
        line.write(b);
        if (line.size() > 4096) {
          Assertions.fail("reply line longer than 4096 bytes");
        }
      }
    } catch (SocketTimeoutException e) {
      return Assertions.fail(
          "no reply within " + timeoutOf(socket) + " ms; transcript so far: " + transcript, e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Like {@link #readLine()}, but a connection reset (RST on close) counts as closed. */
  private String readLineOrNullWhenReset() {
    try {
      return readLine();
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof SocketException s
          && String.valueOf(s.getMessage()).contains("reset")) {
        return null;
      }
      throw e;
    }
  }

  private static int timeoutOf(Socket s) {
    try {
      return s.getSoTimeout();
    } catch (SocketException e) {
      return -1;
    }
  }

  /**
   * One SMTP reply (RFC 5321 §4.2): its lines without CRLF, all with the same code.
   *
   * @param lines the raw lines, e.g. {@code ["250-mx", "250 CHUNKING"]}
   */
  record Reply(List<String> lines) {
    private static final Pattern ENHANCED = Pattern.compile("([245])\\.\\d{1,3}\\.\\d{1,3}");

    int code() {
      return Integer.parseInt(lines.get(0).substring(0, 3));
    }

    /** The last line as sent, e.g. {@code "250 2.1.5 Ok"}. */
    String line() {
      return lines.get(lines.size() - 1);
    }

    /** The text after the code (and separator) of each line. */
    List<String> texts() {
      return lines.stream().map(l -> l.length() > 4 ? l.substring(4) : "").toList();
    }

    /** The enhanced status code of the last line (RFC 3463), or null when it has none. */
    String enhanced() {
      String text = texts().get(lines.size() - 1);
      int sp = text.indexOf(' ');
      String first = sp < 0 ? text : text.substring(0, sp);
      return ENHANCED.matcher(first).matches() ? first : null;
    }

    /** {@code code + " " + enhanced}, e.g. {@code "503 5.5.1"}, or just the code. */
    String status() {
      String e = enhanced();
      return e == null ? String.valueOf(code()) : code() + " " + e;
    }

    /** True when every line carries an enhanced status code of the reply's class. */
    boolean hasMatchingEnhancedStatusOnEveryLine() {
      for (String text : texts()) {
        var m =
            ENHANCED.matcher(text.indexOf(' ') < 0 ? text : text.substring(0, text.indexOf(' ')));
        if (!m.matches() || m.group(1).charAt(0) - '0' != code() / 100) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return String.join("\\r\\n", lines);
    }
  }
}
