package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.mta4j.engine.EngineFixtures.AWAIT;
import static org.mta4j.engine.EngineFixtures.HOSTNAME;
import static org.mta4j.engine.EngineFixtures.LOCAL_DOMAIN;
import static org.mta4j.engine.EngineFixtures.NO_JITTER;
import static org.mta4j.engine.EngineFixtures.SENDER;
import static org.mta4j.engine.EngineFixtures.message;
import static org.mta4j.engine.EngineFixtures.startPeer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mta4j.Mta;
import org.mta4j.client.SmtpClient;
import org.mta4j.client.TlsPolicy;
import org.mta4j.dns.DnsjavaResolver;
import org.mta4j.event.MtaEvent;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.routing.Route;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.mta4j.server.SessionInfo;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.FakeClock;
import org.mta4j.testing.KnotServer;
import org.mta4j.testing.RecordingHandler;
import org.mta4j.testing.SmtpSink;
import org.mta4j.testing.TestCertificates;

/**
 * Each way a delivery can go wrong, through the whole MTA (submit, queue, routing, SMTP client, the
 * one classifier, queue update, bounce, local delivery of the bounce), with the outcome Postfix
 * gives it: temporary trouble stays in the queue as deferred with its status code and comes back at
 * the first retry time; permanent trouble leaves the queue at once and the sender gets an RFC 3464
 * report. Fault injectors: Postfix's smtp-sink with its flags, mta4j's own server with a policy, a
 * raw socket that resets mid-DATA, Knot DNS and a DNS server that never answers. The sending MTA
 * runs on a fake clock through {@code deliverDue} and is never started.
 */
class FaultMatrixTest {
  private static final String FAULT_DOMAIN = "fault.test";

  private static final String ZONE =
      """
      nullmx   MX 0 .
      """;

  @TempDir static Path dir;
  private static KnotServer knot;

  private final FakeClock clock = FakeClock.atEpochOfTests();
  private final Mailbox mailbox = new Mailbox();
  private final EngineFixtures.Events events = new EngineFixtures.Events();
  private Mta mta;
  private Instant t0;

  @BeforeAll
  static void startDns() {
    knot =
        KnotServer.start(
            dir,
            Map.of("dns.test", KnotServer.zone(ZONE), "broken.test", KnotServer.UNLOADABLE_ZONE));
  }

  @AfterAll
  static void stopDns() {
    if (knot != null) {
      knot.close();
    }
  }

  @AfterEach
  void close() {
    if (mta != null) {
      mta.close();
    }
  }

  /** The sending MTA: local sender mailbox, fake clock, exact retry times. */
  private Mta sender(Consumer<Mta.Builder> customizer) {
    Mta.Builder b =
        Mta.builder()
            .hostname(HOSTNAME)
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains(LOCAL_DOMAIN)
            .localDelivery(mailbox)
            .clock(clock)
            .retryPolicy(NO_JITTER)
            .eventListener(events)
            .dnsResolver(dns(knot.address(), Duration.ofSeconds(2)))
            .smtpClient(
                SmtpClient.builder()
                    .heloName(HOSTNAME)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build());
    customizer.accept(b);
    mta = b.build();
    t0 = clock.instant();
    return mta;
  }

  /** Mail for {@value #FAULT_DOMAIN} goes straight to 127.0.0.1:port (a transport map entry). */
  private Mta senderTo(int port, TlsPolicy tls) {
    return sender(b -> b.transport(FAULT_DOMAIN, Route.Smtp.relay("127.0.0.1", port).withTls(tls)));
  }

  private static DnsjavaResolver dns(InetSocketAddress server, Duration timeout) {
    return DnsjavaResolver.builder().servers(server).timeout(timeout).build();
  }

  private String submit(String... to) throws IOException {
    return mta.submit(SENDER, List.of(to), message(String.join(", ", to), "fault", "Body.\r\n"));
  }

  // ---- outcomes

  /**
   * Every recipient is deferred with {@code dsn}, the message waits for the first retry time, one
   * DEFERRED attempt per recipient was reported, and the sender got nothing.
   */
  private QueuedMessage assertDeferred(String id, String dsn, String diagnostic)
      throws IOException {
    QueuedMessage m =
        mta.queue().show(id).orElseThrow(() -> new AssertionError(id + " not queued"));
    assertThat(m.attempts()).isEqualTo(1);
    assertThat(m.nextAttemptAt()).isEqualTo(t0.plus(NO_JITTER.firstRetry()));
    assertThat(m.recipients())
        .allSatisfy(
            r -> {
              assertThat(r.status()).isEqualTo(RecipientState.Status.DEFERRED);
              assertThat(r.dsnCode()).isEqualTo(dsn);
              assertThat(r.diagnostic()).contains(diagnostic);
            });
    assertThat(events.attempts(id))
        .hasSize(m.recipients().size())
        .allSatisfy(
            a -> {
              assertThat(a.status()).isEqualTo(MtaEvent.Status.DEFERRED);
              assertThat(a.dsnCode()).isEqualTo(dsn);
            });
    assertThat(events.ofType(MtaEvent.Bounced.class)).isEmpty();
    assertThat(mta.deliverDue(clock.instant())).as("nothing due before the retry time").isZero();
    assertThat(mailbox.all()).isEmpty();
    return m;
  }

  /**
   * The message left the queue at once, {@code recipient} bounced with {@code dsn}, and the
   * sender's mailbox got an RFC 3464 report for it.
   */
  private DeliveryStatusReport assertBounced(String id, String recipient, String dsn)
      throws IOException {
    assertThat(mta.queue().show(id)).as("no retry for a permanent failure").isEmpty();
    assertThat(events.attempts(id))
        .filteredOn(a -> a.recipient().equals(recipient))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.status()).isEqualTo(MtaEvent.Status.BOUNCED);
              assertThat(a.dsnCode()).isEqualTo(dsn);
            });
    assertThat(events.ofType(MtaEvent.Bounced.class))
        .singleElement()
        .satisfies(b -> assertThat(b.action()).isEqualTo("failed"));
    mta.deliverDue(clock.instant()); // the bounce, to the local sender
    assertThat(mta.queue().list(QueueFilter.all(clock.instant()))).isEmpty();
    Mailbox.Delivered bounce = mailbox.await(d -> true, AWAIT);
    assertThat(bounce.reversePath()).as("a bounce has the null sender").isEmpty();
    assertThat(bounce.recipients()).containsExactly(SENDER);
    return DeliveryStatusReport.parse(bounce.content())
        .assertWellFormed(HOSTNAME)
        .assertFailed(recipient, dsn);
  }

  // ---- the session is refused

  @Test
  void greeting421DefersAndTheDestinationRests() throws IOException {
    try (SmtpSink sink = SmtpSink.start("-Q", "CONNECT")) {
      senderTo(sink.port(), TlsPolicy.OPPORTUNISTIC);
      String id = submit("a@" + FAULT_DOMAIN, "b@" + FAULT_DOMAIN);

      mta.deliverDue(t0);

      assertDeferred(id, "4.0.0", "said: 421 4.0.0 Server closing connection");
      assertThat(sink.counters().messages()).isZero();
    }
  }

  // ---- a recipient is refused

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "450 4.2.0 Mailbox busy, 4.2.0",
    "451 4.3.0 Local error in processing, 4.3.0",
    "452 4.5.3 Too many recipients, 4.5.3",
  })
  void temporaryRcptRefusalDefers(String reply, String dsn) throws IOException {
    try (SmtpSink sink = SmtpSink.start("-r", "RCPT", "-b", reply)) {
      senderTo(sink.port(), TlsPolicy.OPPORTUNISTIC);
      String id = submit("a@" + FAULT_DOMAIN);

      mta.deliverDue(t0);

      assertDeferred(id, dsn, "said: " + reply + " (in reply to RCPT TO)");
      assertThat(sink.counters().messages()).isZero();
    }
  }

  @Test
  void rcpt550ForOneOfThreeBouncesThatOneAndDeliversTheOthers() throws IOException {
    EngineFixtures.CountingPolicy refuseUnknown =
        new EngineFixtures.CountingPolicy() {
          @Override
          public Decision onRcpt(SessionInfo s, String reversePath, Recipient recipient) {
            return recipient.address().startsWith("unknown@")
                ? Decision.reject(550, "5.1.1", "User unknown in virtual mailbox table")
                : Decision.proceed();
          }
        };
    try (EngineFixtures.Peer peer = startPeer(refuseUnknown, b -> {})) {
      senderTo(peer.port(), TlsPolicy.OPPORTUNISTIC);
      String a = "a@" + FAULT_DOMAIN;
      String unknown = "unknown@" + FAULT_DOMAIN;
      String c = "c@" + FAULT_DOMAIN;
      String id = submit(a, unknown, c);

      mta.deliverDue(t0);

      RecordingHandler.Received got = peer.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(got.envelope().recipients()).extracting(Recipient::address).containsExactly(a, c);
      assertThat(events.attempts(id))
          .extracting(MtaEvent.Attempt::recipient, MtaEvent.Attempt::status)
          .containsExactlyInAnyOrder(
              tuple(a, MtaEvent.Status.DELIVERED),
              tuple(unknown, MtaEvent.Status.BOUNCED),
              tuple(c, MtaEvent.Status.DELIVERED));
      DeliveryStatusReport dsn = assertBounced(id, unknown, "5.1.1");
      assertThat(dsn.perRecipient()).as("only the refused recipient is reported").hasSize(1);
      assertThat(dsn.recipient(unknown))
          .containsEntry("remote-mta", "dns; 127.0.0.1")
          .containsEntry(
              "diagnostic-code", "smtp; 550 5.1.1 User unknown in virtual mailbox table");
      assertThat(dsn.returned()).contains("Subject: fault").contains("Body.");
      assertThat(peer.handler().messages()).hasSize(1);
    }
  }

  // ---- the message is refused

  @Test
  void endOfData552BouncesEveryRecipient() throws IOException {
    try (SmtpSink sink = SmtpSink.start("-f", ".", "-B", "552 5.3.4 Message too big for system")) {
      senderTo(sink.port(), TlsPolicy.OPPORTUNISTIC);
      String a = "a@" + FAULT_DOMAIN;
      String b = "b@" + FAULT_DOMAIN;
      String id = submit(a, b);

      mta.deliverDue(t0);

      DeliveryStatusReport dsn = assertBounced(id, a, "5.3.4").assertFailed(b, "5.3.4");
      assertThat(dsn.recipient(b))
          .containsEntry("diagnostic-code", "smtp; 552 5.3.4 Message too big for system");
      assertThat(events.attempts(id)).hasSize(2);
    }
  }

  @Test
  void messageLargerThanTheServersSizeLimitBouncesWithoutBeingSent() throws IOException {
    EngineFixtures.CountingPolicy counting = new EngineFixtures.CountingPolicy();
    // RFC 1870: the peer says SIZE 2048 in its EHLO reply; the client checks before MAIL
    try (EngineFixtures.Peer peer = startPeer(counting, b -> b.maxMessageSize(2048))) {
      senderTo(peer.port(), TlsPolicy.OPPORTUNISTIC);
      String to = "a@" + FAULT_DOMAIN;
      String id =
          mta.submit(
              SENDER,
              List.of(to),
              message(
                  to, "too big", "x".repeat(70) + "\r\n" + ("y".repeat(70) + "\r\n").repeat(60)));

      mta.deliverDue(t0);

      assertBounced(id, to, "5.3.4");
      assertThat(counting.connects.get()).as("it did connect and read EHLO").isPositive();
      assertThat(peer.handler().messages()).isEmpty();
    }
  }

  // ---- the connection breaks

  /**
   * A server that takes a transaction up to DATA's 354, reads the first line of content and then
   * resets the connection (RST), as a crashing or firewalled server does.
   */
  private static final class ResettingPeer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread acceptor;
    final AtomicInteger sessions = new AtomicInteger();
    final AtomicBoolean contentSeen = new AtomicBoolean();

    ResettingPeer() throws IOException {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      acceptor = Thread.ofVirtual().name("resetting-peer").start(this::acceptLoop);
    }

    int port() {
      return socket.getLocalPort();
    }

    private void acceptLoop() {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          sessions.incrementAndGet();
          Thread.ofVirtual().start(() -> session(s));
        } catch (IOException e) {
          return; // closed
        }
      }
    }

    private void session(Socket s) {
      try (s) {
        s.setSoTimeout(10_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), US_ASCII));
        OutputStream out = s.getOutputStream();
        out.write("220 reset.test ESMTP\r\n".getBytes(US_ASCII));
        String line;
        while ((line = in.readLine()) != null) {
          String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line;
          switch (verb) {
            case "EHLO" -> out.write("250-reset.test\r\n250 8BITMIME\r\n".getBytes(US_ASCII));
            case "MAIL" -> out.write("250 2.1.0 Ok\r\n".getBytes(US_ASCII));
            case "RCPT" -> out.write("250 2.1.5 Ok\r\n".getBytes(US_ASCII));
            case "DATA" -> {
              out.write("354 End data with <CR><LF>.<CR><LF>\r\n".getBytes(US_ASCII));
              out.flush();
              if (in.readLine() != null) {
                contentSeen.set(true);
              }
              s.setSoLinger(true, 0); // close() now sends RST, not FIN
              return;
            }
            case "QUIT" -> {
              out.write("221 2.0.0 Bye\r\n".getBytes(US_ASCII));
              return;
            }
            default -> out.write("250 2.0.0 Ok\r\n".getBytes(US_ASCII));
          }
          out.flush();
        }
      } catch (IOException e) {
        // the client went away: nothing to do
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
      acceptor.interrupt();
    }
  }

  @Test
  void connectionResetMidDataDefers() throws IOException {
    try (ResettingPeer peer = new ResettingPeer()) {
      senderTo(peer.port(), TlsPolicy.OPPORTUNISTIC);
      // large enough that the client is still writing when the reset comes
      String body = ("0123456789".repeat(7) + "\r\n").repeat(4000);
      String to = "a@" + FAULT_DOMAIN;
      String id = mta.submit(SENDER, List.of(to), message(to, "reset", body));

      mta.deliverDue(t0);

      assertThat(peer.contentSeen).as("the reset came after content began").isTrue();
      assertDeferred(id, "4.4.2", "lost connection with 127.0.0.1[127.0.0.1]:" + peer.port());
    }
  }

  // ---- TLS is required and cannot be had

  @Test
  void tlsHandshakeFailureWithVerifiedTlsRequiredDefers() throws IOException {
    EngineFixtures.CountingPolicy counting = new EngineFixtures.CountingPolicy();
    // the peer's certificate is the self-signed test one; the sender trusts only the JDK's CAs
    try (EngineFixtures.Peer peer =
        startPeer(counting, b -> b.tls(TestCertificates.serverContext()))) {
      senderTo(peer.port(), TlsPolicy.REQUIRED_VERIFIED);
      String id = submit("a@" + FAULT_DOMAIN);

      mta.deliverDue(t0);

      assertDeferred(id, "4.7.5", "TLS with 127.0.0.1[127.0.0.1]:" + peer.port() + " failed");
      assertThat(counting.connects.get()).as("it did connect").isPositive();
      assertThat(peer.handler().messages()).isEmpty();
    }
  }

  @Test
  void requiredTlsToAServerWithoutStarttlsDefers() throws IOException {
    try (SmtpSink sink = SmtpSink.start()) {
      senderTo(sink.port(), TlsPolicy.REQUIRED);
      String id = submit("a@" + FAULT_DOMAIN);

      mta.deliverDue(t0);

      assertDeferred(id, "4.7.5", "TLS is required, but was not offered");
      assertThat(sink.counters().messages()).isZero();
    }
  }

  // ---- DNS

  @Test
  void dnsServfailDefers() throws IOException {
    sender(b -> {});
    String id = submit("a@broken.test");

    mta.deliverDue(t0);

    QueuedMessage m = assertDeferred(id, "4.4.3", "MX lookup for broken.test failed");
    assertThat(m.recipients().get(0).relay()).isEqualTo("none");
  }

  @Test
  void dnsTimeoutDefers() throws IOException {
    // a UDP "server" that reads nothing and answers nothing
    try (DatagramSocket silent =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      sender(
          b ->
              b.dnsResolver(
                  dns(
                      new InetSocketAddress(
                          InetAddress.getLoopbackAddress(), silent.getLocalPort()),
                      Duration.ofMillis(300))));
      String id = submit("a@example.invalid");

      long started = System.nanoTime();
      mta.deliverDue(t0);
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertDeferred(id, "4.4.3", "MX lookup for example.invalid failed");
      assertThat(took).as("bounded by the resolver's timeout").isLessThan(Duration.ofSeconds(10));
    }
  }

  @ParameterizedTest(name = "{0} bounces with {1}")
  @CsvSource({
    "nullmx.dns.test, 5.1.10",
    "nxdomain.dns.test, 5.1.2",
  })
  void undeliverableDomainBounces(String domain, String dsn) throws IOException {
    sender(b -> {});
    String to = "a@" + domain;
    String id = submit(to);

    mta.deliverDue(t0);

    DeliveryStatusReport report = assertBounced(id, to, dsn);
    assertThat(report.recipient(to)).doesNotContainKey("remote-mta");
    assertThat(report.humanReadable()).contains(domain);
  }
}
