package org.mta4j.bench;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.SocketFactory;
import org.mta4j.Mta;
import org.mta4j.client.TlsPolicy;
import org.mta4j.event.MtaEvent;
import org.mta4j.routing.Route;
import org.mta4j.server.Listener;

/**
 * An application that sends mail to one SMTP destination, {@code 127.0.0.1:port}, in this JVM:
 *
 * <pre>
 *   java -cp ... org.mta4j.bench.OutboundClient mta4j &lt;port&gt; [destinationConcurrency]
 *   java -cp ... org.mta4j.bench.OutboundClient angus &lt;port&gt; [threads=1]
 * </pre>
 *
 * <p>Both build the same Jakarta Mail {@code MimeMessage} per message (From, To, Subject, a
 * 10,220-byte text body), as an application would, and hand it over:
 *
 * <ul>
 *   <li><b>mta4j</b>: {@code mta.submit(message)} from one thread (queued in-process in the default
 *       memory queue), delivered by the queue manager through the smarthost {@code
 *       127.0.0.1:port} without TLS; the default {@code destinationConcurrency} (20) unless given.
 *       The run ends when the event listener has seen an attempt end for every message.
 *   <li><b>angus</b>: {@code Transport.send(message)}, one connection per message (connect, EHLO,
 *       MAIL, RCPT, DATA, QUIT), from {@code threads} threads (default 1, an application's send
 *       loop), with a {@code TCP_NODELAY} socket factory (without it Nagle's algorithm and delayed
 *       ACKs add ~40 ms per message, an artefact of the client).
 * </ul>
 *
 * <p>Prints {@code READY <port>}, then answers on stdin: {@code RUN <n>} → sends n messages and
 * prints {@code DONE <elapsedNanos> <delivered> <failed> <firstFailure>}; {@code QUIT} → exits.
 * The elapsed time runs from the first message handed over until the last one was accepted by the
 * destination (mta4j: its delivery attempt ended; Angus: {@code Transport.send} returned).
 */
public final class OutboundClient {
  /** The most body bytes: whole lines of 73 bytes, 10,220 in all. */
  private static final int BODY_BYTES = 10_240;
  private static final Duration RUN_LIMIT = Duration.ofMinutes(20);
  static final String BODY = body();

  private OutboundClient() {}

  private interface Sender extends AutoCloseable {
    /** Sends {@code n} messages; returns {elapsedNanos, delivered, failed} and a first failure. */
    Result run(int n) throws Exception;

    @Override
    void close();
  }

  private record Result(long nanos, long delivered, long failed, String firstFailure) {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: OutboundClient <mta4j|angus> <port> [destinationConcurrency|threads]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[1]);
    Integer extra = args.length == 3 ? Integer.valueOf(args[2]) : null;
    Sender sender =
        switch (args[0]) {
          case "mta4j" -> new Mta4jSender(port, extra);
          case "angus" -> new AngusSender(port, extra == null ? 1 : extra);
          default -> throw new IllegalArgumentException("unknown client: " + args[0]);
        };
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
    out.println("READY " + port);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      String[] w = line.trim().split(" ");
      switch (w[0]) {
        case "RUN" -> {
          int n = Integer.parseInt(w[1]);
          if (n <= 0 || n > 1_000_000) {
            out.println("ERROR RUN needs 1..1000000");
            break;
          }
          Result r = sender.run(n);
          out.println("DONE " + r.nanos() + " " + r.delivered() + " " + r.failed() + " "
              + (r.firstFailure() == null ? "-" : r.firstFailure().replaceAll("\\s+", "_")));
        }
        case "QUIT" -> {
          sender.close();
          System.exit(0);
        }
        case "" -> {}
        default -> out.println("ERROR unknown command " + line);
      }
    }
    sender.close();
    System.exit(0);
  }

  /** The message an application would build: the same for both clients. */
  static MimeMessage message(Session session, int i) throws MessagingException {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("app@example.test"));
    m.setRecipients(Message.RecipientType.TO, "user@example.test");
    m.setSubject("bench message " + i);
    m.setText(BODY, "us-ascii");
    return m;
  }

  private static String body() {
    StringBuilder b = new StringBuilder(BODY_BYTES);
    String line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while (b.length() + line.length() <= BODY_BYTES) {
      b.append(line);
    }
    return b.toString();
  }

  /** mta4j as a null client: in-process submission, delivery by the queue manager. */
  private static final class Mta4jSender implements Sender {
    private final Mta mta;
    private final Session session = Session.getInstance(new Properties());
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile String firstFailure;

    Mta4jSender(int port, Integer destinationConcurrency) throws IOException {
      Mta.Builder b =
          Mta.builder()
              .hostname("client.bench.test")
              .listener(Listener.smtp("127.0.0.1", 0)) // an MTA always listens; nobody connects here
              .smarthost(Route.Smtp.relay("127.0.0.1", port).withTls(TlsPolicy.NONE))
              .eventListener(
                  e -> {
                    if (e instanceof MtaEvent.Attempt a) {
                      if (a.status() == MtaEvent.Status.DELIVERED) {
                        delivered.incrementAndGet();
                      } else {
                        if (firstFailure == null) {
                          firstFailure = a.status() + " " + a.dsnCode() + " " + a.diagnostic();
                        }
                        failed.incrementAndGet();
                      }
                      lock.lock();
                      try {
                        progress.signalAll();
                      } finally {
                        lock.unlock();
                      }
                    }
                  });
      if (destinationConcurrency != null) {
        b.destinationConcurrency(destinationConcurrency);
      }
      this.mta = b.build();
      mta.start();
    }

    @Override
    public Result run(int n) throws Exception {
      long d0 = delivered.get();
      long f0 = failed.get();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        mta.submit(message(session, i));
      }
      long deadline = t0 + RUN_LIMIT.toNanos();
      lock.lock();
      try {
        while (delivered.get() - d0 + failed.get() - f0 < n) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          progress.awaitNanos(Math.min(left, TimeUnit.SECONDS.toNanos(1)));
        }
      } finally {
        lock.unlock();
      }
      long t1 = System.nanoTime();
      long d = delivered.get() - d0;
      long f = failed.get() - f0;
      return new Result(t1 - t0, d, f, f > 0 || d < n ? String.valueOf(firstFailure) : null);
    }

    @Override
    public void close() {
      mta.close();
    }
  }

  /** Angus Mail: one {@code Transport.send} (one connection) per message. */
  private static final class AngusSender implements Sender {
    private final Session session;
    private final int threads;

    AngusSender(int port, int threads) {
      if (threads <= 0 || threads > 200) {
        throw new IllegalArgumentException("threads must be 1..200: " + threads);
      }
      Properties p = new Properties();
      p.put("mail.smtp.host", "127.0.0.1");
      p.put("mail.smtp.port", Integer.toString(port));
      p.put("mail.smtp.localhost", "client.bench.test"); // no reverse lookup of this host
      p.put("mail.smtp.socketFactory", new NoDelaySocketFactory());
      p.put("mail.smtp.socketFactory.fallback", "false");
      p.put("mail.smtp.connectiontimeout", "30000");
      p.put("mail.smtp.timeout", "30000");
      p.put("mail.smtp.writetimeout", "30000");
      this.session = Session.getInstance(p);
      this.threads = threads;
    }

    @Override
    public Result run(int n) throws Exception {
      AtomicLong delivered = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      String[] first = new String[1];
      AtomicLong next = new AtomicLong();
      long t0 = System.nanoTime();
      long deadline = t0 + RUN_LIMIT.toNanos();
      try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          workers.add(pool.submit(() -> {
            long i;
            while ((i = next.getAndIncrement()) < n && System.nanoTime() < deadline) {
              try {
                Transport.send(message(session, (int) i));
                delivered.incrementAndGet();
              } catch (MessagingException | RuntimeException e) {
                synchronized (first) {
                  if (first[0] == null) {
                    first[0] = e.toString();
                  }
                }
                failed.incrementAndGet();
              }
            }
          }));
        }
        for (Future<?> w : workers) {
          w.get();
        }
      }
      long t1 = System.nanoTime();
      return new Result(t1 - t0, delivered.get(), failed.get(), first[0]);
    }

    @Override
    public void close() {}
  }

  /** Plain sockets with Nagle's algorithm off (as in the project's Angus interop test). */
  static final class NoDelaySocketFactory extends SocketFactory {
    @Override
    public Socket createSocket() throws SocketException {
      Socket socket = new Socket();
      socket.setTcpNoDelay(true);
      return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return connected(createSocket(), new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws IOException {
      Socket socket = createSocket();
      socket.bind(new InetSocketAddress(local, localPort));
      return connected(socket, new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return connected(createSocket(), new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
        throws IOException {
      Socket socket = createSocket();
      socket.bind(new InetSocketAddress(local, localPort));
      return connected(socket, new InetSocketAddress(host, port));
    }

    private static Socket connected(Socket socket, InetSocketAddress address) throws IOException {
      try {
        socket.connect(address, 30_000);
        return socket;
      } catch (IOException e) {
        socket.close();
        throw e;
      }
    }
  }
}
