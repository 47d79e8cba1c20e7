package org.mta4j.interop;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.interop.RunningMta.AWAIT;
import static org.mta4j.interop.RunningMta.PEER_TIMEOUT;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.server.Authenticator;
import org.mta4j.server.Envelope;
import org.mta4j.server.Listener;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.Peers;
import org.mta4j.testing.RecordingHandler.Received;
import org.mta4j.testing.TestCertificates;

/**
 * The server against swaks (the Swiss Army Knife for SMTP), run as a process: plain, STARTTLS,
 * implicit TLS, AUTH, pipelining, 8-bit content and several recipients. Each test checks both
 * sides: swaks' exit code and transcript, and what the message handler was given.
 */
class SwaksInteropTest {

  private static final String USER = "alice@example.test";
  private static final String PASSWORD = "s3cret-pässword";
  private static final Authenticator ONE_USER =
      (username, password, session) -> USER.equals(username) && PASSWORD.equals(password);

  /** The TLS line of {@code swaks --support}, once known. */
  private static final AtomicReference<String> SWAKS_TLS_SUPPORT = new AtomicReference<>();

  /** A swaks run: its exit code and everything it printed (the transcript and any error). */
  private record SwaksRun(int exitCode, String transcript) {
    SwaksRun assertSuccess() {
      assertThat(exitCode).as("swaks exit code; transcript:%n%s", transcript).isZero();
      return this;
    }
  }

  private static SwaksRun swaks(RunningMta server, String... args) {
    List<String> command = new ArrayList<>();
    command.add(swaksExecutable(List.of(args)).toString());
    command.addAll(List.of("--server", "127.0.0.1", "--port", Integer.toString(server.port())));
    command.addAll(List.of("--helo", "client.example.test", "--timeout", "20"));
    command.addAll(List.of(args));
    Peers.ProcessResult result = Peers.run(PEER_TIMEOUT, command);
    return new SwaksRun(result.exitCode(), result.stdout() + result.stderr());
  }

  /**
   * swaks, checked (once) for TLS when {@code args} ask for it: without Perl's Net::SSLeay (Debian
   * recommends it, so {@code --no-install-recommends} leaves it out) swaks exits 10 before it
   * connects. That is a missing peer, reported as {@link Peers} reports one.
   */
  private static Path swaksExecutable(List<String> args) {
    Path swaks = Peers.executable("swaks");
    if (args.contains("-tls") || args.contains("-tlsc")) {
      String support =
          SWAKS_TLS_SUPPORT.updateAndGet(known -> known != null ? known : swaksSupport(swaks));
      if (!support.contains("=== TLS supported")) {
        String reason = "peer swaks cannot do TLS (install libnet-ssleay-perl): " + support.strip();
        if ("1".equals(System.getenv(Peers.REQUIRE_PEERS_ENV))) {
          Assertions.fail(reason + " (" + Peers.REQUIRE_PEERS_ENV + "=1)");
        }
        Assumptions.abort(reason);
      }
    }
    return swaks;
  }

  private static String swaksSupport(Path swaks) {
    Peers.ProcessResult result = Peers.run(PEER_TIMEOUT, List.of(swaks.toString(), "--support"));
    return (result.stdout() + result.stderr())
        .lines()
        .filter(line -> line.contains("TLS"))
        .findFirst()
        .orElse("swaks --support says nothing about TLS");
  }

  private static Consumer<Mta.Builder> withTls() {
    return b -> b.tls(TestCertificates.serverContext());
  }

  /** TLS, one user, and no trusted networks: relaying to another domain needs AUTH. */
  private static Consumer<Mta.Builder> withTlsAndAuth() {
    return b -> b.tls(TestCertificates.serverContext()).authenticator(ONE_USER).trustedNetworks();
  }

  /** The swaks options that make it verify the server against the test certificate. */
  private static List<String> verifiedTls() {
    return List.of("--tls-verify", "--tls-ca-path", TestCertificates.certificatePem().toString());
  }

  private static String[] args(List<String> first, String... rest) {
    List<String> all = new ArrayList<>(first);
    all.addAll(List.of(rest));
    return all.toArray(String[]::new);
  }

  private static Received onlyMessage(RunningMta server) {
    List<Received> messages = server.handler().awaitMessages(1, AWAIT);
    assertThat(messages).hasSize(1);
    return messages.get(0);
  }

  /** The server's own Received header field, as text. */
  private static String receivedHeader(Received message) {
    byte[] content = message.content();
    int length = content.length - message.contentAfterReceivedHeader().length;
    return new String(content, 0, length, UTF_8);
  }

  @Test
  void plainMessageArrivesWithItsEnvelopeBodyAndAReceivedHeader() {
    try (RunningMta server = RunningMta.start(b -> {})) {
      SwaksRun run =
          swaks(
                  server,
                  "--from",
                  "sender@client.test",
                  "--to",
                  "bob@example.test",
                  "--header",
                  "Subject: plain interop",
                  "--body",
                  "Hello from swaks over plain SMTP.")
              .assertSuccess();

      Received message = onlyMessage(server);
      Envelope envelope = message.envelope();
      assertThat(envelope.reversePath()).isEqualTo("sender@client.test");
      assertThat(envelope.recipients()).containsExactly(Recipient.of("bob@example.test"));
      assertThat(envelope.parameters().body()).isEqualTo(MailParameters.Body.SEVEN_BIT);
      assertThat(envelope.session().heloName()).isEqualTo("client.example.test");
      assertThat(envelope.session().esmtp()).isTrue();
      assertThat(envelope.session().isTls()).isFalse();
      assertThat(envelope.session().isAuthenticated()).isFalse();
      assertThat(message.contentAsString())
          .startsWith("Received: from client.example.test ([127.0.0.1])\r\n\tby mx.example.test")
          .contains("Subject: plain interop\r\n")
          .contains("Hello from swaks over plain SMTP.");
      assertThat(receivedHeader(message))
          .contains("with ESMTP id " + envelope.id())
          .contains("for <bob@example.test>")
          .doesNotContain("using TLS");
      assertThat(run.transcript())
          .contains("<-  220 mx.example.test ESMTP mta4j")
          .contains("<-  250 2.0.0 Ok: queued as " + envelope.id())
          .contains("<-  221 2.0.0 Bye");
    }
  }

  @Test
  void starttlsVerifiedAgainstTheTestCertificateCarriesTheMessageEncrypted() {
    try (RunningMta server = RunningMta.start(withTls())) {
      SwaksRun run =
          swaks(
                  server,
                  args(
                      verifiedTls(),
                      "-tls",
                      "--from",
                      "sender@client.test",
                      "--to",
                      "bob@example.test",
                      "--body",
                      "Sent after STARTTLS."))
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().session().isTls()).isTrue();
      String protocol = message.envelope().session().tls().protocol();
      String cipher = message.envelope().session().tls().cipherSuite();
      assertThat(protocol).startsWith("TLSv1.");
      assertThat(receivedHeader(message))
          .contains("with ESMTPS id " + message.envelope().id())
          .contains("(using " + protocol + " with cipher " + cipher + ")");
      assertThat(message.contentAsString()).contains("Sent after STARTTLS.");
      assertThat(run.transcript())
          .contains(" -> STARTTLS")
          .contains("<-  220 2.0.0 Ready to start TLS")
          .contains("=== TLS started")
          .contains("<~  250 2.0.0 Ok: queued as " + message.envelope().id());
    }
  }

  @Test
  void tls12ClientIsServedAndTheReceivedHeaderNamesWhatWasNegotiated() {
    try (RunningMta server = RunningMta.start(withTls())) {
      SwaksRun run =
          swaks(
                  server,
                  args(
                      verifiedTls(),
                      "-tls",
                      "--tls-protocol",
                      "tlsv1_2",
                      "--from",
                      "sender@client.test",
                      "--to",
                      "bob@example.test"))
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().session().tls().protocol()).isEqualTo("TLSv1.2");
      String cipher = message.envelope().session().tls().cipherSuite();
      assertThat(cipher).startsWith("TLS_ECDHE_");
      assertThat(receivedHeader(message)).contains("(using TLSv1.2 with cipher " + cipher + ")");
      assertThat(run.transcript()).contains("=== TLS started with cipher TLSv1.2:");
    }
  }

  @Test
  void swaksVerificationIsRealItFailsWithoutTheTestCertificate(@TempDir Path emptyCaDir) {
    // The counterpart of the verified tests above: with no CA that signed the server's
    // certificate, swaks --tls-verify must refuse, so their success means verification passed.
    try (RunningMta server = RunningMta.start(withTls())) {
      SwaksRun run =
          swaks(
              server,
              "--tls-verify",
              "--tls-ca-path",
              emptyCaDir.toString(),
              "-tls",
              "--from",
              "sender@client.test",
              "--to",
              "bob@example.test");

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(29); // swaks: error in TLS
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void implicitTlsListenerServesSwaksTlsOnConnect() {
    try (RunningMta server = RunningMta.start(Listener.implicitTls("127.0.0.1", 0), withTls())) {
      SwaksRun run =
          swaks(
                  server,
                  args(
                      verifiedTls(),
                      "-tlsc",
                      "--from",
                      "sender@client.test",
                      "--to",
                      "bob@example.test",
                      "--body",
                      "Sent over implicit TLS."))
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().session().isTls()).isTrue();
      assertThat(receivedHeader(message))
          .contains("with ESMTPS id ")
          .contains("(using " + message.envelope().session().tls().protocol() + " with cipher ");
      assertThat(message.contentAsString()).contains("Sent over implicit TLS.");
      assertThat(run.transcript())
          .contains("=== TLS started")
          .contains("<~  220 mx.example.test ESMTP mta4j")
          .doesNotContain(" -> STARTTLS")
          .contains("<~  250 2.0.0 Ok: queued as " + message.envelope().id());
    }
  }

  @Test
  void authPlainAfterStarttlsLetsTheUserRelay() {
    try (RunningMta server = RunningMta.start(withTlsAndAuth())) {
      SwaksRun run =
          swaks(
                  server,
                  args(
                      verifiedTls(),
                      "-tls",
                      "--auth",
                      "PLAIN",
                      "--auth-user",
                      USER,
                      "--auth-password",
                      PASSWORD,
                      "--from",
                      USER,
                      "--to",
                      "carol@elsewhere.test",
                      "--body",
                      "Relayed with AUTH PLAIN."))
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().session().authIdentity()).isEqualTo(USER);
      assertThat(message.envelope().recipients())
          .containsExactly(Recipient.of("carol@elsewhere.test"));
      assertThat(receivedHeader(message)).contains("with ESMTPSA id ");
      assertThat(run.transcript())
          .containsPattern("<~  250[- ]AUTH PLAIN LOGIN")
          .contains(" ~> AUTH PLAIN ")
          .contains("<~  235 2.7.0 Authentication successful");
    }
  }

  @Test
  void authLoginAfterStarttlsLetsTheUserRelay() {
    try (RunningMta server = RunningMta.start(withTlsAndAuth())) {
      SwaksRun run =
          swaks(
                  server,
                  args(
                      verifiedTls(),
                      "-tls",
                      "--auth",
                      "LOGIN",
                      "--auth-user",
                      USER,
                      "--auth-password",
                      PASSWORD,
                      "--from",
                      USER,
                      "--to",
                      "carol@elsewhere.test",
                      "--body",
                      "Relayed with AUTH LOGIN."))
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().session().authIdentity()).isEqualTo(USER);
      assertThat(receivedHeader(message)).contains("with ESMTPSA id ");
      assertThat(run.transcript())
          .contains(" ~> AUTH LOGIN")
          .contains("<~  334 VXNlcm5hbWU6")
          .contains("<~  334 UGFzc3dvcmQ6")
          .contains("<~  235 2.7.0 Authentication successful");
    }
  }

  @Test
  void wrongPasswordGets535AndTheMessageCarriesNoIdentity() {
    try (RunningMta server = RunningMta.start(withTlsAndAuth())) {
      // --auth-optional: after the failure swaks goes on, unauthenticated, to a local domain.
      SwaksRun run =
          swaks(
                  server,
                  args(
                      verifiedTls(),
                      "-tls",
                      "--auth-optional",
                      "PLAIN",
                      "--auth-user",
                      USER,
                      "--auth-password",
                      "wrong",
                      "--from",
                      USER,
                      "--to",
                      "bob@example.test",
                      "--body",
                      "Sent after a failed AUTH."))
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().session().isAuthenticated()).isFalse();
      assertThat(message.envelope().session().authIdentity()).isNull();
      assertThat(receivedHeader(message)).contains("with ESMTPS id ").doesNotContain("ESMTPSA");
      assertThat(run.transcript()).contains("<~* 535 5.7.8 Error: authentication failed");
    }
  }

  @Test
  void wrongPasswordWithRequiredAuthMakesSwaksGiveUpAndNothingIsRelayed() {
    try (RunningMta server = RunningMta.start(withTlsAndAuth())) {
      SwaksRun run =
          swaks(
              server,
              args(
                  verifiedTls(),
                  "-tls",
                  "--auth",
                  "LOGIN",
                  "--auth-user",
                  USER,
                  "--auth-password",
                  "wrong",
                  "--from",
                  USER,
                  "--to",
                  "carol@elsewhere.test"));

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(28); // swaks: error in AUTH
      assertThat(run.transcript()).contains("535 5.7.8 Error: authentication failed");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void authIsNotOfferedBeforeTlsSoSwaksCannotAuthenticateInPlainText() {
    // Swaks never sends an AUTH the server did not advertise; the 538 5.7.11 reply to an AUTH
    // sent anyway is checked with smtplib in SmtplibInteropTest.
    try (RunningMta server = RunningMta.start(withTlsAndAuth())) {
      SwaksRun run =
          swaks(
              server,
              "--auth",
              "PLAIN",
              "--auth-user",
              USER,
              "--auth-password",
              PASSWORD,
              "--from",
              USER,
              "--to",
              "carol@elsewhere.test");

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(28);
      assertThat(run.transcript())
          .containsPattern("<-  250[- ]STARTTLS")
          .doesNotContainPattern("250[- ]AUTH")
          .doesNotContain("235 ");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void pipelinedTransactionIsAnsweredInOrder() {
    try (RunningMta server = RunningMta.start(b -> {})) {
      SwaksRun run =
          swaks(
                  server,
                  "--pipeline",
                  "--from",
                  "sender@client.test",
                  "--to",
                  "bob@example.test,carol@example.test",
                  "--body",
                  "Pipelined.")
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().recipients())
          .containsExactly(Recipient.of("bob@example.test"), Recipient.of("carol@example.test"));
      assertThat(message.contentAsString()).contains("Pipelined.");
      assertThat(run.transcript())
          .containsPattern("<-  250[- ]PIPELINING")
          .containsSubsequence(
              " -> MAIL FROM:<sender@client.test>",
              " -> RCPT TO:<bob@example.test>",
              " -> RCPT TO:<carol@example.test>",
              " -> DATA",
              "<-  250 2.1.0 Ok",
              "<-  250 2.1.5 Ok",
              "<-  250 2.1.5 Ok",
              "<-  354 ")
          .contains("<-  250 2.0.0 Ok: queued as " + message.envelope().id());
    }
  }

  @Test
  void pipelinedSubmissionAfterStarttlsAndAuth() {
    try (RunningMta server = RunningMta.start(withTlsAndAuth())) {
      SwaksRun run =
          swaks(
                  server,
                  args(
                      verifiedTls(),
                      "-tls",
                      "--pipeline",
                      "--auth",
                      "PLAIN",
                      "--auth-user",
                      USER,
                      "--auth-password",
                      PASSWORD,
                      "--from",
                      USER,
                      "--to",
                      "carol@elsewhere.test,dave@elsewhere.test",
                      "--body",
                      "Pipelined over TLS."))
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().session().authIdentity()).isEqualTo(USER);
      assertThat(message.envelope().recipients())
          .extracting(Recipient::address)
          .containsExactly("carol@elsewhere.test", "dave@elsewhere.test");
      assertThat(run.transcript())
          .containsSubsequence(
              " ~> MAIL FROM:<" + USER + ">",
              " ~> RCPT TO:<carol@elsewhere.test>",
              " ~> RCPT TO:<dave@elsewhere.test>",
              " ~> DATA",
              "<~  250 2.1.0 Ok",
              "<~  250 2.1.5 Ok",
              "<~  250 2.1.5 Ok",
              "<~  354 ")
          .contains("<~  250 2.0.0 Ok: queued as " + message.envelope().id());
    }
  }

  @Test
  void eightBitBodyArrivesByteForByte(@TempDir Path dir) throws IOException {
    // Swaks has no BODY=8BITMIME option; the server takes 8-bit text in DATA regardless, and
    // must pass it on unchanged. --no-data-fixup sends the file verbatim, so it is dot-stuffed
    // and terminated here.
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes("Grüße aus Köln, ½ € ✓ 用户\r\n".getBytes(UTF_8));
    body.writeBytes("Latin-1, not UTF-8: caf\u00e9 \u00ff\r\n".getBytes(ISO_8859_1));
    body.writeBytes(".a line that began with a dot\r\n".getBytes(UTF_8));
    byte[] headers =
        ("From: sender@client.test\r\nTo: bob@example.test\r\nSubject: 8-bit\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\n")
            .getBytes(UTF_8);
    byte[] expected = concat(headers, body.toByteArray());
    byte[] onTheWire =
        concat(
            headers,
            new String(body.toByteArray(), ISO_8859_1)
                .replace("\r\n.", "\r\n..")
                .getBytes(ISO_8859_1),
            ".".getBytes(UTF_8)); // swaks appends the CRLF
    Path data = dir.resolve("8bit.eml");
    Files.write(data, onTheWire);

    try (RunningMta server = RunningMta.start(b -> {})) {
      SwaksRun run =
          swaks(
                  server,
                  "--from",
                  "sender@client.test",
                  "--to",
                  "bob@example.test",
                  "--no-data-fixup",
                  "--data",
                  "@" + data)
              .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.contentAfterReceivedHeader()).isEqualTo(expected);
      assertThat(run.transcript())
          .contains("<-  250 2.0.0 Ok: queued as ")
          .as("no stray line after the final dot")
          .doesNotContain("<** ")
          .contains("<-  221 ");
    }
  }

  @Test
  void severalRecipientsAreKeptInOrderOnOneEnvelope() {
    try (RunningMta server = RunningMta.start(b -> {})) {
      swaks(
              server,
              "--from",
              "sender@client.test",
              "--to",
              "bob@example.test,carol@example.test,dave@example.test,erin@example.test",
              "--body",
              "To four.")
          .assertSuccess();

      Received message = onlyMessage(server);
      assertThat(message.envelope().recipients())
          .extracting(Recipient::address)
          .containsExactly(
              "bob@example.test", "carol@example.test", "dave@example.test", "erin@example.test");
      // RFC 5321 §4.4: the "for" clause names one recipient only, never a list
      assertThat(receivedHeader(message)).doesNotContain(" for <");
      assertThat(message.contentAsString()).contains("To four.");
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
