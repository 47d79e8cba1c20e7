package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny SMTP server on loopback that follows a script per connection, for the faults real servers
 * will not produce on demand: silence, resets mid-DATA, data before the TLS handshake, malformed
 * replies. Each accepted connection runs the next script (the last one repeats) on its own thread;
 * every line it reads is recorded.
 */
final class ScriptedPeer implements AutoCloseable {

  /** What the server does on one connection. */
  @FunctionalInterface
  interface Script {
    void run(Conversation conversation) throws IOException;
  }

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

  private final ServerSocket server;
  private final List<Script> scripts;
  private final AtomicInteger accepted = new AtomicInteger();
  private final List<Conversation> conversations = new CopyOnWriteArrayList<>();
  private final List<Throwable> errors = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);

  private ScriptedPeer(ServerSocket server, List<Script> scripts) {
    this.server = server;
    this.scripts = scripts;
    Thread.ofPlatform().daemon().name("scripted-peer").start(this::acceptLoop);
  }

  static ScriptedPeer start(Script... scripts) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return new ScriptedPeer(server, List.of(scripts));
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        return;
      }
      int n = accepted.getAndIncrement();
      Script script = scripts.get(Math.min(n, scripts.size() - 1));
      Thread.ofPlatform()
          .daemon()
          .name("scripted-peer-" + n)
          .start(
              () -> {
                try (socket) {
                  socket.setSoTimeout(Math.toIntExact(READ_TIMEOUT.toMillis()));
                  Conversation conversation = new Conversation(socket, closed);
                  conversations.add(conversation);
                  script.run(conversation);
                } catch (IOException | RuntimeException | AssertionError e) {
                  errors.add(e);
                }
              });
    }
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  SmtpTarget target(TlsPolicy tls) {
    return SmtpTarget.of(address(), "localhost", tls);
  }

  /** How many connections were accepted. */
  int connections() {
    return accepted.get();
  }

  /** The conversations so far, in order of acceptance. */
  List<Conversation> conversations() {
    return List.copyOf(conversations);
  }

  /** What the scripts threw (a script that expected other input, for instance). */
  List<Throwable> errors() {
    return List.copyOf(errors);
  }

  @Override
  public void close() throws IOException {
    closed.countDown();
    server.close();
    for (Conversation c : conversations) {
      c.socket.close();
    }
  }

  /** One connection as the script sees it. */
  static final class Conversation {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch peerClosed;

    Conversation(Socket socket, CountDownLatch peerClosed) throws IOException {
      this.socket = socket;
      this.peerClosed = peerClosed;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    /** Sends the lines, each with CRLF, in one write. */
    void send(String... replies) throws IOException {
      StringBuilder text = new StringBuilder();
      for (String reply : replies) {
        text.append(reply).append("\r\n");
      }
      out.write(text.toString().getBytes(UTF_8));
      out.flush();
    }

    /** Sends raw bytes. */
    void sendRaw(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    /** The next line without CRLF, or null at end of stream; recorded. */
    String readLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          byte[] bytes = line.toByteArray();
          int len =
              bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
          String text = new String(bytes, 0, len, UTF_8);
          lines.add(text);
          return text;
        }
        line.write(b);
      }
      return null;
    }

    /** Reads a line and checks that it starts with {@code prefix} (ignoring case). */
    String expect(String prefix) throws IOException {
      String line = readLine();
      if (line == null || !line.regionMatches(true, 0, prefix, 0, prefix.length())) {
        throw new AssertionError("expected " + prefix + "..., got " + line);
      }
      return line;
    }

    /** Greets and answers EHLO with these extension lines. */
    void greetAndEhlo(String... extensions) throws IOException {
      send("220 peer.test ESMTP scripted");
      expect("EHLO ");
      String[] reply = new String[extensions.length + 1];
      for (int i = 0; i < reply.length; i++) {
        String text = i == 0 ? "peer.test" : extensions[i - 1];
        reply[i] = "250" + (i == reply.length - 1 ? " " : "-") + text;
      }
      send(reply);
    }

    /** Reads DATA content up to the final dot; returns it as received (still dot-stuffed). */
    String readData() throws IOException {
      StringBuilder content = new StringBuilder();
      String line;
      while ((line = readLine()) != null && !line.equals(".")) {
        content.append(line).append("\r\n");
      }
      return content.toString();
    }

    /** Reads n bytes (or up to the end of stream); returns how many. */
    long skip(long n) throws IOException {
      long total = 0;
      byte[] buf = new byte[65536];
      while (total < n) {
        int r = in.read(buf, 0, (int) Math.min(buf.length, n - total));
        if (r < 0) {
          break;
        }
        total += r;
      }
      return total;
    }

    /** Reads until the client closes; true if it did within the read timeout. */
    boolean awaitClientClose() throws IOException {
      byte[] buf = new byte[8192];
      while (in.read(buf) >= 0) {
        // discard
      }
      return true;
    }

    /** Does nothing, reading nothing, until the test closes the peer (bounded). */
    void holdUntilClosed() throws IOException {
      try {
        if (!peerClosed.await(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IOException("held for " + READ_TIMEOUT + " and the test did not close");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Aborts the connection with a TCP reset. */
    void reset() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close();
    }

    /** The lines read so far. */
    List<String> lines() {
      synchronized (lines) {
        return List.copyOf(lines);
      }
    }
  }
}
