package org.mta4j.queue.jdbc;

import static java.nio.charset.StandardCharsets.US_ASCII;

import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import org.mta4j.Mta;
import org.mta4j.delivery.LocalDelivery;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.server.Listener;

/**
 * One mta4j node in a JVM of its own, for {@link MultiNodeTest} and {@link PostgresKillTest}: an
 * {@link Mta} on a {@link JdbcQueueStore} over PostgreSQL, listening on a free loopback port
 * (written to the port file once it accepts), with a local delivery hook that appends {@code <node>
 * <X-Test-Id> <queue id> <delivered> <claimed> <lease expiry>} (epoch ms) to the delivery log and
 * fsyncs (group commit) before it returns. Runs until killed.
 *
 * <p>Arguments: JDBC URL, delivery log, port file, node name, lease in seconds.
 */
public final class NodeChild {
  private NodeChild() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    DeliveryLog deliveries = new DeliveryLog(Path.of(args[1]), args[3]);
    Path portFile = Path.of(args[2]);
    String node = args[3];
    Duration lease = Duration.ofSeconds(Long.parseLong(args[4]));
    System.out.println(node + ": starting");
    HikariDataSource pool = Pools.pool(url, 12);
    LeaseRecordingStore store =
        new LeaseRecordingStore(JdbcQueueStore.builder().dataSource(pool).build());
    deliveries.leases = store;
    System.out.println(node + ": queue store ready");
    Mta mta =
        Mta.builder()
            .hostname(node + ".example.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .queueStore(store)
            .nodeId(node)
            .lease(lease)
            .localDelivery(deliveries::record)
            .build();
    mta.start();
    System.out.println(node + ": listening on " + mta.port());
    Path temp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
    Files.writeString(temp, Integer.toString(mta.port()), US_ASCII);
    Files.move(temp, portFile, StandardCopyOption.ATOMIC_MOVE);
    new CountDownLatch(1).await(); // until killed
  }

  /** The delivery record: one fsynced line per delivered message, shared by every node. */
  static final class DeliveryLog {
    private final FileChannel channel;
    private final String node;
    volatile LeaseRecordingStore leases;
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock syncLock = new ReentrantLock();
    private long written; // guarded by lock
    private long synced; // guarded by syncLock

    DeliveryLog(Path file, String node) throws IOException {
      this.channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      this.node = node;
    }

    void record(LocalDelivery delivery) throws IOException {
      String testId = testId(delivery);
      long now = System.currentTimeMillis();
      QueuedMessage claim = leases.claims.get(delivery.queueId());
      ByteBuffer line =
          ByteBuffer.wrap(
              (node
                      + " "
                      + testId
                      + " "
                      + delivery.queueId()
                      + " "
                      + now
                      + " "
                      + claim.leaseExpiry().minus(leases.lease).toEpochMilli()
                      + " "
                      + claim.leaseExpiry().toEpochMilli()
                      + "\n")
                  .getBytes(US_ASCII));
      long mine;
      lock.lock();
      try {
        // O_APPEND: each write lands whole at the end, even with other JVMs appending
        channel.write(line);
        mine = ++written;
      } finally {
        lock.unlock();
      }
      // Group commit: one fsync covers every line written before it started, so 20 concurrent
      // deliveries wait for one disk flush, not for 20 in a row. Delivered means recorded, before
      // the queue hears of it.
      syncLock.lock();
      try {
        if (synced < mine) {
          long upTo;
          lock.lock();
          try {
            upTo = written;
          } finally {
            lock.unlock();
          }
          channel.force(false);
          synced = upTo;
        }
      } finally {
        syncLock.unlock();
      }
    }

    private static String testId(LocalDelivery delivery) throws IOException {
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(delivery.openContent(), US_ASCII))) {
        for (String line = r.readLine(); line != null && !line.isEmpty(); line = r.readLine()) {
          if (line.startsWith("X-Test-Id: ")) {
            return line.substring("X-Test-Id: ".length()).strip();
          }
        }
      }
      throw new IOException("no X-Test-Id in " + delivery.queueId());
    }
  }

  /**
   * The node's queue store, remembering each message's latest claim (its lease), so that the
   * delivery log can say under which lease each delivery ran.
   */
  static final class LeaseRecordingStore implements QueueStore {
    final ConcurrentHashMap<String, QueuedMessage> claims = new ConcurrentHashMap<>();
    private final QueueStore store;
    volatile Duration lease = Duration.ZERO;

    LeaseRecordingStore(QueueStore store) {
      this.store = store;
    }

    @Override
    public List<QueuedMessage> claimDue(Instant now, int max, String owner, Duration lease)
        throws IOException {
      this.lease = lease;
      List<QueuedMessage> claimed = store.claimDue(now, max, owner, lease);
      claimed.forEach(m -> claims.put(m.id(), m));
      return claimed;
    }

    @Override
    public void enqueue(NewMessage message, InputStream content) throws IOException {
      store.enqueue(message, content);
    }

    @Override
    public Optional<Instant> nextDue() throws IOException {
      return store.nextDue();
    }

    @Override
    public InputStream openContent(String id) throws IOException {
      return store.openContent(id);
    }

    @Override
    public boolean recordAttempt(
        String id, String owner, List<RecipientState> recipients, Instant nextAttempt)
        throws IOException {
      return store.recordAttempt(id, owner, recipients, nextAttempt);
    }

    @Override
    public List<QueuedMessage> list(QueueFilter filter) throws IOException {
      return store.list(filter);
    }

    @Override
    public Optional<QueuedMessage> show(String id) throws IOException {
      return store.show(id);
    }

    @Override
    public boolean hold(String id) throws IOException {
      return store.hold(id);
    }

    @Override
    public boolean release(String id) throws IOException {
      return store.release(id);
    }

    @Override
    public boolean delete(String id) throws IOException {
      return store.delete(id);
    }

    @Override
    public boolean requeue(String id, Instant now) throws IOException {
      return store.requeue(id, now);
    }

    @Override
    public int flush(Instant now) throws IOException {
      return store.flush(now);
    }

    @Override
    public void close() throws IOException {
      store.close();
    }
  }
}
