package org.mta4j.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.atomic.AtomicLong;
import org.mta4j.Mta;
import org.mta4j.client.TlsPolicy;
import org.mta4j.event.MtaEvent;
import org.mta4j.queue.jdbc.JdbcQueueStore;
import org.mta4j.routing.Route;
import org.mta4j.server.Listener;

/**
 * One mta4j node of the scale-out benchmark ({@link JdbcQueueBench}), in a JVM of its own: a
 * {@link JdbcQueueStore} on the shared PostgreSQL queue, delivering everything through the
 * smarthost {@code 127.0.0.1:port} (the delaying proxy in front of smtp-sink) with at most {@code
 * C} deliveries at once. Prints {@code READY}, then runs until its stdin closes; prints {@code
 * DONE <delivered> <not delivered>} at the end.
 *
 * <pre>
 *   java ... org.mta4j.bench.JdbcBenchNode &lt;jdbcUrl&gt; &lt;tablePrefix&gt; &lt;port&gt; &lt;C&gt; &lt;nodeId&gt;
 * </pre>
 */
public final class JdbcBenchNode {
  private JdbcBenchNode() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String prefix = args[1];
    int port = Integer.parseInt(args[2]);
    int concurrency = Integer.parseInt(args[3]);
    String nodeId = args[4];
    AtomicLong delivered = new AtomicLong();
    AtomicLong notDelivered = new AtomicLong();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(8);
    try (HikariDataSource pool = new HikariDataSource(config)) {
      JdbcQueueStore store =
          JdbcQueueStore.builder().dataSource(pool).tablePrefix(prefix).createSchema(false).build();
      Mta mta =
          Mta.builder()
              .hostname(nodeId + ".bench.test")
              .listener(Listener.smtp("127.0.0.1", 0))
              .queueStore(store)
              .nodeId(nodeId)
              .smarthost(Route.Smtp.relay("127.0.0.1", port).withTls(TlsPolicy.NONE))
              .deliveryConcurrency(concurrency)
              .destinationConcurrency(concurrency)
              .eventListener(
                  e -> {
                    if (e instanceof MtaEvent.Attempt a) {
                      if (a.status() == MtaEvent.Status.DELIVERED) {
                        delivered.incrementAndGet();
                      } else if (notDelivered.incrementAndGet() == 1) {
                        System.out.println(
                            "FIRST-FAILURE " + a.status() + " " + a.dsnCode() + " " + a.diagnostic());
                      }
                    }
                  })
              .build();
      mta.start();
      System.out.println("READY");
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
      while (in.readLine() != null) {
        // until the benchmark closes our stdin
      }
      mta.close();
    }
    System.out.println("DONE " + delivered.get() + " " + notDelivered.get());
  }
}
