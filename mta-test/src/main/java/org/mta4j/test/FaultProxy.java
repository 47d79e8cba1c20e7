package org.mta4j.test;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.mta4j.smtp.SmtpReply;

/**
 * A loopback TCP proxy in front of the kit's mta4j. It passes bytes through, keeps the transcript,
 * and injects the faults the server's policy hooks cannot express: a reply to the DATA command, and
 * a disconnect, stall or delay in the middle of the content. It also closes a connection when a
 * policy hook asks for a disconnect without reply.
 *
 * <p>It follows the session in plain text only: commands are lines, each command (and the end of
 * the content) gets exactly one reply, in order (RFC 5321 §4.2, RFC 2920 §3.1), so the proxy knows
 * which reply answers which command. After a successful STARTTLS it passes bytes blindly.
 */
final class FaultProxy implements AutoCloseable {
  private static final int MAX_LINE = 64 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final InetSocketAddress target;
  private final FaultScript script;
  private final Transcript transcript;
  private final ServerSocket listener;
  private final Map<Integer, Link> byServerSidePort = new ConcurrentHashMap<>();
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  FaultProxy(int port, InetSocketAddress target, FaultScript script, Transcript transcript)
      throws IOException {
    this.target = target;
    this.script = script;
    this.transcript = transcript;
    this.listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
    Thread.ofVirtual().name("mta-test-proxy-accept").start(this::acceptLoop);
  }

  int port() {
    return listener.getLocalPort();
  }

  InetAddress address() {
    return listener.getInetAddress();
  }

  /** Connections accepted since the last {@link #resetCount()}. */
  int connections() {
    return connections.get();
  }

  void resetCount() {
    connections.set(0);
  }

  /**
   * Closes, without a word, the connection whose server-side socket has this local port (as the
   * server's policy hooks see the client); false if there is none.
   */
  boolean abort(int serverSidePort) {
    Link link = byServerSidePort.get(serverSidePort);
    if (link == null) {
      return false;
    }
    link.abort("disconnected by the script");
    return true;
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Link link : links) {
      link.abort("server closed");
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      int number = connections.incrementAndGet();
      Socket server = new Socket();
      Link link = new Link(number, client, server);
      try {
        // bound first, so that the server's policy hooks can find this link by its port as soon
        // as the session starts
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        byServerSidePort.put(server.getLocalPort(), link);
        links.add(link);
        server.connect(target, CONNECT_TIMEOUT_MILLIS);
        server.setTcpNoDelay(true);
        client.setTcpNoDelay(true);
        // the server trusts the kit for the PROXY protocol, so sessions see the real client
        server.getOutputStream().write(proxyHeader(client));
        transcript.note(
            link.generation, number, "connected from " + client.getRemoteSocketAddress());
        link.start();
      } catch (IOException e) {
        link.abort("cannot reach the server: " + e);
      }
    }
  }

  /** A PROXY protocol v1 line naming the client and the address it connected to. */
  static byte[] proxyHeader(Socket client) {
    InetSocketAddress from = (InetSocketAddress) client.getRemoteSocketAddress();
    InetSocketAddress to = (InetSocketAddress) client.getLocalSocketAddress();
    String family = from.getAddress() instanceof java.net.Inet6Address ? "TCP6" : "TCP4";
    return ("PROXY "
            + family
            + " "
            + from.getAddress().getHostAddress()
            + " "
            + to.getAddress().getHostAddress()
            + " "
            + from.getPort()
            + " "
            + to.getPort()
            + "\r\n")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  /** Reads bytes one at a time from a buffer; flushes {@code flushFirst} before it blocks. */
  private static final class Input {
    private final InputStream in;
    private final OutputStream flushFirst;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;

    Input(InputStream in, OutputStream flushFirst) {
      this.in = in;
      this.flushFirst = flushFirst;
    }

    /** The next byte without taking it, or -1 at end of stream; may block. */
    int peek() throws IOException {
      if (pos == limit && !fill()) {
        return -1;
      }
      return buf[pos] & 0xff;
    }

    int read() throws IOException {
      int b = peek();
      if (b >= 0) {
        pos++;
      }
      return b;
    }

    /** A line up to and including LF (or what came before end of stream), or null at its end. */
    byte[] readLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream(128);
      int b;
      while ((b = read()) >= 0) {
        line.write(b);
        if (b == '\n' || line.size() >= MAX_LINE) {
          break;
        }
      }
      return line.size() == 0 ? null : line.toByteArray();
    }

    /** Passes everything buffered and everything after to {@code out}, to the end of stream. */
    void transferTo(OutputStream out) throws IOException {
      out.write(buf, pos, limit - pos);
      pos = limit;
      out.flush();
      byte[] chunk = new byte[8192];
      int n;
      while ((n = in.read(chunk)) > 0) {
        out.write(chunk, 0, n);
        out.flush();
      }
    }

    private boolean fill() throws IOException {
      flushFirst.flush();
      int n = in.read(buf);
      if (n <= 0) {
        return false;
      }
      pos = 0;
      limit = n;
      return true;
    }
  }

  /** One client connection and its connection to the server. */
  private final class Link {
    private final int number;
    private final int generation = transcript.generation();
    private final Socket client;
    private final Socket server;
    private final AtomicBoolean aborted = new AtomicBoolean();
    private final AtomicInteger pumpsDone = new AtomicInteger();
    // replies to send instead of the server's, by command number (the greeting is reply 0)
    private final Map<Long, SmtpReply> substitutes = new ConcurrentHashMap<>();
    // set by the server-to-client pump before it forwards the reply that starts the mode, so the
    // client-to-server pump sees it before the client can send another byte
    private volatile boolean content;
    private volatile boolean raw;
    private volatile long dataCommand = -1;
    private volatile long startTlsCommand = -1;

    Link(int number, Socket client, Socket server) {
      this.number = number;
      this.client = client;
      this.server = server;
    }

    void start() {
      Thread.ofVirtual().name("mta-test-proxy-c" + number).start(this::clientToServer);
      Thread.ofVirtual().name("mta-test-proxy-s" + number).start(this::serverToClient);
    }

    void abort(String why) {
      if (aborted.compareAndSet(false, true)) {
        transcript.note(generation, number, why);
        end();
      }
    }

    private void end() {
      closeQuietly(client);
      closeQuietly(server);
      links.remove(this);
      byServerSidePort.remove(server.getLocalPort());
    }

    /** A pump reached end of stream: half-close the other way; the second one closes both. */
    private void pumpDone(Socket towards) {
      try {
        if (!towards.isClosed()) {
          towards.shutdownOutput();
        }
      } catch (IOException e) {
        // already gone
      }
      if (pumpsDone.incrementAndGet() == 2) {
        end();
      }
    }

    private void clientToServer() {
      try {
        OutputStream out = new BufferedOutputStream(server.getOutputStream());
        Input in = new Input(client.getInputStream(), out);
        long command = 1;
        while (in.peek() >= 0) {
          if (raw) {
            in.transferTo(out);
            break;
          }
          if (content) {
            content = false;
            if (!forwardContent(in, out)) {
              return;
            }
            command++; // the final dot is answered like a command
            continue;
          }
          byte[] line = in.readLine();
          String text = ascii(line).strip();
          transcript.client(generation, number, text);
          String verb = verb(text);
          if (verb.equals("DATA")) {
            switch (data(command, out)) {
              case FORWARD -> {
                dataCommand = command;
                out.write(line);
              }
              case REPLACED -> {
                // RSET went in its place
              }
              case ENDED -> {
                return;
              }
            }
          } else if (verb.equals("STARTTLS")) {
            startTlsCommand = command;
            out.write(line);
          } else if (verb.equals("BDAT")) {
            out.write(line);
            forwardChunk(in, out, text);
          } else {
            out.write(line);
          }
          command++;
        }
        out.flush();
        pumpDone(server);
      } catch (IOException e) {
        abort("client side: " + e.getMessage());
      }
    }

    /**
     * Applies the DATA stage's faults. A scripted reply sends RSET in place of DATA (so the
     * server's transaction ends as the client believes) and answers with the script's reply instead
     * of RSET's.
     */
    private DataOutcome data(long command, OutputStream out) throws IOException {
      for (FaultScript.Strike strike : script.occur(Stage.DATA)) {
        switch (strike.action()) {
          case FaultScript.Delay d -> {
            out.flush();
            script.pause(d.delay());
          }
          case FaultScript.Reply r -> {
            substitutes.put(command, r.reply());
            dataCommand = -1;
            out.write("RSET\r\n".getBytes(StandardCharsets.US_ASCII));
            transcript.note(
                generation,
                number,
                "DATA sent to the server as RSET; the client gets " + r.reply());
            return DataOutcome.REPLACED;
          }
          case FaultScript.Disconnect x -> {
            abort("disconnected at DATA by the script");
            return DataOutcome.ENDED;
          }
          case FaultScript.Stall s -> {
            stall(out, "stalled at DATA by the script");
            return DataOutcome.ENDED;
          }
        }
      }
      return DataOutcome.FORWARD;
    }

    /** The content after 354, up to and including the final dot; false if the link ended. */
    private boolean forwardContent(Input in, OutputStream out) throws IOException {
      List<FaultScript.Strike> strikes = new ArrayList<>(script.occur(Stage.CONTENT));
      strikes.sort(Comparator.comparingLong(FaultScript.Strike::afterBytes));
      long n = 0;
      int state = 1; // 0 inside a line, 1 at a line start, 2 after a leading dot, 3 after ".\r"
      while (true) {
        while (!strikes.isEmpty() && strikes.get(0).afterBytes() <= n) {
          FaultScript.Action action = strikes.remove(0).action();
          switch (action) {
            case FaultScript.Delay d -> {
              out.flush();
              script.pause(d.delay());
            }
            case FaultScript.Disconnect x -> {
              out.flush();
              abort("disconnected after " + n + " bytes of content by the script");
              return false;
            }
            case FaultScript.Stall s -> {
              stall(out, "stalled after " + n + " bytes of content by the script");
              return false;
            }
            case FaultScript.Reply r -> throw new IllegalStateException("no reply in content");
          }
        }
        int b = in.read();
        if (b < 0) {
          throw new EOFException("client closed during the content after " + n + " bytes");
        }
        out.write(b);
        n++;
        if (b == '\n') {
          if (state == 3) {
            transcript.client(generation, number, "[" + (n - 3) + " bytes of content]");
            transcript.client(generation, number, ".");
            return true;
          }
          state = 1;
        } else if (state == 1 && b == '.') {
          state = 2;
        } else if (state == 2 && b == '\r') {
          state = 3;
        } else {
          state = 0;
        }
      }
    }

    private void forwardChunk(Input in, OutputStream out, String bdat) throws IOException {
      String[] parts = bdat.split(" +");
      long size;
      try {
        size = parts.length > 1 ? Long.parseLong(parts[1]) : 0;
      } catch (NumberFormatException e) {
        return; // the server refuses the syntax and closes
      }
      for (long i = 0; i < size; i++) {
        int b = in.read();
        if (b < 0) {
          throw new EOFException("client closed during a BDAT chunk");
        }
        out.write(b);
      }
      transcript.client(generation, number, "[" + size + " bytes of content]");
    }

    private void stall(OutputStream out, String why) throws IOException {
      out.flush();
      transcript.note(generation, number, why);
      script.pause(FaultScript.MAX_STALL);
      abort("stall ended");
    }

    private void serverToClient() {
      try {
        OutputStream out = new BufferedOutputStream(client.getOutputStream());
        Input in = new Input(server.getInputStream(), out);
        long reply = 0;
        List<byte[]> lines = new ArrayList<>();
        while (true) {
          if (raw) {
            in.transferTo(out);
            break;
          }
          byte[] line = in.readLine();
          if (line == null) {
            break;
          }
          lines.add(line);
          String text = ascii(line).stripTrailing();
          if (text.length() >= 4 && text.charAt(3) == '-') {
            continue; // RFC 5321 §4.2.1: a multi-line reply goes on
          }
          int code = code(text);
          SmtpReply substitute = substitutes.remove(reply);
          if (substitute != null) {
            transcript.note(
                generation, number, "server said " + text + "; the script answers instead");
            transcript.server(generation, number, substitute.toString());
            out.write((substitute + "\r\n").getBytes(StandardCharsets.US_ASCII));
            if (substitute.code() == 421) {
              out.flush();
              abort("closed after the scripted 421");
              return;
            }
          } else {
            if (reply == dataCommand && code == 354) {
              content = true;
            } else if (reply == startTlsCommand && code == 220) {
              raw = true;
              transcript.note(
                  generation, number, "TLS starts; the proxy passes bytes blindly from here");
            }
            for (byte[] l : lines) {
              transcript.server(generation, number, ascii(l).stripTrailing());
              out.write(l);
            }
          }
          lines.clear();
          reply++;
        }
        out.flush();
        pumpDone(client);
      } catch (IOException e) {
        abort("server side: " + e.getMessage());
      }
    }
  }

  private enum DataOutcome {
    FORWARD,
    REPLACED,
    ENDED
  }

  private static String ascii(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static String verb(String command) {
    int space = command.indexOf(' ');
    return (space < 0 ? command : command.substring(0, space)).toUpperCase(Locale.ROOT);
  }

  private static int code(String reply) {
    if (reply.length() < 3) {
      return -1;
    }
    try {
      return Integer.parseInt(reply.substring(0, 3));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
