package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The byte level of one client connection: reads replies (bounded in size and time), buffers
 * commands and content, writes them with a deadline, and swaps the streams when TLS starts. It
 * knows nothing of the SMTP state machine, which is {@link ClientSession}'s.
 */
final class SmtpChannel implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(SmtpConnection.class);

  // RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; accept more, as servers send more, but
  // bound each line and each whole reply so a misbehaving server cannot exhaust memory.
  static final int MAX_LINE = 4096;
  static final int MAX_REPLY_LINES = 200;

  private static final int OUT_BUFFER = 16 * 1024;

  private final String id;
  private final Socket tcp;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  private final byte[] inBuf = new byte[8192];
  private int inPos;
  private int inLimit;

  private byte[] outBuf = new byte[OUT_BUFFER];
  private int outLen;

  private SmtpChannel(String id, Socket tcp) throws IOException {
    this.id = id;
    this.tcp = tcp;
    this.socket = tcp;
    this.in = tcp.getInputStream();
    this.out = tcp.getOutputStream();
  }

  /** Opens a TCP connection, failing after {@code timeout}. */
  static SmtpChannel connect(String id, InetSocketAddress address, Duration timeout)
      throws IOException {
    Socket tcp = new Socket();
    try {
      // Commands are flushed as whole batches; Nagle would only add delayed-ACK stalls.
      tcp.setTcpNoDelay(true);
      tcp.connect(address, Math.toIntExact(Math.max(1, timeout.toMillis())));
      return new SmtpChannel(id, tcp);
    } catch (IOException | RuntimeException e) {
      tcp.close();
      throw e;
    }
  }

  String id() {
    return id;
  }

  // ---- replies -------------------------------------------------------------------------------

  /** Reads one complete (possibly multi-line) reply, waiting at most {@code timeout} per read. */
  RemoteReply readReply(Duration timeout) throws IOException {
    socket.setSoTimeout(Math.toIntExact(Math.max(1, timeout.toMillis())));
    List<String> texts = new ArrayList<>();
    int code;
    while (true) {
      String line = readLine();
      log.debug("{} S: {}", id, line);
      if (line.length() < 3
          || !Character.isDigit(line.charAt(0))
          || !Character.isDigit(line.charAt(1))
          || !Character.isDigit(line.charAt(2))
          || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
        throw new MalformedReplyException("not an SMTP reply line: " + abbreviate(line));
      }
      code = Integer.parseInt(line.substring(0, 3));
      if (code < 200 || code > 599) {
        throw new MalformedReplyException("reply code out of range: " + abbreviate(line));
      }
      texts.add(line.length() > 4 ? line.substring(4) : "");
      boolean more = line.length() > 3 && line.charAt(3) == '-';
      if (!more) {
        break;
      }
      if (texts.size() >= MAX_REPLY_LINES) {
        throw new MalformedReplyException("reply longer than " + MAX_REPLY_LINES + " lines");
      }
    }
    // A multi-line reply whose codes differ: use the last line's code, as Postfix does.
    return new RemoteReply(code, RemoteReply.enhancedPrefix(code, texts.get(0)), texts);
  }

  /** One line without its CRLF (or bare LF); bytes past {@link #MAX_LINE} are dropped. */
  private String readLine() throws IOException {
    byte[] line = new byte[256];
    int len = 0;
    boolean truncated = false;
    while (true) {
      if (inPos == inLimit) {
        int n = in.read(inBuf);
        if (n < 0) {
          throw new EOFException("connection closed by the server");
        }
        inPos = 0;
        inLimit = n;
      }
      byte b = inBuf[inPos++];
      if (b == '\n') {
        if (len > 0 && line[len - 1] == '\r') {
          len--;
        }
        // A stray CR inside a line is not a line break (RFC 5321 §2.3.8); keep it out of texts.
        String text = new String(line, 0, len, UTF_8).replace('\r', ' ');
        return truncated ? text + "..." : text;
      }
      if (len == MAX_LINE) {
        truncated = true;
        continue;
      }
      if (len == line.length) {
        line = Arrays.copyOf(line, Math.min(MAX_LINE, len * 2));
      }
      line[len++] = b;
    }
  }

  /** Bytes received and not yet read: after STARTTLS's 220 there must be none (RFC 3207 §4.2). */
  int bufferedInput() throws IOException {
    return (inLimit - inPos) + in.available();
  }

  // ---- writing -------------------------------------------------------------------------------

  /** Buffers one command line; {@code logAs} replaces it in the log (for credentials). */
  void command(String line, String logAs) {
    log.debug("{} C: {}", id, logAs == null ? line : logAs);
    byte[] bytes = (line + "\r\n").getBytes(UTF_8);
    // A pipelined batch may exceed the buffer; the caller bounds batches (PIPELINE_WINDOW).
    if (outLen + bytes.length > outBuf.length) {
      outBuf = Arrays.copyOf(outBuf, Math.max(outBuf.length * 2, outLen + bytes.length));
    }
    System.arraycopy(bytes, 0, outBuf, outLen, bytes.length);
    outLen += bytes.length;
  }

  void command(String line) {
    command(line, null);
  }

  /** Buffers content bytes, writing the buffer whenever it fills, with the given deadline. */
  void content(byte[] bytes, int off, int len, Duration timeout) throws IOException {
    while (len > 0) {
      if (outLen >= OUT_BUFFER) {
        flush(timeout);
      }
      int n = Math.min(len, OUT_BUFFER - outLen);
      System.arraycopy(bytes, off, outBuf, outLen, n);
      outLen += n;
      off += n;
      len -= n;
    }
  }

  /** Writes everything buffered, closing the connection if that takes longer than timeout. */
  void flush(Duration timeout) throws IOException {
    if (outLen > 0) {
      int n = outLen;
      outLen = 0;
      WriteDeadline.write(tcp, out, outBuf, 0, n, timeout);
    }
    if (outBuf.length > OUT_BUFFER) {
      outBuf = new byte[OUT_BUFFER];
    }
  }

  // ---- TLS -----------------------------------------------------------------------------------

  /**
   * Runs the TLS handshake over the current connection and switches to the TLS streams.
   *
   * @param host the name for SNI and for the certificate check, as {@code parameters} configure
   */
  SSLSession startTls(
      SSLSocketFactory factory, String host, SSLParameters parameters, Duration timeout)
      throws IOException {
    SSLSocket tls = (SSLSocket) factory.createSocket(tcp, host, tcp.getPort(), true);
    tls.setUseClientMode(true);
    tls.setSSLParameters(parameters);
    tls.setSoTimeout(Math.toIntExact(Math.max(1, timeout.toMillis())));
    tls.startHandshake();
    socket = tls;
    in = tls.getInputStream();
    out = tls.getOutputStream();
    inPos = 0;
    inLimit = 0;
    SSLSession session = tls.getSession();
    log.debug("{} TLS {} {}", id, session.getProtocol(), session.getCipherSuite());
    return session;
  }

  /** Closes the connection at once (no QUIT); idempotent. */
  @Override
  public void close() {
    try {
      tcp.close();
    } catch (IOException e) {
      log.debug("{} close: {}", id, e.toString());
    }
  }

  private static String abbreviate(String line) {
    return line.length() <= 80 ? line : line.substring(0, 80) + "...";
  }
}
