package org.mta4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.delivery.RetryPolicy;
import org.mta4j.delivery.internal.QueueManager;
import org.mta4j.event.MtaEvent;
import org.mta4j.event.MtaEventListener;
import org.mta4j.intake.internal.Intake;
import org.mta4j.intake.internal.QueueIds;
import org.mta4j.queue.MemoryQueueStore;
import org.mta4j.queue.QueueStore;
import org.mta4j.routing.Route;
import org.mta4j.routing.Router;
import org.mta4j.routing.internal.DefaultRouter;
import org.mta4j.server.Authenticator;
import org.mta4j.server.BareLineEndings;
import org.mta4j.server.Listener;
import org.mta4j.server.MessageHandler;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.server.internal.Cidr;
import org.mta4j.server.internal.InetLiterals;
import org.mta4j.server.internal.IntakeHandler;
import org.mta4j.server.internal.PemTls;
import org.mta4j.server.internal.ServerConfig;
import org.mta4j.server.internal.SmtpServer;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * An embedded Mail Transfer Agent: an ESMTP server that an application starts in-process.
 *
 * <p>Built with {@link #builder()}; immutable once built. {@link #start()} binds the listeners;
 * {@link #close()} stops accepting and lets sessions finish for up to {@link
 * Builder#shutdownGrace(Duration)}. Thread-safe.
 *
 * <pre>{@code
 * try (Mta mta = Mta.builder()
 *         .hostname("mx.example.org")
 *         .listener(Listener.smtp("0.0.0.0", 25))
 *         .localDomains("example.org")
 *         .tlsFromPem(Path.of("/etc/letsencrypt/live/mx/fullchain.pem"),
 *                     Path.of("/etc/letsencrypt/live/mx/privkey.pem"))
 *         .messageHandler((envelope, content) -> {
 *           store(envelope, content.open());
 *           return Decision.accept();
 *         })
 *         .build()) {
 *   mta.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>Security defaults: a closed relay (recipients only in {@code localDomains}, unless the client
 * is in {@code trustedNetworks} — loopback by default — or authenticated); AUTH only after TLS;
 * only {@code <CRLF>.<CRLF>} ends a message and bare line endings are refused.
 */
public final class Mta implements AutoCloseable {
  private final ServerConfig config;
  private final SmtpServer server;
  private final QueueStore store;
  private final Intake intake;
  private final QueueManager queueManager;
  private final Duration shutdownGrace;

  private Mta(Builder b, QueueIds ids) {
    this.store = b.queueStore != null ? b.queueStore : new MemoryQueueStore();
    this.shutdownGrace = b.shutdownGrace;
    List<MtaEventListener> listeners = List.copyOf(b.eventListeners);
    QueueManager[] qm = new QueueManager[1];
    this.intake =
        new Intake(
            store,
            b.hostname,
            b.clock,
            ids,
            b.maxMessageSize,
            b.contentSteps,
            (message, size) -> {
              for (MtaEventListener l : listeners) {
                try {
                  l.onEvent(
                      new MtaEvent.Queued(
                          message.arrivedAt(),
                          message.id(),
                          message.reversePath(),
                          message.recipients().size(),
                          size,
                          "intake"));
                } catch (RuntimeException e) {
                  // a listener never disturbs the pipeline (STYLE rule 8)
                }
              }
              if (qm[0] != null) {
                qm[0].wakeUp();
              }
            });
    Router router =
        b.router != null
            ? b.router
            : new DefaultRouter(b.localDomains, b.transports, b.smarthost, b.mxPort);
    this.queueManager =
        new QueueManager(
            new QueueManager.Settings(
                store,
                router,
                b.deliveryHook,
                smtpAgent(b),
                b.retryPolicy,
                b.clock,
                new java.util.Random(),
                b.nodeId != null ? b.nodeId : b.hostname + "-" + ids.next(),
                b.lease,
                b.deliveryConcurrency,
                b.destinationConcurrency,
                b.hostname,
                listeners),
            intake);
    qm[0] = queueManager;
    this.config =
        b.serverConfig(
            ids, b.messageHandler != null ? b.messageHandler : new IntakeHandler(intake));
    this.server = new SmtpServer(config);
  }

  private static QueueManager.SmtpDeliveryAgent smtpAgent(Builder b) {
    org.mta4j.client.SmtpClient client =
        b.smtpClient != null
            ? b.smtpClient
            : org.mta4j.client.SmtpClient.builder().heloName(b.hostname).build();
    org.mta4j.dns.DnsResolver dns =
        b.dnsResolver != null ? b.dnsResolver : org.mta4j.dns.DnsjavaResolver.builder().build();
    return new org.mta4j.delivery.internal.SmtpAgent(
        client,
        new org.mta4j.routing.MxResolver(dns),
        dns,
        // as many idle connections per destination as may be busy at once, so that a wave of
        // deliveries does not close and reopen half of them
        new org.mta4j.delivery.internal.ConnectionCache(
            Clock.systemUTC(), Duration.ofSeconds(2), 100, b.destinationConcurrency));
  }

  /** A builder with the defaults of RFC 5321 and Postfix. */
  public static Builder builder() {
    return new Builder();
  }

  /** Binds the listeners, starts accepting connections and starts delivering the queue. */
  public void start() throws IOException {
    server.start();
    queueManager.start();
  }

  /**
   * Submits a message in-process (the null-client path: no SMTP round trip) and returns its queue
   * id once the message is durable in the queue.
   *
   * @param from the envelope sender; empty for {@code <>}
   * @param to the envelope recipients (at least one)
   * @param content the RFC 5322 message with CRLF line endings; read to its end, not closed
   * @throws IOException the queue could not take it; nothing was queued
   */
  public String submit(String from, java.util.Collection<String> to, java.io.InputStream content)
      throws IOException {
    Objects.requireNonNull(from, "from");
    if (to.isEmpty()) {
      throw new IllegalArgumentException("submit needs at least one recipient");
    }
    List<Recipient> rcpts = to.stream().map(Recipient::of).toList();
    // spooled (heap up to 1 MiB, then a temporary file) so intake can read it more than once
    try (org.mta4j.server.internal.Spool spool =
        org.mta4j.server.internal.Spool.of(content, maxMessageSize())) {
      return intake.accept(
          intake.newId(), from, rcpts, MailParameters.NONE, spool.size(), spool::open);
    }
  }

  /** {@link #submit(String, java.util.Collection, java.io.InputStream)} for bytes. */
  public String submit(String from, java.util.Collection<String> to, byte[] content)
      throws IOException {
    Objects.requireNonNull(content, "content");
    return submit(from, to, new java.io.ByteArrayInputStream(content));
  }

  /**
   * Submits a Jakarta Mail message; the envelope sender is its first From (or Sender) address and
   * the recipients its To, Cc and Bcc (Bcc is not written to the content). Needs {@code
   * jakarta.mail-api} and an implementation (e.g. Angus Mail) on the class path.
   */
  public String submit(jakarta.mail.internet.MimeMessage message) throws IOException {
    return JakartaSubmission.submit(this, message);
  }

  /** The queue behind this MTA (for admin operations: list, show, hold, release, delete, flush). */
  public QueueStore queue() {
    return store;
  }

  /**
   * Delivers every message due at {@code now} and waits for the attempts to end; returns how many
   * messages were tried. For tests with a fake clock; in production the MTA does this by itself
   * after {@link #start()}.
   */
  public int deliverDue(java.time.Instant now) throws IOException {
    return queueManager.runDue(now);
  }

  /** The bound port of each listener, in the order they were added (useful with port 0). */
  public List<Integer> boundPorts() {
    return server.boundPorts();
  }

  /** The bound port of the first listener. */
  public int port() {
    List<Integer> ports = server.boundPorts();
    if (ports.isEmpty()) {
      throw new IllegalStateException("not started");
    }
    return ports.get(0);
  }

  /** The number of SMTP sessions open now. */
  public int activeSessions() {
    return server.activeSessions();
  }

  private long maxMessageSize() {
    return config.maxMessageSize();
  }

  /** The name this server gives in its greeting and Received headers. */
  public String hostname() {
    return config.hostname();
  }

  /**
   * Stops accepting and closes the sessions, waiting up to the grace period for busy ones, then
   * stops delivering (an attempt under way may finish within the grace) and closes the queue.
   */
  @Override
  public void close() {
    server.close();
    queueManager.close(shutdownGrace);
    try {
      store.close();
    } catch (IOException e) {
      org.slf4j.LoggerFactory.getLogger(Mta.class)
          .warn("closing the queue store: {}", e.toString());
    }
  }

  /**
   * Builds an {@link Mta}. Each setter checks its value at once and names the option in the
   * exception; {@link #build()} checks the options against each other.
   */
  public static final class Builder {
    private String hostname = "localhost";
    private final List<Listener> listeners = new ArrayList<>();
    private boolean listening = true;
    private SSLContext sslContext;
    private Authenticator authenticator;
    private boolean allowAuthWithoutTls;
    private final Set<String> localDomains = new LinkedHashSet<>();
    private List<Cidr> trustedNetworks = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
    private int maxConnections = 1000;
    private int maxConnectionsPerClient = 50;
    private int maxRecipients = 100;
    private long maxMessageSize = 10_240_000;
    private int maxCommandLineLength = 512;
    private int maxTextLineLength = 1000;
    private int maxErrors = 20;
    private int maxAuthFailures = 3;
    private Duration commandTimeout = Duration.ofMinutes(5);
    private Duration dataTimeout = Duration.ofMinutes(3);
    private BareLineEndings bareLineEndings = BareLineEndings.REJECT;
    private final List<SmtpPolicy> policies = new ArrayList<>();
    private MessageHandler messageHandler;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private Clock clock = Clock.systemUTC();
    private int memoryPerMessage = 1 << 20;
    private QueueStore queueStore;
    private DeliveryHook deliveryHook;
    private Router router;
    private final java.util.Map<String, Route> transports = new java.util.LinkedHashMap<>();
    private Route.Smtp smarthost;
    private int mxPort = 25;
    private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
    private int deliveryConcurrency = 100;
    private int destinationConcurrency = 20;
    private Duration lease = Duration.ofMinutes(10);
    private String nodeId;
    private final List<MtaEventListener> eventListeners = new ArrayList<>();
    private final List<org.mta4j.intake.ContentStep> contentSteps = new ArrayList<>();
    private org.mta4j.client.SmtpClient smtpClient;
    private org.mta4j.dns.DnsResolver dnsResolver;

    private Builder() {}

    /**
     * The name used in the greeting, EHLO reply and Received headers. Default {@code localhost};
     * set it to the public name of the host (never rely on a container's random hostname).
     */
    public Builder hostname(String hostname) {
      Objects.requireNonNull(hostname, "hostname");
      if (hostname.isBlank() || !hostname.matches("[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]")) {
        throw new IllegalArgumentException("hostname must be a domain name: " + hostname);
      }
      this.hostname = hostname;
      return this;
    }

    /** Adds a listener; with none, the server listens on {@code 0.0.0.0:25}. */
    public Builder listener(Listener listener) {
      Objects.requireNonNull(listener, "listener");
      if (!InetLiterals.isLiteral(listener.host())) {
        throw new IllegalArgumentException(
            "listener host must be an IP literal: " + listener.host());
      }
      for (String net : listener.proxyProtocolFrom()) {
        Cidr.parse(net);
      }
      listeners.add(listener);
      return this;
    }

    /**
     * Whether the MTA runs an SMTP server at all. Default true; false for a null client that only
     * takes mail from {@link Mta#submit} and delivers it (then no listener is bound, and {@link
     * Mta#boundPorts()} stays empty).
     */
    public Builder listening(boolean listen) {
      this.listening = listen;
      return this;
    }

    /** Shorthand for {@code listener(Listener.smtp("0.0.0.0", port))}. */
    public Builder port(int port) {
      return listener(Listener.smtp("0.0.0.0", port));
    }

    /** TLS for STARTTLS and implicit-TLS listeners, from the application's own context. */
    public Builder tls(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /**
     * TLS from PEM files in the Let's Encrypt layout: {@code fullchain.pem} (leaf first) and {@code
     * privkey.pem} (PKCS#8, PKCS#1 RSA or EC). Read now; a bad file fails here.
     */
    public Builder tlsFromPem(Path certificateChain, Path privateKey) {
      Objects.requireNonNull(certificateChain, "certificateChain");
      Objects.requireNonNull(privateKey, "privateKey");
      for (Path p : List.of(certificateChain, privateKey)) {
        if (!Files.isReadable(p)) {
          throw new IllegalArgumentException("tlsFromPem: cannot read " + p);
        }
      }
      try {
        this.sslContext = PemTls.serverContext(certificateChain, privateKey);
      } catch (IOException e) {
        throw new UncheckedIOException("tlsFromPem: " + e.getMessage(), e);
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("tlsFromPem: " + e.getMessage(), e);
      }
      return this;
    }

    /** Enables SMTP AUTH PLAIN and LOGIN (RFC 4954) with this authenticator. */
    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    /**
     * Offer AUTH on unencrypted connections too. Default false: passwords go only over TLS (RFC
     * 4954 §4). Only for test rigs and loopback-only servers.
     */
    public Builder allowAuthWithoutTls(boolean allow) {
      this.allowAuthWithoutTls = allow;
      return this;
    }

    /** Domains this server accepts mail for from anyone (Postfix's mydestination). */
    public Builder localDomains(String... domains) {
      for (String d : domains) {
        Objects.requireNonNull(d, "localDomains");
        String lower = d.toLowerCase(Locale.ROOT);
        if (!lower.matches(
            "[\\p{L}\\p{N}]([\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?(\\.[\\p{L}\\p{N}]([\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?)*")) {
          throw new IllegalArgumentException("localDomains: not a domain: " + d);
        }
        localDomains.add(lower);
      }
      return this;
    }

    /**
     * Networks whose clients may relay anywhere (Postfix's mynetworks), as CIDR; replaces the
     * default {@code 127.0.0.0/8, ::1/128}. Call with no argument to trust nobody.
     */
    public Builder trustedNetworks(String... networks) {
      List<Cidr> parsed = new ArrayList<>();
      for (String n : networks) {
        try {
          parsed.add(Cidr.parse(n));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("trustedNetworks: " + e.getMessage(), e);
        }
      }
      this.trustedNetworks = List.copyOf(parsed);
      return this;
    }

    /** Most SMTP sessions open at once; more clients wait in the backlog. Default 1000. */
    public Builder maxConnections(int max) {
      this.maxConnections = positive("maxConnections", max);
      return this;
    }

    /** Most sessions from one client address; more get {@code 421 4.7.0}. Default 50. */
    public Builder maxConnectionsPerClient(int max) {
      this.maxConnectionsPerClient = positive("maxConnectionsPerClient", max);
      return this;
    }

    /** Most recipients per message; more get {@code 452 4.5.3} (RFC 5321 §4.5.3.1.8). */
    public Builder maxRecipients(int max) {
      this.maxRecipients = positive("maxRecipients", max);
      return this;
    }

    /** Largest message in bytes, advertised as SIZE (RFC 1870). Default 10,240,000 (Postfix). */
    public Builder maxMessageSize(long max) {
      if (max <= 0) {
        throw new IllegalArgumentException("maxMessageSize must be > 0: " + max);
      }
      this.maxMessageSize = max;
      return this;
    }

    /** Longest command line including CRLF. Default 512 (RFC 5321 §4.5.3.1.4). */
    public Builder maxCommandLineLength(int max) {
      if (max < 512) {
        throw new IllegalArgumentException("maxCommandLineLength must be >= 512: " + max);
      }
      this.maxCommandLineLength = max;
      return this;
    }

    /** Longest message text line including CRLF. Default 1000 (RFC 5321 §4.5.3.1.6). */
    public Builder maxTextLineLength(int max) {
      if (max < 1000) {
        throw new IllegalArgumentException("maxTextLineLength must be >= 1000: " + max);
      }
      this.maxTextLineLength = max;
      return this;
    }

    /** Errors a session may make before it is closed with {@code 421}. Default 20 (Postfix). */
    public Builder maxErrors(int max) {
      this.maxErrors = positive("maxErrors", max);
      return this;
    }

    /** Failed AUTH attempts per session before it is closed. Default 3. */
    public Builder maxAuthFailures(int max) {
      this.maxAuthFailures = positive("maxAuthFailures", max);
      return this;
    }

    /** How long to wait for a command. Default 5 minutes (RFC 5321 §4.5.3.2.7). */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive("commandTimeout", timeout);
      return this;
    }

    /** How long to wait for each block of message data. Default 3 minutes (RFC 5321 §4.5.3.2.5). */
    public Builder dataTimeout(Duration timeout) {
      this.dataTimeout = positive("dataTimeout", timeout);
      return this;
    }

    /** What to do with bare CR or LF; default {@link BareLineEndings#REJECT}. */
    public Builder bareLineEndings(BareLineEndings mode) {
      this.bareLineEndings = Objects.requireNonNull(mode, "bareLineEndings");
      return this;
    }

    /** Adds a policy hook; policies are asked in the order added. */
    public Builder policy(SmtpPolicy policy) {
      policies.add(Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /**
     * Receives each accepted message instead of the queue: the server answers with the handler's
     * decision and the message is not queued (for test rigs and applications that store mail
     * themselves). Without it, accepted mail goes to the queue and is delivered.
     */
    public Builder messageHandler(MessageHandler handler) {
      this.messageHandler = Objects.requireNonNull(handler, "messageHandler");
      return this;
    }

    /** How long {@link Mta#close()} lets busy sessions finish. Default 10 seconds. */
    public Builder shutdownGrace(Duration grace) {
      Objects.requireNonNull(grace, "shutdownGrace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must be >= 0: " + grace);
      }
      this.shutdownGrace = grace;
      return this;
    }

    /** The clock for Received dates and ids; for tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Bytes of a message held in heap before the rest goes to a temporary file. Default 1 MiB. */
    public Builder memoryPerMessage(int bytes) {
      if (bytes < 4096) {
        throw new IllegalArgumentException("memoryPerMessage must be >= 4096: " + bytes);
      }
      this.memoryPerMessage = bytes;
      return this;
    }

    /**
     * Where queued mail waits; default a {@link MemoryQueueStore} (not durable). Use the file or
     * JDBC store for mail that must survive a restart.
     */
    public Builder queueStore(QueueStore store) {
      this.queueStore = Objects.requireNonNull(store, "queueStore");
      return this;
    }

    /**
     * Receives queued mail for the local domains (see {@link org.mta4j.delivery.MaildirDelivery}).
     */
    public Builder localDelivery(DeliveryHook hook) {
      this.deliveryHook = Objects.requireNonNull(hook, "localDelivery");
      return this;
    }

    /**
     * Sends all non-local mail through this relay (Postfix's {@code relayhost}): the MTA becomes a
     * null client. E.g. {@code Route.Smtp.relay("smtp.example.com", 587).withCredentials(u, p)}.
     */
    public Builder smarthost(Route.Smtp relay) {
      this.smarthost = Objects.requireNonNull(relay, "smarthost");
      return this;
    }

    /** Routes one recipient domain its own way (Postfix's transport map). */
    public Builder transport(String domain, Route route) {
      Objects.requireNonNull(route, "transport route");
      localDomainsCheck("transport", domain);
      transports.put(domain.toLowerCase(Locale.ROOT), route);
      return this;
    }

    /** Replaces the default router (local domains, transport map, smarthost, MX). */
    public Builder router(Router router) {
      this.router = Objects.requireNonNull(router, "router");
      return this;
    }

    /**
     * The port used toward MX hosts; 25 except in tests, where MX delivery goes to servers on
     * loopback ports. Everything else about MX routing stays the same.
     */
    public Builder mxPort(int port) {
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("mxPort must be 1..65535: " + port);
      }
      this.mxPort = port;
      return this;
    }

    /** When to retry, when to give up, when to warn; default {@link RetryPolicy#DEFAULT}. */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
      return this;
    }

    /** Most delivery attempts under way at once. Default 100 (Postfix's process limit). */
    public Builder deliveryConcurrency(int max) {
      this.deliveryConcurrency = positive("deliveryConcurrency", max);
      return this;
    }

    /** Most attempts under way to one destination. Default 20 (Postfix's default). */
    public Builder destinationConcurrency(int max) {
      this.destinationConcurrency = positive("destinationConcurrency", max);
      return this;
    }

    /**
     * How long a claimed message is this node's before another node may take it. Default 10 min.
     */
    public Builder lease(Duration lease) {
      this.lease = positive("lease", lease);
      return this;
    }

    /** This node's name in queue leases; default the hostname plus a unique suffix. */
    public Builder nodeId(String nodeId) {
      Objects.requireNonNull(nodeId, "nodeId");
      if (nodeId.isBlank()) {
        throw new IllegalArgumentException("nodeId must not be blank");
      }
      this.nodeId = nodeId;
      return this;
    }

    /**
     * The SMTP client for outbound delivery; default one that says EHLO with {@link
     * #hostname(String)}, with RFC 5321 timeouts and the JDK's trust store for verified TLS.
     */
    public Builder smtpClient(org.mta4j.client.SmtpClient client) {
      this.smtpClient = Objects.requireNonNull(client, "smtpClient");
      return this;
    }

    /** The DNS resolver for MX routing; default dnsjava with the system's resolvers. */
    public Builder dnsResolver(org.mta4j.dns.DnsResolver resolver) {
      this.dnsResolver = Objects.requireNonNull(resolver, "dnsResolver");
      return this;
    }

    /** Adds an intake step (e.g. a DKIM signer) that every message passes before it is queued. */
    public Builder contentStep(org.mta4j.intake.ContentStep step) {
      contentSteps.add(Objects.requireNonNull(step, "contentStep"));
      return this;
    }

    /** Adds a listener for queue and delivery events. */
    public Builder eventListener(MtaEventListener listener) {
      eventListeners.add(Objects.requireNonNull(listener, "eventListener"));
      return this;
    }

    private static void localDomainsCheck(String option, String domain) {
      Objects.requireNonNull(domain, option);
      if (!domain.matches("[\\p{L}\\p{N}.-]+")) {
        throw new IllegalArgumentException(option + ": not a domain: " + domain);
      }
    }

    /** Checks the options together and builds the (not yet started) MTA. */
    public Mta build() {
      List<Listener> ls = listeners();
      if (sslContext == null && ls.stream().anyMatch(Listener::implicitTls)) {
        throw new IllegalStateException(
            "an implicit-TLS listener needs tls(...) or tlsFromPem(...)");
      }
      if (authenticator != null && sslContext == null && !allowAuthWithoutTls) {
        throw new IllegalStateException(
            "authenticator needs tls(...) or tlsFromPem(...), or allowAuthWithoutTls(true)");
      }
      return new Mta(this, new QueueIds(clock));
    }

    private List<Listener> listeners() {
      if (!listening) {
        return List.of();
      }
      return listeners.isEmpty() ? List.of(Listener.smtp("0.0.0.0", 25)) : listeners;
    }

    private ServerConfig serverConfig(QueueIds ids, MessageHandler handler) {
      List<Listener> ls = listeners();
      return new ServerConfig(
          hostname,
          ls,
          sslContext,
          authenticator,
          allowAuthWithoutTls,
          localDomains,
          trustedNetworks,
          maxConnections,
          maxConnectionsPerClient,
          maxRecipients,
          maxMessageSize,
          maxCommandLineLength,
          maxTextLineLength,
          maxErrors,
          maxAuthFailures,
          commandTimeout,
          dataTimeout,
          bareLineEndings,
          policies,
          handler,
          shutdownGrace,
          clock,
          memoryPerMessage,
          ids::next,
          eventListeners);
    }

    private static int positive(String name, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be > 0: " + value);
      }
      return value;
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be > 0: " + value);
      }
      return value;
    }
  }
}
