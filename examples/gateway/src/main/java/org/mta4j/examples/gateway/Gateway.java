package org.mta4j.examples.gateway;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.mta4j.Mta;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.delivery.MaildirDelivery;
import org.mta4j.queue.file.FileQueueStore;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.mta4j.server.SessionInfo;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.SmtpReply;

/**
 * An inbound mail gateway for one domain, in front of an application:
 *
 * <ul>
 *   <li>accepts mail for {@code domain} only, from anyone, and relays nothing (no trusted networks,
 *       not even loopback: a gateway is not a relay);
 *   <li>asks the application's user list at RCPT and refuses unknown users with {@code 550 5.1.1},
 *       so the sending server bounces at once and no backscatter is ever sent;
 *   <li>queues accepted mail durably, then hands each message to the application's hook and writes
 *       it to {@code maildir/<user>/new}. A hook that throws defers the message: the queue tries
 *       again later (at-least-once: a retried message can reach the Maildir twice).
 * </ul>
 */
public final class Gateway {
  private Gateway() {}

  /** The application's users: is there a mailbox for this local part? Called concurrently. */
  @FunctionalInterface
  public interface Users {
    boolean exists(String localPart);

    /** A fixed list (lower-case comparison). */
    static Users of(String... localParts) {
      Set<String> set =
          java.util.Arrays.stream(localParts)
              .map(s -> s.toLowerCase(Locale.ROOT))
              .collect(java.util.stream.Collectors.toUnmodifiableSet());
      return lp -> set.contains(lp.toLowerCase(Locale.ROOT));
    }
  }

  /**
   * Where the gateway listens and keeps its data.
   *
   * @param bind the address to listen on
   * @param port the port; 0 for an ephemeral one
   * @param domain the domain it receives for
   * @param dataDir the queue ({@code queue/}) and the Maildirs ({@code maildir/})
   */
  public record Settings(String bind, int port, String domain, Path dataDir) {
    public Settings {
      Objects.requireNonNull(bind, "bind");
      Objects.requireNonNull(domain, "domain");
      Objects.requireNonNull(dataDir, "dataDir");
    }
  }

  /** RFC 3463 §3.2: X.1.1 bad destination mailbox address. */
  static final SmtpReply UNKNOWN_USER =
      SmtpReply.of(550, "5.1.1", "Recipient address rejected: User unknown");

  /** Checks each recipient of the gateway's domain against the application's users. */
  static SmtpPolicy knownUsersOnly(String domain, Users users) {
    return new SmtpPolicy() {
      @Override
      public Decision onRcpt(SessionInfo session, String reversePath, Recipient recipient) {
        String address = recipient.address();
        int at = address.lastIndexOf('@');
        if (recipient.domain().equalsIgnoreCase(domain)
            && !users.exists(address.substring(0, at))) {
          return Decision.reject(UNKNOWN_USER);
        }
        return Decision.proceed();
      }
    };
  }

  /** Builds and starts the gateway; the caller closes it. */
  public static Mta start(Settings s, Users users, DeliveryHook application) throws IOException {
    MaildirDelivery maildir = new MaildirDelivery(s.dataDir().resolve("maildir"), "gateway");
    FileQueueStore queue = FileQueueStore.builder().directory(s.dataDir().resolve("queue")).open();
    Mta mta;
    try {
      mta =
          Mta.builder()
              .hostname("mx." + s.domain())
              .listener(Listener.smtp(s.bind(), s.port()))
              .localDomains(s.domain())
              .trustedNetworks() // nobody may relay through a gateway
              .policy(knownUsersOnly(s.domain(), users))
              .queueStore(queue)
              .localDelivery(
                  delivery -> {
                    application.deliver(delivery); // a throw defers: nothing is lost
                    maildir.deliver(delivery);
                  })
              .build();
    } catch (RuntimeException e) {
      queue.close();
      throw e;
    }
    try {
      mta.start();
    } catch (IOException | RuntimeException e) {
      mta.close();
      throw e;
    }
    return mta;
  }

  /**
   * Runs a gateway for {@code example.test} with the users alice and bob on {@code 127.0.0.1:2526};
   * the "application" prints what it gets. Options: {@code [port] [data-dir]}.
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 2526;
    Path data = Path.of(args.length > 1 ? args[1] : "mta4j-data/gateway");
    Mta mta =
        start(
            new Settings("127.0.0.1", port, "example.test", data),
            Users.of("alice", "bob"),
            delivery ->
                System.out.printf(
                    "application: message %s from <%s> for %s%n",
                    delivery.queueId(),
                    delivery.reversePath(),
                    delivery.recipients().stream().map(Recipient::address).toList()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  mta.close();
                  stopped.countDown();
                }));
    System.out.printf(
        "gateway for @example.test (users alice, bob) on 127.0.0.1:%d%n"
            + "try: swaks --server 127.0.0.1:%d --to bob@example.test     (accepted)%n"
            + "     swaks --server 127.0.0.1:%d --to nobody@example.test  (550 5.1.1)%n",
        mta.port(), mta.port(), mta.port());
    stopped.await();
  }
}
