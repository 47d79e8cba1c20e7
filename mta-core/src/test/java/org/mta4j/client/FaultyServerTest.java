package org.mta4j.client;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mta4j.client.ClientFixtures.AWAIT;
import static org.mta4j.client.ClientFixtures.client;
import static org.mta4j.client.ClientFixtures.clientBuilder;
import static org.mta4j.client.ClientFixtures.connected;
import static org.mta4j.client.ClientFixtures.failed;
import static org.mta4j.client.ClientFixtures.message;
import static org.mta4j.client.ClientFixtures.recipients;
import static org.mta4j.client.ClientFixtures.simpleContent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.mta4j.client.SessionFailure.NetworkError;
import org.mta4j.client.SessionFailure.ProtocolViolation;
import org.mta4j.client.SessionFailure.ServerReply;
import org.mta4j.smtp.MailParameters;

/**
 * The client against a scripted peer, for what real servers will not do on demand: silence, resets
 * in the middle of DATA, a stalled reader, replies before the TLS handshake, broken TLS, and
 * replies that are malformed or oddly shaped.
 */
class FaultyServerTest {

  private static final long BIG = 16L * 1024 * 1024;

  /** Answers a whole transaction one command at a time; the content is read and acknowledged. */
  private static void acceptOneMessage(ScriptedPeer.Conversation c) throws IOException {
    c.expect("MAIL FROM:");
    c.send("250 2.1.0 Ok");
    c.expect("RCPT TO:");
    c.send("250 2.1.5 Ok");
    c.expect("DATA");
    c.send("354 go ahead");
    c.readData();
    c.send("250 2.0.0 Ok: queued");
    c.expect("QUIT");
    c.send("221 2.0.0 Bye");
  }

  @Test
  void aServerThatNeverAnswersTimesOutAtTheGreeting() throws IOException {
    SmtpClient impatient = clientBuilder().greetingTimeout(Duration.ofMillis(300)).build();
    try (ScriptedPeer peer = ScriptedPeer.start(ScriptedPeer.Conversation::awaitClientClose)) {
      long start = System.nanoTime();

      SessionFailure failure = failed(impatient.connect(peer.target(TlsPolicy.NONE)));

      assertThat(failure)
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.GREETING);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.TIMEOUT);
              });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void connectionRefusedIsAConnectFailure() throws IOException {
    // A port bound but not listening: nobody else can take it, and connecting to it is refused.
    try (Socket bound = new Socket()) {
      bound.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      SmtpTarget target =
          SmtpTarget.of(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), bound.getLocalPort()),
              "localhost",
              TlsPolicy.NONE);

      SessionFailure failure = failed(client().connect(target));

      assertThat(failure)
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.CONNECT);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.CONNECT);
              });
    }
  }

  @Test
  void aResetInTheMiddleOfDataIsAConnectionLostWhileSendingTheContent() throws IOException {
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo("SIZE 0");
                  c.expect("MAIL FROM:");
                  c.send("250 2.1.0 Ok");
                  c.expect("RCPT TO:");
                  c.send("250 2.1.5 Ok");
                  c.expect("DATA");
                  c.send("354 go ahead");
                  c.skip(64 * 1024);
                  c.reset();
                });
        SmtpConnection connection = connected(client().connect(peer.target(TlsPolicy.NONE)))) {

      TransactionResult result = connection.send(big());

      assertThat(result.dataReply().code()).isEqualTo(354);
      assertThat(result.sessionFailure())
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.MESSAGE_CONTENT);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.CONNECTION_LOST);
              });
      assertThat(result.messageReply()).isNull();
      assertThat(connection.isReusable()).isFalse();
    }
  }

  @Test
  void aServerThatStopsReadingHitsTheDataBlockTimeout() throws IOException {
    SmtpClient impatient = clientBuilder().dataBlockTimeout(Duration.ofMillis(500)).build();
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo();
                  c.expect("MAIL FROM:");
                  c.send("250 2.1.0 Ok");
                  c.expect("RCPT TO:");
                  c.send("250 2.1.5 Ok");
                  c.expect("DATA");
                  c.send("354 go ahead");
                  // Reads nothing more: the client's writes fill the socket buffers and stall.
                  c.holdUntilClosed();
                });
        SmtpConnection connection = connected(impatient.connect(peer.target(TlsPolicy.NONE)))) {
      long start = System.nanoTime();

      TransactionResult result = connection.send(big());

      assertThat(result.sessionFailure())
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.MESSAGE_CONTENT);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.TIMEOUT);
              });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void pipeliningSendsMailEveryRcptAndDataBeforeReadingAReply() throws IOException {
    // The peer answers nothing until it has read DATA: a client that waited for MAIL's reply
    // would time out instead.
    SmtpClient client = clientBuilder().mailTimeout(Duration.ofSeconds(5)).build();
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo("PIPELINING", "8BITMIME");
                  c.expect("MAIL FROM:");
                  c.expect("RCPT TO:<a@");
                  c.expect("RCPT TO:<b@");
                  c.expect("DATA");
                  c.send("250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 No such user", "354 go ahead");
                  c.readData();
                  c.send("250 2.0.0 Ok: queued");
                  c.expect("QUIT");
                  c.send("221 2.0.0 Bye");
                });
        SmtpConnection connection = connected(client.connect(peer.target(TlsPolicy.NONE)))) {

      TransactionResult result =
          connection.send(message(simpleContent("batch"), "a@example.test", "b@example.test"));

      assertThat(result.messageAccepted()).isTrue();
      assertThat(result.acceptedRecipients()).hasSize(1);
      assertThat(result.recipientReplies().get(1).reply().code()).isEqualTo(550);
      assertThat(connection.isReusable()).as("no RSET needed after the final reply").isTrue();
    }
  }

  @Test
  void pipelinedDataAfterEveryRcptFailedIsEndedAtOnce() throws IOException {
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo("PIPELINING");
                  c.expect("MAIL FROM:");
                  c.expect("RCPT TO:");
                  c.expect("DATA");
                  // A server that says 354 although no recipient was accepted (RFC 2920 §3.1).
                  c.send("250 2.1.0 Ok", "550 5.1.1 No such user", "354 go ahead");
                  String content = c.readData();
                  c.send("554 5.5.1 Error: no valid recipients");
                  c.expect("RSET");
                  c.send("250 2.0.0 Ok");
                  if (!content.isEmpty()) {
                    throw new AssertionError("content sent to no recipient: " + content);
                  }
                });
        SmtpConnection connection = connected(client().connect(peer.target(TlsPolicy.NONE)))) {

      TransactionResult result =
          connection.send(message(simpleContent("nobody"), "x@example.test"));

      assertThat(result.dataReply().code()).isEqualTo(354);
      assertThat(result.messageReply().code()).isEqualTo(554);
      assertThat(result.messageAccepted()).isFalse();
      assertThat(connection.isReusable()).isTrue();
      await().atMost(AWAIT).until(() -> peer.conversations().get(0).lines().contains("RSET"));
      assertThat(peer.errors()).isEmpty();
    }
  }

  @Test
  void opportunisticTlsRetriesInPlainTextAfterAFailedHandshake() throws IOException {
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo("STARTTLS");
                  c.expect("STARTTLS");
                  c.send("220 2.0.0 Ready to start TLS");
                  c.sendRaw("this is not a TLS server hello\r\n".getBytes(US_ASCII));
                  c.awaitClientClose();
                },
                c -> {
                  c.greetAndEhlo("STARTTLS");
                  acceptOneMessage(c);
                });
        SmtpConnection connection =
            connected(client().connect(peer.target(TlsPolicy.OPPORTUNISTIC)))) {

      TransactionResult result = connection.send(message(simpleContent("retry"), "a@example.test"));
      connection.close();

      assertThat(result.messageAccepted()).isTrue();
      assertThat(connection.tlsSession()).isEmpty();
      assertThat(peer.connections()).isEqualTo(2);
      assertThat(peer.conversations().get(1).lines()).noneMatch(l -> l.startsWith("STARTTLS"));
      assertThat(peer.errors()).isEmpty();
    }
  }

  @Test
  void requiredTlsDoesNotRetryAfterAFailedHandshake() throws IOException {
    try (ScriptedPeer peer =
        ScriptedPeer.start(
            c -> {
              c.greetAndEhlo("STARTTLS");
              c.expect("STARTTLS");
              c.send("220 2.0.0 Ready to start TLS");
              c.sendRaw("this is not a TLS server hello\r\n".getBytes(US_ASCII));
              c.awaitClientClose();
            })) {

      SessionFailure failure = failed(client().connect(peer.target(TlsPolicy.REQUIRED)));

      assertThat(failure)
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.TLS_HANDSHAKE);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.TLS);
              });
      assertThat(peer.connections()).isEqualTo(1);
    }
  }

  @Test
  void repliesSentAheadOfTheTlsHandshakeAreRefused() throws IOException {
    try (ScriptedPeer peer =
        ScriptedPeer.start(
            c -> {
              c.greetAndEhlo("STARTTLS");
              c.expect("STARTTLS");
              // One write: the 220 and an injected reply a client must not take as post-TLS.
              c.send("220 2.0.0 Ready to start TLS", "250 2.0.0 injected");
              c.awaitClientClose();
            })) {

      SessionFailure failure = failed(client().connect(peer.target(TlsPolicy.OPPORTUNISTIC)));

      assertThat(failure).isInstanceOf(ProtocolViolation.class);
      assertThat(failure.stage()).isEqualTo(Stage.STARTTLS);
    }
  }

  @Test
  void opportunisticTlsGoesOnInPlainTextWhenStartTlsIsRefused() throws IOException {
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo("STARTTLS");
                  c.expect("STARTTLS");
                  c.send("454 4.7.0 TLS not available due to local problem");
                  acceptOneMessage(c);
                });
        SmtpConnection connection =
            connected(client().connect(peer.target(TlsPolicy.OPPORTUNISTIC)))) {

      assertThat(connection.send(message(simpleContent("454"), "a@example.test")).messageAccepted())
          .isTrue();
      assertThat(connection.tlsSession()).isEmpty();
    }
  }

  @Test
  void repliesAreKeptAsSentWithOrWithoutWellFormedEnhancedCodes() throws IOException {
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo();
                  c.expect("MAIL FROM:");
                  c.send("250 sender ok");
                  c.expect("RCPT TO:<a@");
                  c.send(
                      "550-5.1.1 The email account that you tried to reach",
                      "550 5.1.1 does not exist.");
                  c.expect("RCPT TO:<b@");
                  c.send("451 5.7.1 class does not match the code");
                  c.expect("RCPT TO:<c@");
                  c.send("450 4.2.0");
                  c.expect("RSET");
                  c.send("250 2.0.0 Ok");
                });
        SmtpConnection connection = connected(client().connect(peer.target(TlsPolicy.NONE)))) {

      TransactionResult result =
          connection.send(
              message(simpleContent("odd"), "a@example.test", "b@example.test", "c@example.test"));

      assertThat(result.mailReply())
          .isEqualTo(new RemoteReply(250, null, java.util.List.of("sender ok")));
      RemoteReply multi = result.recipientReplies().get(0).reply();
      assertThat(multi.enhanced()).isEqualTo("5.1.1");
      assertThat(multi.lines())
          .containsExactly(
              "5.1.1 The email account that you tried to reach", "5.1.1 does not exist.");
      assertThat(multi.message())
          .isEqualTo("The email account that you tried to reach does not exist.");
      RemoteReply mismatch = result.recipientReplies().get(1).reply();
      assertThat(mismatch.code()).isEqualTo(451);
      assertThat(mismatch.enhanced()).isNull();
      assertThat(mismatch.toSmtpReply().enhanced()).isEqualTo("4.0.0");
      RemoteReply bare = result.recipientReplies().get(2).reply();
      assertThat(bare.enhanced()).isEqualTo("4.2.0");
      assertThat(bare.message()).isEmpty();
      assertThat(connection.isReusable()).isTrue();
    }
  }

  @Test
  void a421InTheMiddleOfATransactionEndsTheSession() throws IOException {
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo();
                  c.expect("MAIL FROM:");
                  c.send("250 2.1.0 Ok");
                  c.expect("RCPT TO:");
                  c.send("421 4.3.2 Service shutting down");
                });
        SmtpConnection connection = connected(client().connect(peer.target(TlsPolicy.NONE)))) {

      TransactionResult result =
          connection.send(message(simpleContent("late"), "a@example.test", "b@example.test"));

      assertThat(result.sessionFailure())
          .isInstanceOfSatisfying(
              ServerReply.class,
              f -> {
                assertThat(f.stage()).isEqualTo(Stage.RCPT);
                assertThat(f.reply().code()).isEqualTo(421);
              });
      assertThat(result.recipientReplies().get(0).reply().code()).isEqualTo(421);
      assertThat(result.recipientReplies().get(1).reply()).isNull();
      assertThat(connection.isReusable()).isFalse();
    }
  }

  @Test
  void aGreetingThatIsNotAReplyIsAProtocolViolation() throws IOException {
    try (ScriptedPeer peer =
        ScriptedPeer.start(
            c -> {
              c.send("SSH-2.0-OpenSSH_9.2");
              c.awaitClientClose();
            })) {

      SessionFailure failure = failed(client().connect(peer.target(TlsPolicy.NONE)));

      assertThat(failure).isInstanceOf(ProtocolViolation.class);
      assertThat(failure.stage()).isEqualTo(Stage.GREETING);
    }
  }

  @Test
  void authLoginIsUsedWhenPlainIsNotOffered() throws IOException {
    try (ScriptedPeer peer =
        ScriptedPeer.start(
            c -> {
              c.greetAndEhlo("AUTH LOGIN");
              c.expect("AUTH LOGIN");
              c.send("334 VXNlcm5hbWU6");
              c.readLine();
              c.send("334 UGFzc3dvcmQ6");
              c.readLine();
              c.send("235 2.7.0 Authentication successful");
              c.expect("QUIT");
              c.send("221 2.0.0 Bye");
            })) {
      SmtpTarget target =
          peer.target(TlsPolicy.NONE)
              .withCredentials(new Credentials("user", "pass word"))
              .withPlaintextAuthAllowed();

      try (SmtpConnection connection = connected(client().connect(target))) {
        assertThat(connection.isAuthenticated()).isTrue();
      }

      await().atMost(AWAIT).until(() -> peer.conversations().get(0).lines().contains("QUIT"));
      assertThat(peer.conversations().get(0).lines())
          .containsSubsequence(
              "AUTH LOGIN",
              Base64.getEncoder().encodeToString("user".getBytes(UTF_8)),
              Base64.getEncoder().encodeToString("pass word".getBytes(UTF_8)));
    }
  }

  @Test
  void binaryMimeWithoutChunkingIsRefusedHere() throws IOException {
    try (ScriptedPeer peer =
            ScriptedPeer.start(
                c -> {
                  c.greetAndEhlo("8BITMIME");
                  c.expect("QUIT");
                  c.send("221 2.0.0 Bye");
                });
        SmtpConnection connection = connected(client().connect(peer.target(TlsPolicy.NONE)))) {
      OutgoingMessage binary =
          OutgoingMessage.of("s@example.test", recipients("a@example.test"), new byte[] {0, 1, 2})
              .withParameters(
                  new MailParameters(MailParameters.Body.BINARY_MIME, -1, false, null, null, null));

      TransactionResult result = connection.send(binary);

      assertThat(result.localFailure().reason())
          .isEqualTo(TransactionResult.LocalFailure.Reason.BINARYMIME_NOT_OFFERED);
      assertThat(result.localFailure().reply().enhanced()).isEqualTo("5.6.3");
    }
  }

  private static OutgoingMessage big() {
    return new OutgoingMessage(
        "sender@example.test",
        recipients("a@example.test"),
        MailParameters.NONE,
        BIG,
        () -> ClientFixtures.generated(BIG));
  }
}
