package org.mta4j.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mta4j.Mta;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;

/**
 * An in-JVM mta4j for tests: it listens on an ephemeral loopback port, accepts mail for any address
 * from the test's clients, records every message it accepts, and injects faults on request.
 *
 * <p>As a JUnit 5 extension, registered on a {@code static} field it runs once for the class and is
 * {@linkplain #reset() reset} before each test; on an instance field it runs once per test.
 *
 * <pre>{@code
 * @RegisterExtension static final MtaServer mail = MtaServer.create();
 *
 * @Test void sendsTheWelcomeMail() {
 *   app.signUp("bob@example.test");   // configured with mail.host() and mail.port()
 *   RecordedMessage m = mail.awaitMessages(1, Duration.ofSeconds(5)).get(0);
 *   assertThat(m.subject()).isEqualTo("Welcome");
 * }
 *
 * @Test void retriesWhenTheServerIsFull() {
 *   mail.on(Stage.END_OF_DATA).times(1).reply(452, "4.3.1", "Insufficient system storage");
 *   ...
 * }
 * }</pre>
 *
 * <p>The client talks to a small loopback proxy inside the kit, which forwards to mta4j; it is how
 * faults the server cannot express (a reply to the DATA command, a disconnect in the middle of the
 * content) are injected, and how {@link #transcript()} is kept. Recipients are not checked: every
 * address is accepted unless a fault says otherwise, and nothing is ever relayed.
 *
 * <p>Thread-safe: the server's sessions run on their own threads while the test reads messages.
 */
public final class MtaServer
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        AutoCloseable {

  private static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

  private final Builder settings;
  private final FaultScript script = new FaultScript();
  private final Transcript transcript = new Transcript();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final List<RecordedMessage> messages = new ArrayList<>(); // guarded by lock
  private Mta mta;
  // read by the server's session threads (the policy's disconnect)
  private volatile FaultProxy proxy;
  // beforeAll runs again for each @Nested class: only the outermost starts and closes the server
  private int classDepth;

  private MtaServer(Builder settings) {
    this.settings = settings;
  }

  /** A server with the defaults: plain SMTP, no TLS, no AUTH, an ephemeral port. */
  public static MtaServer create() {
    return builder().build();
  }

  /** A builder for TLS, AUTH, a fixed port and other options. */
  public static Builder builder() {
    return new Builder();
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Starts listening; the extension calls it, other code may too. */
  public synchronized MtaServer start() {
    if (mta != null) {
      throw new IllegalStateException("already started");
    }
    Mta.Builder b =
        Mta.builder()
            .hostname(settings.hostname)
            .listener(Listener.smtp("127.0.0.1", 0).withProxyProtocolFrom("127.0.0.0/8"))
            .maxMessageSize(settings.maxMessageSize)
            .shutdownGrace(Duration.ofSeconds(1))
            .policy(
                new ScriptedPolicy(
                    script,
                    settings.requireTls,
                    settings.requireAuth,
                    port -> proxy != null && proxy.abort(port)))
            .messageHandler(
                (envelope, content) -> {
                  record(new RecordedMessage(envelope, content.readAllBytes()));
                  return Decision.accept();
                });
    if (settings.tls) {
      b.tls(SelfSignedTls.get().serverContext());
    }
    if (settings.username != null) {
      String user = settings.username;
      String password = settings.password;
      b.authenticator((u, p, session) -> user.equals(u) && password.equals(p));
      b.allowAuthWithoutTls(!settings.tls);
    }
    settings.customizer.accept(b);
    Mta started = b.build();
    try {
      started.start();
      proxy =
          new FaultProxy(
              settings.port,
              new InetSocketAddress("127.0.0.1", started.port()),
              script,
              transcript);
    } catch (IOException e) {
      started.close();
      throw new UncheckedIOException("cannot start the test server: " + e.getMessage(), e);
    }
    mta = started;
    return this;
  }

  /** Forgets the recorded messages, the faults, the transcript and the connection count. */
  public void reset() {
    script.reset(); // ends stalls and delays under way
    lock.lock();
    try {
      messages.clear();
    } finally {
      lock.unlock();
    }
    transcript.clear();
    FaultProxy p = proxy;
    if (p != null) {
      p.resetCount();
    }
  }

  /** Ends every stall, stops the proxy and the server. */
  @Override
  public synchronized void close() {
    script.reset();
    if (proxy != null) {
      proxy.close();
      proxy = null;
    }
    if (mta != null) {
      mta.close();
      mta = null;
    }
  }

  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    if (classDepth++ == 0) {
      start();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (perClass()) {
      reset();
    } else {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass()) {
      close();
    }
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    if (--classDepth == 0) {
      close();
    }
  }

  private synchronized boolean perClass() {
    return classDepth > 0;
  }

  // ---- where to connect ----------------------------------------------------------------------

  /** The host to connect to: {@code 127.0.0.1}. */
  public String host() {
    return running().address().getHostAddress();
  }

  /** The port to connect to. */
  public int port() {
    return running().port();
  }

  /** Connections accepted since the start or the last {@link #reset()}. */
  public int connectionCount() {
    return running().connections();
  }

  /**
   * The server certificate as a PEM file, to use as the client's CA file (Python's {@code
   * ssl.create_default_context(cafile=...)}, {@code swaks --tls-ca-path}); only with {@link
   * Builder#tls()}.
   */
  public Path certificatePem() {
    requireTls();
    return SelfSignedTls.get().pem;
  }

  /**
   * A client TLS context that trusts exactly this server's certificate (e.g. for Jakarta Mail's
   * {@code mail.smtp.ssl.socketFactory}); only with {@link Builder#tls()}.
   */
  public SSLContext clientSslContext() {
    requireTls();
    return SelfSignedTls.get().clientContext();
  }

  // ---- recorded mail -------------------------------------------------------------------------

  /** The messages accepted so far, oldest first. */
  public List<RecordedMessage> messages() {
    lock.lock();
    try {
      return List.copyOf(messages);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until at least {@code count} messages have been accepted and returns all accepted so far
   * (oldest first). Fails with an {@link AssertionError} naming what did arrive, and the session
   * transcript, when {@code timeout} passes first.
   */
  public List<RecordedMessage> awaitMessages(int count, Duration timeout) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1: " + count);
    }
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (messages.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "expected "
                  + count
                  + " message(s) within "
                  + timeout
                  + " but got "
                  + messages.size()
                  + ": "
                  + messages
                  + "\ntranscript:\n  "
                  + String.join("\n  ", tail(transcript.lines(), 60)));
        }
        arrived.awaitNanos(left);
      }
      return List.copyOf(messages);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for messages", e);
    } finally {
      lock.unlock();
    }
  }

  /** {@link #awaitMessages(int, Duration)} with a 10 second timeout. */
  public List<RecordedMessage> awaitMessages(int count) {
    return awaitMessages(count, DEFAULT_WAIT);
  }

  /**
   * The SMTP dialogue since the start or the last reset, as the proxy saw it: lines such as {@code
   * "1 C: MAIL FROM:<a@example.test>"} and {@code "1 S: 250 2.1.0 Ok"} (the number is the
   * connection), with content summarized. TLS sessions show only what came before STARTTLS.
   */
  public List<String> transcript() {
    return transcript.lines();
  }

  // ---- faults --------------------------------------------------------------------------------

  /**
   * Scripts a fault at {@code stage}; see {@link StageFaults}. Faults last until the next {@link
   * #reset()}.
   */
  public StageFaults on(Stage stage) {
    return new StageFaults(script, stage);
  }

  private void record(RecordedMessage message) {
    lock.lock();
    try {
      messages.add(message);
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private synchronized FaultProxy running() {
    if (proxy == null) {
      throw new IllegalStateException("the test server is not running");
    }
    return proxy;
  }

  private void requireTls() {
    if (!settings.tls) {
      throw new IllegalStateException("the test server has no TLS; build it with tls()");
    }
  }

  private static List<String> tail(List<String> lines, int n) {
    return lines.size() <= n ? lines : lines.subList(lines.size() - n, lines.size());
  }

  /**
   * Builds an {@link MtaServer}. Each setter checks its value at once; {@link #build()} checks them
   * together.
   */
  public static final class Builder {
    private String hostname = "mta-test.localhost";
    private int port;
    private long maxMessageSize = 10_240_000;
    private boolean tls;
    private boolean requireTls;
    private String username;
    private String password;
    private boolean requireAuth;
    private Consumer<Mta.Builder> customizer = b -> {};

    private Builder() {}

    /** The name in the greeting and Received headers. Default {@code mta-test.localhost}. */
    public Builder hostname(String hostname) {
      Objects.requireNonNull(hostname, "hostname");
      if (!hostname.matches("[A-Za-z0-9.-]+")) {
        throw new IllegalArgumentException("hostname must be a domain name: " + hostname);
      }
      this.hostname = hostname;
      return this;
    }

    /** A fixed port instead of an ephemeral one (for an application whose port is fixed). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** The largest message, advertised as SIZE. Default 10,240,000. */
    public Builder maxMessageSize(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxMessageSize must be > 0: " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /**
     * Offers STARTTLS with a self-signed certificate for {@code localhost} and {@code 127.0.0.1};
     * clients trust {@link MtaServer#certificatePem()} or {@link MtaServer#clientSslContext()}.
     */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /** Refuses MAIL with {@code 530 5.7.0} until the client has done STARTTLS; implies tls(). */
    public Builder requireTls() {
      this.tls = true;
      this.requireTls = true;
      return this;
    }

    /**
     * Offers AUTH PLAIN and LOGIN and accepts exactly these credentials. Without {@link #tls()}
     * AUTH is offered in plain text too (a loopback test server; never do this in production).
     */
    public Builder auth(String username, String password) {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      if (username.isEmpty()) {
        throw new IllegalArgumentException("username must not be empty");
      }
      this.username = username;
      this.password = password;
      return this;
    }

    /** Refuses MAIL with {@code 530 5.7.0} until the client has authenticated; needs auth(). */
    public Builder requireAuth() {
      this.requireAuth = true;
      return this;
    }

    /**
     * Adjusts the underlying {@link Mta.Builder} after the kit has configured it, e.g. to add a
     * policy, a content step or limits. Replacing the message handler stops the recording.
     */
    public Builder customize(Consumer<Mta.Builder> customizer) {
      this.customizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    /** The (not yet started) server; the extension starts it. */
    public MtaServer build() {
      if (requireAuth && username == null) {
        throw new IllegalStateException("requireAuth() needs auth(username, password)");
      }
      Builder copy = new Builder();
      copy.hostname = hostname;
      copy.port = port;
      copy.maxMessageSize = maxMessageSize;
      copy.tls = tls;
      copy.requireTls = requireTls;
      copy.username = username;
      copy.password = password;
      copy.requireAuth = requireAuth;
      copy.customizer = customizer;
      return new MtaServer(copy);
    }
  }
}
