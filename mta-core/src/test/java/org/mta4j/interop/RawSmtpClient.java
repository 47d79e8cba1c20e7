package org.mta4j.interop;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * A byte-exact SMTP client for what no library client sends: BDAT chunks of chosen lengths, bare CR
 * and LF, pipelined bursts. Writes exactly the bytes it is given; reads whole (multi-line) replies.
 * Not thread-safe; one per connection.
 */
final class RawSmtpClient implements AutoCloseable {

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawSmtpClient(int port, Duration readTimeout) throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port), (int) readTimeout.toMillis());
    socket.setSoTimeout((int) readTimeout.toMillis());
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Sends the bytes as they are, at once. */
  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Sends {@code line} followed by CRLF. */
  void sendLine(String line) throws IOException {
    send((line + "\r\n").getBytes(UTF_8));
  }

  /** Sends a command and returns its reply. */
  String command(String line) throws IOException {
    sendLine(line);
    return reply();
  }

  /**
   * Reads one reply; its lines are joined with {@code \n}, without their CRLF. A reply line is
   * {@code ddd-text} (more follow) or {@code ddd text} / {@code ddd} (the last).
   */
  String reply() throws IOException {
    StringBuilder reply = new StringBuilder();
    while (true) {
      String line = readLine();
      if (!reply.isEmpty()) {
        reply.append('\n');
      }
      reply.append(line);
      if (line.length() < 4 || line.charAt(3) != '-') {
        return reply.toString();
      }
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed; partial line: " + line.toString(UTF_8));
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
          length--;
        }
        return new String(bytes, 0, length, UTF_8);
      }
      line.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
