package org.mta4j.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.mta4j.Mta;
import org.mta4j.delivery.MaildirDelivery;
import org.mta4j.event.MtaEvent;
import org.mta4j.event.MtaEventListener;
import org.mta4j.queue.file.FileQueueStore;
import org.mta4j.server.Listener;

/**
 * The README's main job: a complete mail relay on its embedded defaults.
 *
 * <ul>
 *   <li>SMTP on {@code 127.0.0.1:2525};
 *   <li>a durable file queue in {@code ./mta4j-data/queue} (a restart loses nothing);
 *   <li>mail for the local domain {@code example.test} goes into Maildirs under {@code
 *       ./mta4j-data/maildir/<local-part>/new};
 *   <li>everything else is relayed by MX lookup, for clients in the trusted networks (loopback);
 *   <li>each queued message and each delivery attempt is logged as it happens.
 * </ul>
 *
 * <p>Run with {@code bash .ci/example} from the repository root. Options: {@code --port N}, {@code
 * --bind ADDRESS}, {@code --data DIR}, {@code --domain DOMAIN}, {@code --hostname NAME}.
 */
public final class ExampleRelay {
  private ExampleRelay() {}

  /**
   * What the relay needs to know.
   *
   * @param bind the address to listen on (an IP literal)
   * @param port the port; 0 for an ephemeral one
   * @param dataDir where the queue and the Maildirs live
   * @param localDomain the domain delivered to Maildir
   * @param hostname the name in the greeting, EHLO and Received headers
   */
  public record Settings(String bind, int port, Path dataDir, String localDomain, String hostname) {
    public Settings {
      Objects.requireNonNull(bind, "bind");
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(localDomain, "localDomain");
      Objects.requireNonNull(hostname, "hostname");
    }

    /** The embedded defaults. */
    public static Settings defaults() {
      return new Settings(
          "127.0.0.1", 2525, Path.of("mta4j-data"), "example.test", "mta4j.example.test");
    }

    /**
     * Reads {@code --port}, {@code --bind}, {@code --data}, {@code --domain}, {@code --hostname}.
     */
    public static Settings parse(String... args) {
      Settings s = defaults();
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + option + " needs a value");
        }
        String value = args[++i];
        s =
            switch (option) {
              case "--port" ->
                  new Settings(
                      s.bind, Integer.parseInt(value), s.dataDir, s.localDomain, s.hostname);
              case "--bind" -> new Settings(value, s.port, s.dataDir, s.localDomain, s.hostname);
              case "--data" ->
                  new Settings(s.bind, s.port, Path.of(value), s.localDomain, s.hostname);
              case "--domain" -> new Settings(s.bind, s.port, s.dataDir, value, s.hostname);
              case "--hostname" -> new Settings(s.bind, s.port, s.dataDir, s.localDomain, value);
              default ->
                  throw new IllegalArgumentException(
                      "unknown option "
                          + option
                          + " (known: --port, --bind, --data, --domain, --hostname)");
            };
      }
      return s;
    }

    Path queueDir() {
      return dataDir.resolve("queue");
    }

    Path maildirRoot() {
      return dataDir.resolve("maildir");
    }
  }

  /**
   * Builds and starts the relay. {@code customize} may adjust the builder last (tests route a
   * domain to a loopback server); {@code log} receives one line per event. The caller closes it.
   */
  public static Mta start(Settings s, Consumer<Mta.Builder> customize, PrintStream log)
      throws IOException {
    FileQueueStore queue = FileQueueStore.builder().directory(s.queueDir()).open();
    Mta.Builder b =
        Mta.builder()
            .hostname(s.hostname())
            .listener(Listener.smtp(s.bind(), s.port()))
            .queueStore(queue)
            .localDomains(s.localDomain())
            .localDelivery(new MaildirDelivery(s.maildirRoot(), s.hostname()))
            .eventListener(deliveryLog(log));
    customize.accept(b);
    Mta mta;
    try {
      mta = b.build();
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

  /** One line per queued message and per delivery attempt, in the spirit of Postfix's log. */
  static MtaEventListener deliveryLog(PrintStream log) {
    return event -> {
      switch (event) {
        case MtaEvent.Queued q ->
            log.printf(
                "%s: queued from=<%s>, nrcpt=%d, size=%d%n",
                q.queueId(), q.reversePath(), q.recipients(), q.size());
        case MtaEvent.Attempt a ->
            log.printf(
                "%s: to=<%s>, relay=%s, delay=%.1fs, dsn=%s, status=%s (%s)%n",
                a.queueId(),
                a.recipient(),
                a.relay(),
                a.delay().toMillis() / 1000.0,
                a.dsnCode(),
                a.status().name().toLowerCase(java.util.Locale.ROOT),
                a.diagnostic());
        case MtaEvent.Bounced x ->
            log.printf("%s: sender notification %s (%s)%n", x.queueId(), x.bounceId(), x.action());
        case MtaEvent.Expired x -> log.printf("%s: expired, gave up%n", x.queueId());
        case MtaEvent.Session x -> {
          // one line per message is enough for a demo
        }
      }
      log.flush();
    };
  }

  /** What the relay prints once it listens. */
  static String banner(Settings s, int port) {
    return String.format(
        "mta4j example relay listening on %s:%d%n"
            + "  queue:   %s%n"
            + "  maildir: %s (mail for @%s)%n"
            + "  relay:   everything else, by MX, for clients on loopback%n"
            + "try:  swaks --server %s:%d --from alice@example.org --to bob@%s%n"
            + "then: ls %s%n"
            + "stop with Ctrl-C",
        s.bind(),
        port,
        s.queueDir().toAbsolutePath(),
        s.maildirRoot().toAbsolutePath(),
        s.localDomain(),
        s.bind(),
        port,
        s.localDomain(),
        s.maildirRoot().resolve("bob").resolve("new").toAbsolutePath());
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    Settings settings = Settings.parse(args);
    Mta mta = start(settings, b -> {}, System.out);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  mta.close();
                  stopped.countDown();
                }));
    System.out.println(banner(settings, mta.port()));
    stopped.await();
  }
}
