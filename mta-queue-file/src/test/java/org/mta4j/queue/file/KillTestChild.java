package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import org.mta4j.Mta;
import org.mta4j.delivery.LocalDelivery;
import org.mta4j.server.Listener;

/**
 * The MTA that {@link KillTest} kills: an {@link Mta} on a {@link FileQueueStore} in {@code
 * args[0]}, listening on a free loopback port (written to {@code args[2]} once it accepts), with a
 * local delivery hook that appends {@code <run> <X-Test-Id> <queue id>} to {@code args[1]} and
 * fsyncs before it returns. {@code args[3]} is the run number. Runs until killed.
 */
public final class KillTestChild {
  private KillTestChild() {}

  public static void main(String[] args) throws Exception {
    Path queue = Path.of(args[0]);
    DeliveryLog deliveries = new DeliveryLog(Path.of(args[1]), Integer.parseInt(args[3]));
    Path portFile = Path.of(args[2]);
    FileQueueStore store = FileQueueStore.builder().directory(queue).open();
    Mta mta =
        Mta.builder()
            .hostname("mx.example.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .queueStore(store)
            .localDelivery(deliveries::record)
            .build();
    mta.start();
    Path temp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
    Files.writeString(temp, Integer.toString(mta.port()), US_ASCII);
    Files.move(temp, portFile, StandardCopyOption.ATOMIC_MOVE);
    new CountDownLatch(1).await(); // until kill -9 (or SIGTERM after the final run)
  }

  /** The delivery record: one fsynced line per delivered message. */
  static final class DeliveryLog {
    private final FileChannel channel;
    private final int run;
    private final ReentrantLock lock = new ReentrantLock();

    DeliveryLog(Path file, int run) throws IOException {
      this.channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      this.run = run;
    }

    void record(LocalDelivery delivery) throws IOException {
      String testId = testId(delivery);
      ByteBuffer line =
          ByteBuffer.wrap(
              (run + " " + testId + " " + delivery.queueId() + "\n").getBytes(US_ASCII));
      lock.lock();
      try {
        while (line.hasRemaining()) {
          channel.write(line);
        }
        channel.force(false); // delivered means recorded, before the queue hears of it
      } finally {
        lock.unlock();
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
}
