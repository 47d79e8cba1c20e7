package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.client.ClientFixtures.AWAIT;
import static org.mta4j.client.ClientFixtures.client;
import static org.mta4j.client.ClientFixtures.clientBuilder;
import static org.mta4j.client.ClientFixtures.connected;
import static org.mta4j.client.ClientFixtures.failed;
import static org.mta4j.client.ClientFixtures.message;
import static org.mta4j.client.ClientFixtures.recipients;
import static org.mta4j.client.ClientFixtures.simpleContent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.client.TransactionResult.LocalFailure;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.mta4j.server.SessionInfo;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.RecordingHandler;

/**
 * The client against mta4j's own server, which offers every extension (PIPELINING, SIZE, CHUNKING,
 * DSN, SMTPUTF8, 8BITMIME) and lets a policy count and refuse.
 */
class MtaPeerTest {

  /** Counts sessions and MAIL commands, and refuses MAIL from or RCPT to "refused@". */
  private static final class CountingPolicy implements SmtpPolicy {
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger mails = new AtomicInteger();

    @Override
    public Decision onConnect(SessionInfo session) {
      connects.incrementAndGet();
      return Decision.proceed();
    }

    @Override
    public Decision onMail(SessionInfo session, String reversePath, MailParameters parameters) {
      mails.incrementAndGet();
      return reversePath.startsWith("refused@")
          ? Decision.reject(550, "5.7.1", "Sender refused")
          : Decision.proceed();
    }

    @Override
    public Decision onRcpt(SessionInfo session, String reversePath, Recipient recipient) {
      return recipient.address().startsWith("refused@")
          ? Decision.reject(550, "5.1.1", "User unknown")
          : Decision.proceed();
    }
  }

  private record Server(Mta mta, RecordingHandler handler, CountingPolicy policy)
      implements AutoCloseable {
    SmtpTarget target() {
      return ClientFixtures.target(mta.port(), TlsPolicy.NONE);
    }

    @Override
    public void close() {
      mta.close();
    }
  }

  private static Server start(Consumer<Mta.Builder> customizer) {
    RecordingHandler handler = new RecordingHandler();
    CountingPolicy policy = new CountingPolicy();
    Mta.Builder builder =
        Mta.builder()
            .hostname("mx.example.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .shutdownGrace(Duration.ofSeconds(2))
            .policy(policy)
            .messageHandler(handler);
    customizer.accept(builder);
    Mta mta = builder.build();
    try {
      mta.start();
    } catch (IOException e) {
      mta.close();
      throw new UncheckedIOException(e);
    }
    return new Server(mta, handler, policy);
  }

  // Lines that DATA must stuff and BDAT must not touch: a lone dot, leading dots, a dot-CRLF at
  // the very end, and an empty line.
  private static final byte[] DOTTY =
      ("Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmiddle . dot\r\n\r\n...\r\n.\r\n")
          .getBytes(UTF_8);

  @Test
  void bdatChunksArriveByteForByte() {
    SmtpClient client = clientBuilder().chunkSize(7).build();
    try (Server server = start(b -> {});
        SmtpConnection connection = connected(client.connect(server.target()))) {
      assertThat(connection.extensions().chunking()).isTrue();

      TransactionResult result =
          connection.send(
              OutgoingMessage.of("sender@example.test", recipients("a@example.test"), DOTTY));

      assertThat(result.messageAccepted()).isTrue();
      assertThat(result.dataReply()).as("BDAT, not DATA").isNull();
      assertThat(server.handler().awaitMessages(1, AWAIT).get(0).contentAfterReceivedHeader())
          .isEqualTo(DOTTY);
    }
  }

  @Test
  void dataIsDotStuffedAndArrivesByteForByte() {
    SmtpClient client = clientBuilder().chunking(false).build();
    try (Server server = start(b -> {});
        SmtpConnection connection = connected(client.connect(server.target()))) {

      TransactionResult result =
          connection.send(
              OutgoingMessage.of("sender@example.test", recipients("a@example.test"), DOTTY));

      assertThat(result.dataReply().code()).isEqualTo(354);
      assertThat(result.messageAccepted()).isTrue();
      assertThat(server.handler().awaitMessages(1, AWAIT).get(0).contentAfterReceivedHeader())
          .isEqualTo(DOTTY);
    }
  }

  @Test
  void bareLineEndingsAreSentAsCrlfSoTheStrictServerTakesThem() {
    byte[] sloppy = "Subject: bare\n\nline one\nline two\rline three\r\n.\nlast".getBytes(UTF_8);
    byte[] normalised =
        "Subject: bare\r\n\r\nline one\r\nline two\r\nline three\r\n.\r\nlast\r\n".getBytes(UTF_8);
    for (boolean chunking : new boolean[] {false, true}) {
      SmtpClient client = clientBuilder().chunking(chunking).build();
      try (Server server = start(b -> {});
          SmtpConnection connection = connected(client.connect(server.target()))) {

        TransactionResult result =
            connection.send(
                OutgoingMessage.of("sender@example.test", recipients("a@example.test"), sloppy));

        assertThat(result.messageAccepted()).as("chunking=" + chunking).isTrue();
        assertThat(server.handler().awaitMessages(1, AWAIT).get(0).contentAfterReceivedHeader())
            .as("chunking=" + chunking)
            .isEqualTo(normalised);
      }
    }
  }

  @Test
  void messageOverTheServersSizeFailsWith534WithoutBeingSent() {
    try (Server server = start(b -> b.maxMessageSize(1000));
        SmtpConnection connection = connected(client().connect(server.target()))) {
      assertThat(connection.extensions().sizeLimit()).hasValue(1000);

      TransactionResult tooBig =
          connection.send(message("x".repeat(5000) + "\r\n", "a@example.test"));

      assertThat(tooBig.localFailure().reason()).isEqualTo(LocalFailure.Reason.MESSAGE_TOO_BIG);
      assertThat(tooBig.localFailure().reply().code()).isEqualTo(552);
      assertThat(tooBig.localFailure().reply().enhanced()).isEqualTo("5.3.4");
      assertThat(tooBig.mailReply()).isNull();
      assertThat(server.policy().mails.get()).as("MAIL was never sent").isZero();

      TransactionResult small = connection.send(message(simpleContent("small"), "a@example.test"));
      assertThat(small.messageAccepted()).isTrue();
      assertThat(server.policy().mails.get()).isEqualTo(1);
    }
  }

  @Test
  void oneRefusedRecipientOfThreeLeavesTheOthersAccepted() {
    try (Server server = start(b -> {});
        SmtpConnection connection = connected(client().connect(server.target()))) {

      TransactionResult result =
          connection.send(
              message(
                  simpleContent("three"),
                  "a@example.test",
                  "refused@example.test",
                  "c@example.test"));

      assertThat(result.recipientReplies())
          .extracting(r -> r.reply().code())
          .containsExactly(250, 550, 250);
      assertThat(result.recipientReplies().get(1).reply().enhanced()).isEqualTo("5.1.1");
      assertThat(result.acceptedRecipients())
          .extracting(Recipient::address)
          .containsExactly("a@example.test", "c@example.test");
      assertThat(server.handler().awaitMessages(1, AWAIT).get(0).envelope().recipients())
          .extracting(Recipient::address)
          .containsExactly("a@example.test", "c@example.test");
    }
  }

  @Test
  void refusedSenderIsResetAndTheConnectionCarriesTheNextMessage() {
    try (Server server = start(b -> {})) {
      try (SmtpConnection connection = connected(client().connect(server.target()))) {

        TransactionResult refused =
            connection.send(
                OutgoingMessage.of(
                    "refused@example.test",
                    recipients("a@example.test", "b@example.test"),
                    simpleContent("refused").getBytes(UTF_8)));
        TransactionResult next = connection.send(message(simpleContent("next"), "a@example.test"));

        assertThat(refused.mailReply().code()).isEqualTo(550);
        // Pipelined: the RCPTs and DATA went out too and were refused for want of MAIL.
        assertThat(refused.recipientReplies()).allSatisfy(r -> assertThat(r.accepted()).isFalse());
        assertThat(refused.messageAccepted()).isFalse();
        assertThat(next.messageAccepted()).isTrue();
      }
      assertThat(server.policy().connects.get()).isEqualTo(1);
      assertThat(server.handler().awaitMessages(1, AWAIT)).hasSize(1);
    }
  }

  @Test
  void parametersReachTheServer() {
    try (Server server = start(b -> {});
        SmtpConnection connection = connected(client().connect(server.target()))) {
      Recipient recipient =
          new Recipient("a@example.test", java.util.Set.of(Recipient.Notify.DELAY), null);
      OutgoingMessage message =
          OutgoingMessage.of(
                  "s\u00e9nder@example.test",
                  List.of(recipient),
                  simpleContent("caf\u00e9").getBytes(UTF_8))
              .withParameters(
                  new MailParameters(
                      MailParameters.Body.EIGHT_BIT_MIME,
                      -1,
                      true,
                      MailParameters.Ret.HDRS,
                      "e1",
                      null));

      assertThat(connection.send(message).messageAccepted()).isTrue();

      var envelope = server.handler().awaitMessages(1, AWAIT).get(0).envelope();
      assertThat(envelope.reversePath()).isEqualTo("s\u00e9nder@example.test");
      assertThat(envelope.parameters().smtpUtf8()).isTrue();
      assertThat(envelope.parameters().body()).isEqualTo(MailParameters.Body.EIGHT_BIT_MIME);
      assertThat(envelope.parameters().ret()).isEqualTo(MailParameters.Ret.HDRS);
      assertThat(envelope.parameters().envid()).isEqualTo("e1");
      assertThat(envelope.recipients().get(0).dsnNotify()).containsExactly(Recipient.Notify.DELAY);
    }
  }

  @Test
  void contentThatCannotBeReadDuringBdatIsResetAndTheConnectionLivesOn() {
    SmtpClient client = clientBuilder().chunkSize(4096).build();
    try (Server server = start(b -> {});
        SmtpConnection connection = connected(client.connect(server.target()))) {

      TransactionResult broken = connection.send(failingAfter(10_000));

      assertThat(broken.localFailure().reason()).isEqualTo(LocalFailure.Reason.CONTENT_UNREADABLE);
      assertThat(broken.localFailure().reply().code()).isEqualTo(451);
      assertThat(connection.isReusable()).isTrue();
      assertThat(
              connection.send(message(simpleContent("after"), "a@example.test")).messageAccepted())
          .isTrue();
      assertThat(server.handler().awaitMessages(1, AWAIT)).hasSize(1);
      assertThat(server.handler().messages().get(0).contentAsString()).contains("Subject: after");
    }
  }

  @Test
  void contentThatCannotBeReadDuringDataDropsTheConnectionBeforeTheDot() {
    SmtpClient client = clientBuilder().chunking(false).build();
    try (Server server = start(b -> {})) {
      try (SmtpConnection connection = connected(client.connect(server.target()))) {

        TransactionResult broken = connection.send(failingAfter(100_000));

        assertThat(broken.localFailure().reason())
            .isEqualTo(LocalFailure.Reason.CONTENT_UNREADABLE);
        assertThat(broken.sessionFailure()).isNull();
        assertThat(connection.isReusable()).isFalse();
      }
      try (SmtpConnection again = connected(client().connect(server.target()))) {
        assertThat(again.send(message(simpleContent("again"), "a@example.test")).messageAccepted())
            .isTrue();
      }
      assertThat(server.handler().awaitMessages(1, AWAIT)).hasSize(1);
      assertThat(server.handler().messages().get(0).contentAsString()).contains("Subject: again");
    }
  }

  @Test
  void authOverPlainTextWhenTheTargetAllowsIt() {
    try (Server server =
            start(
                b ->
                    b.authenticator(
                            (user, password, session) -> user.equals("u") && password.equals("p"))
                        .allowAuthWithoutTls(true));
        SmtpConnection connection =
            connected(
                client()
                    .connect(
                        server
                            .target()
                            .withCredentials(new Credentials("u", "p"))
                            .withPlaintextAuthAllowed()))) {

      assertThat(connection.isAuthenticated()).isTrue();
      assertThat(connection.send(message(simpleContent("auth"), "a@example.org")).messageAccepted())
          .isTrue();
    }
  }

  @Test
  void wrongPasswordOverPlainTextIsRefusedBy535() {
    try (Server server =
        start(b -> b.authenticator((user, password, session) -> false).allowAuthWithoutTls(true))) {

      SessionFailure failure =
          failed(
              client()
                  .connect(
                      server
                          .target()
                          .withCredentials(new Credentials("u", "bad"))
                          .withPlaintextAuthAllowed()));

      assertThat(failure.stage()).isEqualTo(Stage.AUTH);
      assertThat(((SessionFailure.ServerReply) failure).reply().code()).isEqualTo(535);
    }
  }

  @Test
  void manyRecipientsArePipelinedInWindowsAndAllAnswered() {
    int count = ClientSession.PIPELINE_WINDOW * 2 + 50;
    String[] to = new String[count];
    for (int i = 0; i < count; i++) {
      to[i] = "r" + i + "@example.test";
    }
    try (Server server = start(b -> b.maxRecipients(count));
        SmtpConnection connection = connected(client().connect(server.target()))) {

      TransactionResult result = connection.send(message(simpleContent("many"), to));

      assertThat(result.acceptedRecipients()).hasSize(count);
      assertThat(server.handler().awaitMessages(1, AWAIT).get(0).envelope().recipients())
          .extracting(Recipient::address)
          .containsExactly(to);
    }
  }

  @Test
  void implicitTlsVerifiesTheServerFromTheFirstByte() {
    SmtpClient client =
        clientBuilder().sslContext(org.mta4j.testing.TestCertificates.clientContext()).build();
    try (Server server =
            start(
                b ->
                    b.listener(Listener.implicitTls("127.0.0.1", 0))
                        .tls(org.mta4j.testing.TestCertificates.serverContext()));
        SmtpConnection connection =
            connected(
                client.connect(
                    SmtpTarget.of(
                            ClientFixtures.loopback(server.mta().boundPorts().get(1)),
                            "localhost",
                            TlsPolicy.REQUIRED_VERIFIED)
                        .withImplicitTls()))) {

      assertThat(connection.tlsSession()).isPresent();
      assertThat(connection.send(message(simpleContent("465"), "a@example.test")).messageAccepted())
          .isTrue();
      assertThat(server.handler().awaitMessages(1, AWAIT).get(0).envelope().session().isTls())
          .isTrue();
    }
  }

  private static OutgoingMessage failingAfter(int bytes) {
    return new OutgoingMessage(
        "sender@example.test",
        recipients("a@example.test"),
        MailParameters.NONE,
        bytes * 2L,
        () ->
            new InputStream() {
              private final InputStream data = ClientFixtures.generated(bytes);

              @Override
              public int read() throws IOException {
                int b = data.read();
                if (b < 0) {
                  throw new IOException("queue file vanished");
                }
                return b;
              }

              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                int n = data.read(b, off, len);
                if (n < 0) {
                  throw new IOException("queue file vanished");
                }
                return n;
              }
            });
  }
}
