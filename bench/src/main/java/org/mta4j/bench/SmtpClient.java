package org.mta4j.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking SMTP client for the benchmarks: one command, one reply (no pipelining),
 * TCP_NODELAY, a read timeout on every reply. Not a general client.
 */
final class SmtpClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private SmtpClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 4096);
    this.out = socket.getOutputStream();
  }

  /** Connects (optionally from a given loopback source address) and reads the 220 greeting. */
  static SmtpClient connect(InetAddress source, String host, int port, int timeoutMillis)
      throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(timeoutMillis);
      if (source != null) {
        s.bind(new InetSocketAddress(source, 0));
      }
      s.connect(new InetSocketAddress(host, port), timeoutMillis);
      SmtpClient c = new SmtpClient(s);
      c.expect(220);
      return c;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** A message of about {@code size} bytes: a few headers and 76-character body lines. */
  static byte[] message(int size) {
    StringBuilder sb =
        new StringBuilder("From: <a@example.test>\r\nTo: <b@example.test>\r\nSubject: bench\r\n\r\n");
    String line = "x".repeat(76) + "\r\n";
    while (sb.length() + line.length() <= size) {
      sb.append(line);
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * One whole session on a new connection: greeting, EHLO, MAIL, RCPT, DATA + content, QUIT.
   * The content must use CRLF and contain no line starting with a dot.
   */
  static void fullSession(String host, int port, byte[] content, int timeoutMillis)
      throws IOException {
    try (SmtpClient c = connect(null, host, port, timeoutMillis)) {
      c.command("EHLO client.bench.test", 250);
      c.command("MAIL FROM:<a@example.test>", 250);
      c.command("RCPT TO:<b@example.test>", 250);
      c.command("DATA", 354);
      c.out.write(content);
      c.out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
      c.out.flush();
      c.expect(250);
      c.command("QUIT", 221);
    }
  }

  /** Sends one command line and checks the reply code. */
  void command(String line, int expectedCode) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    expect(expectedCode);
  }

  /** Reads a (possibly multi-line) reply and checks its code. */
  void expect(int expectedCode) throws IOException {
    while (true) {
      String line = readLine();
      if (line.length() < 3) {
        throw new IOException("bad reply line: " + line);
      }
      int code = Integer.parseInt(line.substring(0, 3));
      if (code != expectedCode) {
        throw new IOException("expected " + expectedCode + ", got: " + line);
      }
      if (line.length() == 3 || line.charAt(3) == ' ') {
        return;
      }
    }
  }

  private String readLine() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 4096; i++) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed; got so far: " + sb);
      }
      if (b == '\n') {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') {
          sb.setLength(len - 1);
        }
        return sb.toString();
      }
      sb.append((char) b);
    }
    throw new IOException("reply line too long");
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
