package org.mta4j.bench;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.mta4j.Mta;
import org.mta4j.event.MtaEvent;
import org.mta4j.queue.MemoryQueueStore;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.file.FileQueueStore;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.server.SMTPServer;

/**
 * One SMTP server under test, in this JVM, on {@code 127.0.0.1:port}:
 *
 * <pre>
 *   java -cp ... org.mta4j.bench.BenchServer &lt;mta4j|subethasmtp|greenmail&gt; &lt;port&gt;
 * </pre>
 *
 * <p>Each server receives the whole message and throws it away, so they do comparable work:
 * mta4j and SubEthaSMTP drain the content stream through the same 8 KiB buffer; GreenMail has no
 * discarding hook, so it parses each message into a {@code MimeMessage} and stores it in its
 * in-memory mailbox (purged by {@code RESET}).
 *
 * <p>Prints {@code READY <port>} once listening, then answers one-line commands on stdin:
 *
 * <ul>
 *   <li>{@code COUNT} → {@code COUNT <messages> <bytes>} received since the last reset (GreenMail:
 *       bytes is -1, it only keeps parsed messages);
 *   <li>{@code RESET} → {@code RESET}: zero the counters (GreenMail: purge the mailboxes);
 *   <li>{@code HEAP} → {@code HEAP <usedBytes> <committedBytes>} after {@code System.gc()};
 *   <li>{@code QUIT} or end of stdin → stops the server and exits. SIGTERM also stops it.
 * </ul>
 *
 * <p>The {@code mta4j-file-group}, {@code mta4j-file-per-message} and {@code mta4j-memq} kinds
 * measure mta4j <em>queueing</em> mail instead: no {@code MessageHandler}, so every message goes
 * through intake into a {@link FileQueueStore} ({@code GROUP_COMMIT} or {@code PER_MESSAGE}, in a
 * fresh directory {@code /tmp/mta4j-bench-fq-*}, deleted at exit) or the {@link MemoryQueueStore}
 * before the {@code 250}. Like the accept-only Postfix ({@code hold/}), nothing is delivered: the
 * store is wrapped so that the queue manager never finds anything due ({@code claimDue} returns
 * nothing, {@code nextDue} is empty), so the measurement is the accept rate alone. COUNT counts
 * {@code MtaEvent.Queued} events (bytes: their sizes).
 */
public final class BenchServer {
  private static final AtomicLong MESSAGES = new AtomicLong();
  private static final AtomicLong BYTES = new AtomicLong();

  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println(
          "usage: BenchServer <mta4j|subethasmtp|greenmail|mta4j-file-group|mta4j-file-per-message"
              + "|mta4j-memq> <port>");
      System.exit(2);
    }
    String kind = args[0].toLowerCase(Locale.ROOT);
    int port = Integer.parseInt(args[1]);
    Server server =
        switch (kind) {
          case "mta4j" -> startMta4j(port);
          case "subethasmtp" -> startSubEthaSmtp(port);
          case "greenmail" -> startGreenMail(port);
          case "mta4j-file-group" -> startMta4jQueued(port, FileQueueStore.Durability.GROUP_COMMIT);
          case "mta4j-file-per-message" ->
              startMta4jQueued(port, FileQueueStore.Durability.PER_MESSAGE);
          case "mta4j-memq" -> startMta4jQueued(port, null);
          default -> throw new IllegalArgumentException("unknown server: " + kind);
        };
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "bench-stop"));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
    out.println("READY " + port);

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      switch (line.trim()) {
        case "COUNT" -> out.println("COUNT " + server.messages() + " " + server.bytes());
        case "RESET" -> {
          server.reset();
          out.println("RESET");
        }
        case "HEAP" -> {
          Runtime rt = Runtime.getRuntime();
          for (int i = 0; i < 3; i++) {
            System.gc();
          }
          out.println("HEAP " + (rt.totalMemory() - rt.freeMemory()) + " " + rt.totalMemory());
        }
        case "QUIT" -> {
          System.exit(0);
        }
        case "" -> {}
        default -> out.println("ERROR unknown command " + line);
      }
    }
    System.exit(0); // stdin closed: the driver went away
  }

  /** Reads a message to its end through one 8 KiB buffer, counting it; the same for every server. */
  static void drain(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
    }
    BYTES.addAndGet(total);
    MESSAGES.incrementAndGet();
  }

  private interface Server {
    long messages();

    long bytes();

    void reset();

    void stop();
  }

  /** Counters kept by {@link #drain}; for the servers whose handler sees the stream. */
  private abstract static class Draining implements Server {
    @Override
    public long messages() {
      return MESSAGES.get();
    }

    @Override
    public long bytes() {
      return BYTES.get();
    }

    @Override
    public void reset() {
      MESSAGES.set(0);
      BYTES.set(0);
    }
  }

  private static Server startMta4j(int port) throws IOException {
    Mta mta =
        Mta.builder()
            .hostname("bench.test")
            .listener(Listener.smtp("127.0.0.1", port))
            .localDomains("example.test")
            .maxConnections(20_000)
            .maxConnectionsPerClient(20_000)
            .messageHandler(
                (envelope, content) -> {
                  try (InputStream in = content.open()) {
                    drain(in);
                  }
                  return Decision.accept();
                })
            .build();
    mta.start();
    return new Draining() {
      @Override
      public void stop() {
        mta.close();
      }
    };
  }

  /**
   * mta4j accepting into a queue (durability null: the memory queue). The queue manager is kept
   * idle (see the class comment), so messages stay queued like Postfix's hold/.
   */
  private static Server startMta4jQueued(int port, FileQueueStore.Durability durability)
      throws IOException {
    Path dir = null;
    QueueStore store;
    if (durability == null) {
      store = new MemoryQueueStore();
    } else {
      dir = Files.createTempDirectory(Path.of("/tmp"), "mta4j-bench-fq-");
      store = FileQueueStore.builder().directory(dir.resolve("q")).durability(durability).open();
    }
    QueueStore acceptOnly = acceptOnly(store);
    Mta mta =
        Mta.builder()
            .hostname("bench.test")
            .listener(Listener.smtp("127.0.0.1", port))
            .localDomains("example.test")
            .maxConnections(20_000)
            .maxConnectionsPerClient(20_000)
            .queueStore(acceptOnly)
            .localDelivery(d -> {}) // never called: nothing is ever due
            .eventListener(
                e -> {
                  if (e instanceof MtaEvent.Queued q) {
                    BYTES.addAndGet(q.size());
                    MESSAGES.incrementAndGet();
                  }
                })
            .build();
    mta.start();
    Path queueDir = dir;
    System.err.println("# queue: " + (dir == null ? "memory" : dir + " " + durability));
    return new Draining() {
      @Override
      public void stop() {
        mta.close();
        try {
          if (store instanceof AutoCloseable c) {
            c.close();
          }
          if (queueDir != null) {
            deleteTree(queueDir);
          }
        } catch (Exception e) {
          System.err.println("# cleanup: " + e);
        }
      }
    };
  }

  /** The store, except that nothing is ever due: the queue manager never claims a message. */
  private static QueueStore acceptOnly(QueueStore store) {
    InvocationHandler h =
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "claimDue" -> {
              return List.of();
            }
            case "nextDue" -> {
              return Optional.empty();
            }
            default -> {
              try {
                return method.invoke(store, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            }
          }
        };
    return (QueueStore)
        Proxy.newProxyInstance(
            QueueStore.class.getClassLoader(), new Class<?>[] {QueueStore.class}, h);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!dir.toAbsolutePath().startsWith("/tmp/")
        || !dir.getFileName().toString().startsWith("mta4j-bench-fq-")) {
      throw new IllegalArgumentException("refusing to delete " + dir);
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static Server startSubEthaSmtp(int port) throws IOException {
    // A plain MessageHandler (not SimpleMessageListenerAdapter, which buffers the message to
    // replay it per recipient): SubEthaSMTP's cheapest path. Received headers on, as mta4j adds
    // one; its default executor (a platform thread per connection); connections raised like mta4j.
    SMTPServer server =
        SMTPServer.port(port)
            .bindAddress(InetAddress.getByName("127.0.0.1"))
            .hostName("bench.test")
            .maxConnections(20_000)
            .insertReceivedHeaders()
            .messageHandlerFactory(BenchServer::subEthaHandler)
            .build();
    server.start();
    return new Draining() {
      @Override
      public void stop() {
        server.stop();
      }
    };
  }

  private static MessageHandler subEthaHandler(MessageContext context) {
    return new MessageHandler() {
      @Override
      public void from(String from) {}

      @Override
      public void recipient(String recipient) {}

      @Override
      public String data(InputStream data) throws IOException {
        drain(data);
        return null; // the default "250 Ok"
      }

      @Override
      public void done() {}
    };
  }

  private static Server startGreenMail(int port) {
    // GreenMail has no hook to discard: every message is parsed (jakarta.mail MimeMessage) and
    // stored in the recipient's in-memory INBOX, which RESET purges.
    GreenMail greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    return new Server() {
      @Override
      public long messages() {
        return greenMail.getReceivedMessages().length;
      }

      @Override
      public long bytes() {
        return -1;
      }

      @Override
      public void reset() {
        try {
          greenMail.purgeEmailFromAllMailboxes();
        } catch (Exception e) {
          throw new IllegalStateException("purge failed", e);
        }
      }

      @Override
      public void stop() {
        greenMail.stop();
      }
    };
  }
}
