package org.mta4j.server.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mta4j.server.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners: one thread accepts per listener, each connection runs on its own virtual thread.
 * The accepting thread is virtual too, so that starting a session is a task queued inside the
 * virtual-thread scheduler rather than submitted from outside it (with one message per connection
 * this measurably cut the server's CPU per message). A semaphore taken before {@code accept()}
 * bounds the total number of sessions (further clients wait in the listen backlog, as with
 * Postfix's process limit); a per-client count refuses one address that takes too many. One more
 * virtual thread sweeps the sessions for overdue reads ({@link ReadDeadline}).
 */
public final class SmtpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);

  private final ServerConfig config;
  private final Semaphore connections;
  private final Map<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();
  private final Set<SmtpSession> sessions = ConcurrentHashMap.newKeySet();
  private final Set<Thread> sessionThreads = ConcurrentHashMap.newKeySet();
  private final List<ServerSocket> serverSockets = new ArrayList<>();
  private final List<Thread> acceptors = new ArrayList<>();
  private Thread sweeper;
  private final AtomicLong sessionCounter = new AtomicLong();
  private final BufferPool buffers = new BufferPool(64);
  private volatile boolean shuttingDown;
  private boolean started;

  public SmtpServer(ServerConfig config) {
    this.config = config;
    this.connections = new Semaphore(config.maxConnections());
  }

  ServerConfig config() {
    return config;
  }

  boolean isShuttingDown() {
    return shuttingDown;
  }

  String nextTransactionId() {
    return config.transactionIds().get();
  }

  BufferPool buffers() {
    return buffers;
  }

  /** Binds every listener and starts accepting. */
  public synchronized void start() throws IOException {
    if (started) {
      throw new IllegalStateException("already started");
    }
    if (shuttingDown) {
      // the accept loops would end at once and leave the sockets bound, with nobody to close them
      throw new IllegalStateException("closed; build a new Mta to start again");
    }
    started = true;
    try {
      for (Listener listener : config.listeners()) {
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        serverSockets.add(ss);
        ss.bind(new InetSocketAddress(InetLiterals.parse(listener.host()), listener.port()), 4096);
        List<Cidr> proxies = listener.proxyProtocolFrom().stream().map(Cidr::parse).toList();
        Thread t =
            Thread.ofVirtual()
                .name("mta4j-acceptor-" + ss.getLocalPort())
                .start(() -> acceptLoop(ss, listener, proxies));
        acceptors.add(t);
        log.info(
            "listening on {}:{}{}",
            listener.host(),
            ss.getLocalPort(),
            listener.implicitTls() ? " (implicit TLS)" : "");
      }
    } catch (IOException | RuntimeException e) {
      closeSockets();
      throw e;
    }
    Duration period = sweepPeriod(config.commandTimeout(), config.dataTimeout());
    sweeper = Thread.ofVirtual().name("mta4j-timeouts").start(() -> sweepTimeouts(period));
  }

  /** The bound ports, in listener order. */
  public synchronized List<Integer> boundPorts() {
    return serverSockets.stream().map(ServerSocket::getLocalPort).toList();
  }

  /** The number of open sessions. */
  public int activeSessions() {
    return sessions.size();
  }

  /** A tenth of the shorter timeout, between 5 ms and 1 s: how late a timeout may be. */
  static Duration sweepPeriod(Duration commandTimeout, Duration dataTimeout) {
    Duration shorter = commandTimeout.compareTo(dataTimeout) <= 0 ? commandTimeout : dataTimeout;
    Duration tenth = shorter.dividedBy(10);
    Duration min = Duration.ofMillis(5);
    Duration max = Duration.ofSeconds(1);
    return tenth.compareTo(min) < 0 ? min : tenth.compareTo(max) > 0 ? max : tenth;
  }

  private void sweepTimeouts(Duration period) {
    while (!shuttingDown) {
      try {
        Thread.sleep(period);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (SmtpSession s : sessions) {
        s.checkTimeout(now);
      }
    }
  }

  private void acceptLoop(ServerSocket ss, Listener listener, List<Cidr> proxies) {
    while (!shuttingDown) {
      Socket socket;
      try {
        connections.acquire();
      } catch (InterruptedException e) {
        return;
      }
      try {
        socket = ss.accept();
      } catch (IOException e) {
        connections.release();
        if (!shuttingDown) {
          log.warn("accept failed on port {}: {}", ss.getLocalPort(), e.toString());
          continue;
        }
        return;
      }
      String id = Long.toString(sessionCounter.incrementAndGet(), 36);
      SmtpSession session = new SmtpSession(this, socket, listener.implicitTls(), id);
      boolean proxied = !proxies.isEmpty() && Cidr.anyContains(proxies, socket.getInetAddress());
      ClientSlot slot = new ClientSlot(proxied);
      sessions.add(session);
      try {
        Thread.ofVirtual()
            .name("mta4j-smtpd-" + id)
            .start(
                () -> {
                  sessionThreads.add(Thread.currentThread());
                  try {
                    session.run(slot);
                  } finally {
                    sessions.remove(session);
                    sessionThreads.remove(Thread.currentThread());
                    connections.release();
                  }
                });
      } catch (RuntimeException | OutOfMemoryError e) {
        sessions.remove(session);
        connections.release();
        session.forceClose();
        log.error("could not start a session thread", e);
      }
    }
  }

  /**
   * The 16 KiB buffers a session uses once it carries a message (its input buffer and its content
   * buffer), kept for later sessions: with one message per connection, allocating and zeroing two
   * per connection was a measurable share of the server's CPU. Bounded (at most {@code capacity}
   * buffers wait here), so an idle server holds little; sessions that find it empty allocate.
   */
  static final class BufferPool {
    static final int BUFFER_SIZE = 16 * 1024;

    private final ArrayBlockingQueue<byte[]> free;

    BufferPool(int capacity) {
      this.free = new ArrayBlockingQueue<>(capacity);
    }

    byte[] take() {
      byte[] b = free.poll();
      return b != null ? b : new byte[BUFFER_SIZE];
    }

    /** Gives back a buffer nobody refers to any more; other sizes are left to the GC. */
    void give(byte[] b) {
      if (b.length == BUFFER_SIZE) {
        free.offer(b);
      }
    }
  }

  /**
   * The per-client connection count of one session. It is taken once the real client address is
   * known, which behind a PROXY-protocol balancer is only after the header.
   */
  final class ClientSlot {
    private final boolean proxyExpected;
    private boolean admitted;

    ClientSlot(boolean proxyExpected) {
      this.proxyExpected = proxyExpected;
    }

    boolean proxyExpected() {
      return proxyExpected;
    }

    boolean admit(InetAddress client) {
      AtomicInteger count = perClient.computeIfAbsent(client, a -> new AtomicInteger());
      if (count.incrementAndGet() > config.maxConnectionsPerClient()) {
        release(client);
        return false;
      }
      admitted = true;
      return true;
    }

    void release(InetAddress client) {
      perClient.computeIfPresent(client, (a, c) -> c.decrementAndGet() <= 0 ? null : c);
      admitted = false;
    }

    boolean admitted() {
      return admitted;
    }
  }

  /**
   * Stops accepting, tells idle sessions to go ({@code 421 4.3.2}), lets busy ones finish their
   * transaction for up to the grace period, then closes what is left.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (shuttingDown) {
        return;
      }
      shuttingDown = true;
    }
    closeSockets();
    for (Thread t : acceptors) {
      t.interrupt();
    }
    if (sweeper != null) {
      sweeper.interrupt();
    }
    for (SmtpSession s : sessions) {
      s.shutdownIfIdle();
    }
    long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
    for (Thread t : List.copyOf(sessionThreads)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        t.join(Duration.ofNanos(left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (SmtpSession s : sessions) {
      log.info("closing session {} with {} at shutdown", s.id(), s.client());
      s.forceClose();
    }
    try {
      // give force-closed sessions a moment to run their finally blocks
      connections.tryAcquire(config.maxConnections(), 1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeSockets() {
    for (ServerSocket ss : serverSockets) {
      try {
        ss.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
