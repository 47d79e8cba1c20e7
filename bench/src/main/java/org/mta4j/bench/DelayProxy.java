package org.mta4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on loopback that models a link with a round-trip time: every byte is forwarded
 * {@code delayMs} after it was read, in each direction, so a request and its reply take {@code 2 ×
 * delayMs}. Unlike {@code tc netem} it touches nothing but its own sockets.
 *
 * <pre>
 *   java -cp ... org.mta4j.bench.DelayProxy &lt;listenPort&gt; &lt;targetPort&gt; [delayMs=10] [handshakeMs=30]
 * </pre>
 *
 * <p>Listens on {@code 127.0.0.1:listenPort} and connects each client to {@code
 * 127.0.0.1:targetPort}. The kernel completes the client's TCP handshake at once, so the proxy
 * opens the upstream connection only {@code handshakeMs} later (default 1.5 RTT: SYN, SYN-ACK and
 * the ACK that lets the server's {@code accept()} return): with the greeting's own one-way delay
 * the client sees the server's greeting 2 RTT after it connected, as over a real link. Bandwidth
 * is not limited; data keeps its order and its chunking (each read is one timed chunk); a
 * half-close is passed on after the same delay.
 *
 * <p>Two platform threads per direction and connection (reader and timed writer; a parked platform
 * thread wakes within ~0.1 ms), at most {@value #MAX_CONNECTIONS} connections at once. Prints
 * {@code READY <port>}, then answers on stdin:
 *
 * <ul>
 *   <li>{@code STATS} → {@code STATS <connections> <open> <bytesUp> <bytesDown> <chunks>
 *       <meanLateMicros> <maxLateMicros>}: connections accepted since the last reset, open now,
 *       bytes client→server and server→client, and how late the chunks were written compared with
 *       their due time (the proxy's own error);
 *   <li>{@code RESET} → {@code RESET}; {@code QUIT} or end of stdin → exits.
 * </ul>
 */
public final class DelayProxy {
  static final int MAX_CONNECTIONS = 200;
  private static final byte[] EOF = new byte[0];

  private final InetSocketAddress target;
  private final long delayNanos;
  private final long handshakeNanos;
  private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong bytesUp = new AtomicLong();
  private final AtomicLong bytesDown = new AtomicLong();
  private final AtomicLong chunks = new AtomicLong();
  private final AtomicLong lateNanos = new AtomicLong();
  private final AtomicLong maxLateNanos = new AtomicLong();

  private DelayProxy(int targetPort, long delayMs, long handshakeMs) {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMs);
    this.handshakeNanos = TimeUnit.MILLISECONDS.toNanos(handshakeMs);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 4) {
      System.err.println("usage: DelayProxy <listenPort> <targetPort> [delayMs=10] [handshakeMs=30]");
      System.exit(2);
    }
    int listenPort = Integer.parseInt(args[0]);
    int targetPort = Integer.parseInt(args[1]);
    long delayMs = args.length > 2 ? Long.parseLong(args[2]) : 10;
    long handshakeMs = args.length > 3 ? Long.parseLong(args[3]) : 3 * delayMs;
    if (delayMs < 0 || delayMs > 10_000 || handshakeMs < 0 || handshakeMs > 30_000) {
      throw new IllegalArgumentException("delayMs 0..10000, handshakeMs 0..30000");
    }
    DelayProxy proxy = new DelayProxy(targetPort, delayMs, handshakeMs);
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort), 1024);
    Thread.ofPlatform().name("proxy-accept").daemon(true).start(() -> proxy.acceptLoop(server));

    PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
    out.println("READY " + listenPort);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      switch (line.trim()) {
        case "STATS" -> out.println(proxy.stats());
        case "RESET" -> {
          proxy.reset();
          out.println("RESET");
        }
        case "QUIT" -> System.exit(0);
        case "" -> {}
        default -> out.println("ERROR unknown command " + line);
      }
    }
    System.exit(0);
  }

  private String stats() {
    long n = chunks.get();
    return "STATS " + connections.get() + " " + open.get() + " " + bytesUp.get() + " "
        + bytesDown.get() + " " + n + " " + (n == 0 ? 0 : lateNanos.get() / n / 1000) + " "
        + maxLateNanos.get() / 1000;
  }

  private void reset() {
    connections.set(0);
    bytesUp.set(0);
    bytesDown.set(0);
    chunks.set(0);
    lateNanos.set(0);
    maxLateNanos.set(0);
  }

  private void acceptLoop(ServerSocket server) {
    while (true) {
      Socket client;
      try {
        slots.acquire();
        client = server.accept();
      } catch (IOException | InterruptedException e) {
        return;
      }
      long acceptedAt = System.nanoTime();
      connections.incrementAndGet();
      open.incrementAndGet();
      Thread.ofPlatform().name("proxy-conn").daemon(true).start(() -> connect(client, acceptedAt));
    }
  }

  /** After the modelled handshake, connects upstream and starts the four pump threads. */
  private void connect(Socket client, long acceptedAt) {
    Socket upstream = new Socket();
    try {
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      sleepUntil(acceptedAt + handshakeNanos);
      upstream.connect(target, 10_000);
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(upstream);
      done();
      return;
    }
    Connection c = new Connection(client, upstream);
    c.pump(client, upstream, bytesUp);
    c.pump(upstream, client, bytesDown);
  }

  /** One proxied connection; closes both sockets when both directions have ended. */
  private final class Connection {
    private final Socket a;
    private final Socket b;
    private int directionsLeft = 2;

    Connection(Socket a, Socket b) {
      this.a = a;
      this.b = b;
    }

    void pump(Socket from, Socket to, AtomicLong counter) {
      BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
      Thread.ofPlatform().name("proxy-read").daemon(true).start(() -> {
        byte[] buf = new byte[64 * 1024];
        try {
          InputStream in = from.getInputStream();
          int n;
          while ((n = in.read(buf)) > 0) {
            queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)));
          }
        } catch (IOException e) {
          // reset or closed: pass the end on
        }
        queue.add(new Chunk(System.nanoTime() + delayNanos, EOF));
      });
      Thread.ofPlatform().name("proxy-write").daemon(true).start(() -> {
        try {
          OutputStream out = to.getOutputStream();
          while (true) {
            Chunk c = queue.take();
            sleepUntil(c.due());
            long late = System.nanoTime() - c.due();
            if (c.bytes() == EOF) {
              to.shutdownOutput();
              break;
            }
            out.write(c.bytes());
            out.flush();
            counter.addAndGet(c.bytes().length);
            chunks.incrementAndGet();
            lateNanos.addAndGet(late);
            maxLateNanos.accumulateAndGet(late, Math::max);
          }
        } catch (IOException | InterruptedException e) {
          closeQuietly(a);
          closeQuietly(b);
        }
        directionDone();
      });
    }

    private void directionDone() {
      boolean last;
      synchronized (this) {
        last = --directionsLeft == 0;
      }
      if (last) {
        closeQuietly(a);
        closeQuietly(b);
        done();
      }
    }
  }

  private record Chunk(long due, byte[] bytes) {}

  private void done() {
    open.decrementAndGet();
    slots.release();
  }

  private static void sleepUntil(long due) {
    long left;
    while ((left = due - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
