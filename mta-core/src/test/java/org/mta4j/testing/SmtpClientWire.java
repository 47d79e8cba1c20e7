package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * A minimal SMTP client over loopback for these tests: plain commands, strict reply reading
 * (multi-line replies folded to their last line), every read bounded by a timeout. It does no
 * dot-stuffing: callers send content without lines that start with a dot. Not thread-safe.
 */
public final class SmtpClientWire implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private SmtpClientWire(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = new BufferedOutputStream(socket.getOutputStream());
  }

  /** Connects to 127.0.0.1:port and reads the greeting, which must be 220. */
  public static SmtpClientWire connect(int port, Duration timeout) throws IOException {
    Socket s = new Socket();
    try {
      s.setSoTimeout((int) timeout.toMillis());
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
      SmtpClientWire wire = new SmtpClientWire(s);
      wire.expect(wire.reply(), "220");
      return wire;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** Sends one command line and returns the (last line of the) reply. */
  public String command(String line) throws IOException {
    out.write((line + "\r\n").getBytes(UTF_8));
    out.flush();
    return reply();
  }

  /** Sends content (CRLF lines, no leading dots) and the terminating dot; returns the reply. */
  public String data(byte[] content) throws IOException {
    out.write(content);
    out.write(".\r\n".getBytes(UTF_8));
    out.flush();
    return reply();
  }

  /** One transaction: MAIL, RCPT, DATA, content; the reply to the final dot. */
  public String send(String from, String to, byte[] content) throws IOException {
    expect(command("MAIL FROM:<" + from + ">"), "250");
    expect(command("RCPT TO:<" + to + ">"), "250");
    expect(command("DATA"), "354");
    return data(content);
  }

  public String reply() throws IOException {
    while (true) {
      String line = line();
      if (line.length() < 4 || line.charAt(3) != '-') {
        return line;
      }
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    int prev = -1;
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed by the server");
      }
      if (prev == '\r' && c == '\n') {
        byte[] bytes = b.toByteArray();
        return new String(bytes, 0, bytes.length - 1, UTF_8);
      }
      b.write(c);
      prev = c;
    }
  }

  public void expect(String reply, String code) throws IOException {
    if (!reply.startsWith(code)) {
      throw new IOException("expected " + code + ", got: " + reply);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
