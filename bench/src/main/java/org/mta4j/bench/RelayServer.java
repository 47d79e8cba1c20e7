package org.mta4j.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.mta4j.Mta;
import org.mta4j.client.TlsPolicy;
import org.mta4j.event.MtaEvent;
import org.mta4j.queue.QueueFilter;
import org.mta4j.routing.Route;
import org.mta4j.server.Listener;

/**
 * mta4j as a relay, in this JVM: accepts SMTP on {@code 127.0.0.1:port} (loopback clients may relay,
 * the default {@code trustedNetworks}), queues in the default in-memory store and delivers
 * everything through one smarthost, {@code 127.0.0.1:relayPort}, without TLS:
 *
 * <pre>
 *   java -cp ... org.mta4j.bench.RelayServer &lt;port&gt; &lt;relayPort&gt; [destinationConcurrency]
 * </pre>
 *
 * <p>Nothing but the benchmark's needs differs from the defaults: connection limits raised as in
 * {@link BenchServer}, TLS off toward the smarthost (smtp-sink has none), and an event listener that
 * counts attempts. Prints {@code READY <port>}, then answers on stdin:
 *
 * <ul>
 *   <li>{@code COUNT} → {@code COUNT <delivered> <deferred> <bounced> <queued>}: attempts since the
 *       last reset by outcome, and messages accepted into the queue;
 *   <li>{@code QUEUE} → {@code QUEUE <messages>} left in the queue;
 *   <li>{@code RESET} → {@code RESET}: zero the counters;
 *   <li>{@code QUIT} or end of stdin → stops and exits.
 * </ul>
 */
public final class RelayServer {
  private static final AtomicLong DELIVERED = new AtomicLong();
  private static final AtomicLong DEFERRED = new AtomicLong();
  private static final AtomicLong BOUNCED = new AtomicLong();
  private static final AtomicLong QUEUED = new AtomicLong();

  private RelayServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: RelayServer <port> <relayPort> [destinationConcurrency]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int relayPort = Integer.parseInt(args[1]);
    Mta.Builder b =
        Mta.builder()
            .hostname("relay.bench.test")
            .listener(Listener.smtp("127.0.0.1", port))
            .maxConnections(20_000)
            .maxConnectionsPerClient(20_000)
            .smarthost(Route.Smtp.relay("127.0.0.1", relayPort).withTls(TlsPolicy.NONE))
            .eventListener(
                e -> {
                  switch (e) {
                    case MtaEvent.Attempt a -> {
                      switch (a.status()) {
                        case DELIVERED -> DELIVERED.incrementAndGet();
                        case DEFERRED -> DEFERRED.incrementAndGet();
                        case BOUNCED -> BOUNCED.incrementAndGet();
                      }
                    }
                    case MtaEvent.Queued q -> QUEUED.incrementAndGet();
                    default -> {}
                  }
                });
    if (args.length == 3) {
      b.destinationConcurrency(Integer.parseInt(args[2]));
    }
    Mta mta = b.build();
    mta.start();
    Runtime.getRuntime().addShutdownHook(new Thread(mta::close, "bench-stop"));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
    out.println("READY " + port);

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      switch (line.trim()) {
        case "COUNT" ->
            out.println("COUNT " + DELIVERED.get() + " " + DEFERRED.get() + " " + BOUNCED.get()
                + " " + QUEUED.get());
        case "QUEUE" ->
            out.println("QUEUE " + mta.queue().list(QueueFilter.all(Instant.now())).size());
        case "RESET" -> {
          DELIVERED.set(0);
          DEFERRED.set(0);
          BOUNCED.set(0);
          QUEUED.set(0);
          out.println("RESET");
        }
        case "QUIT" -> System.exit(0);
        case "" -> {}
        default -> out.println("ERROR unknown command " + line);
      }
    }
    System.exit(0); // stdin closed: the driver went away
  }
}
