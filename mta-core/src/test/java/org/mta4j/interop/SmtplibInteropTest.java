package org.mta4j.interop;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.interop.RunningMta.AWAIT;
import static org.mta4j.interop.RunningMta.PEER_TIMEOUT;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.server.Authenticator;
import org.mta4j.server.Envelope;
import org.mta4j.server.Listener;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.Peers;
import org.mta4j.testing.RecordingHandler.Received;
import org.mta4j.testing.TestCertificates;

/**
 * The server against Python's smtplib (Debian's {@code /usr/bin/python3}), the client behind a
 * great many scripts and web applications: {@code send_message}, STARTTLS with certificate
 * verification, AUTH, and SMTPUTF8 (RFC 6531) addresses. Each script prints what the server
 * replied, one {@code KEY code text} line per step, so the test sees the client's side too.
 */
class SmtplibInteropTest {

  private static final String USER = "alice@example.test";
  // ASCII: smtplib's login() encodes credentials as ASCII and cannot send anything else.
  private static final String PASSWORD = "s3cret-password";
  private static final Authenticator ONE_USER =
      (username, password, session) -> USER.equals(username) && PASSWORD.equals(password);

  @TempDir Path dir;

  /** Runs {@code script} with Debian's python3; argv[1] is the port, then {@code args}. */
  private Peers.ProcessResult python(RunningMta server, String script, String... args)
      throws IOException {
    Path python = Peers.python3With("smtplib", "ssl", "email");
    Path file = Files.createTempFile(dir, "client", ".py");
    Files.writeString(file, script, UTF_8);
    List<String> command = new ArrayList<>();
    command.addAll(List.of(python.toString(), file.toString(), Integer.toString(server.port())));
    command.addAll(List.of(args));
    return Peers.run(PEER_TIMEOUT, command).assertSuccess();
  }

  private static Received onlyMessage(RunningMta server) {
    List<Received> messages = server.handler().awaitMessages(1, AWAIT);
    assertThat(messages).hasSize(1);
    return messages.get(0);
  }

  @Test
  void sendMessageDeliversHeadersBodyAndBccOnlyOnTheEnvelope() throws IOException {
    String script =
        """
        import smtplib, sys
        from email.message import EmailMessage
        msg = EmailMessage()
        msg['From'] = 'Sender <sender@client.test>'
        msg['To'] = 'Bob <bob@example.test>'
        msg['Bcc'] = 'hidden@example.test'
        msg['Subject'] = 'smtplib plain'
        msg.set_content('Hello from smtplib.\\n.a line starting with a dot\\n')
        with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test') as s:
            refused = s.send_message(msg)
            print('REFUSED', refused)
        """;
    try (RunningMta server = RunningMta.start(b -> {})) {
      Peers.ProcessResult run = python(server, script);

      assertThat(run.stdout()).contains("REFUSED {}");
      Received message = onlyMessage(server);
      Envelope envelope = message.envelope();
      assertThat(envelope.reversePath()).isEqualTo("sender@client.test");
      assertThat(envelope.recipients())
          .extracting(Recipient::address)
          .containsExactly("bob@example.test", "hidden@example.test");
      assertThat(envelope.session().heloName()).isEqualTo("py.client.test");
      String content = message.contentAsString();
      assertThat(content)
          .startsWith("Received: from py.client.test ([127.0.0.1])")
          .contains("From: Sender <sender@client.test>\r\n")
          .contains("Subject: smtplib plain\r\n")
          .doesNotContain("Bcc:")
          .contains("\r\n\r\nHello from smtplib.\r\n.a line starting with a dot\r\n");
    }
  }

  @Test
  void starttlsWithVerificationThenLoginLetsTheUserRelay() throws IOException {
    String script =
        """
        import smtplib, ssl, sys
        from email.message import EmailMessage
        ctx = ssl.create_default_context(cafile=sys.argv[2])
        with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test') as s:
            s.ehlo()
            print('AUTH-BEFORE-TLS', 'auth' in s.esmtp_features)
            print('STARTTLS', *s.starttls(context=ctx))
            print('TLS', s.sock.version())
            s.ehlo()
            print('AUTH-AFTER-TLS', s.esmtp_features.get('auth').strip())
            print('LOGIN', *s.login(sys.argv[3], sys.argv[4]))
            msg = EmailMessage()
            msg['From'] = sys.argv[3]
            msg['To'] = 'carol@elsewhere.test'
            msg['Subject'] = 'over TLS'
            msg.set_content('Relayed after STARTTLS and AUTH.')
            print('REFUSED', s.send_message(msg))
        """;
    try (RunningMta server =
        RunningMta.start(
            b ->
                b.tls(TestCertificates.serverContext())
                    .authenticator(ONE_USER)
                    .trustedNetworks())) {
      Peers.ProcessResult run =
          python(server, script, TestCertificates.certificatePem().toString(), USER, PASSWORD);

      assertThat(run.stdout())
          .contains("AUTH-BEFORE-TLS False")
          .contains("STARTTLS 220 b'2.0.0 Ready to start TLS'")
          .contains("AUTH-AFTER-TLS PLAIN LOGIN")
          .contains("LOGIN 235 b'2.7.0 Authentication successful'")
          .contains("REFUSED {}");
      Received message = onlyMessage(server);
      assertThat(message.envelope().session().authIdentity()).isEqualTo(USER);
      assertThat(message.envelope().session().tls().protocol())
          .isEqualTo(
              run.stdout()
                  .lines()
                  .filter(l -> l.startsWith("TLS "))
                  .findFirst()
                  .orElseThrow()
                  .substring(4));
      assertThat(message.envelope().recipients())
          .containsExactly(Recipient.of("carol@elsewhere.test"));
      assertThat(message.contentAsString())
          .contains("with ESMTPSA id " + message.envelope().id())
          .contains("Relayed after STARTTLS and AUTH.");
    }
  }

  @Test
  void smtpSslToTheImplicitTlsListenerDelivers() throws IOException {
    String script =
        """
        import smtplib, ssl, sys
        from email.message import EmailMessage
        ctx = ssl.create_default_context(cafile=sys.argv[2])
        with smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test',
                              context=ctx) as s:
            print('TLS', s.sock.version())
            msg = EmailMessage()
            msg['From'] = 'sender@client.test'
            msg['To'] = 'bob@example.test'
            msg['Subject'] = 'implicit TLS'
            msg.set_content('Sent over SMTP_SSL.')
            print('REFUSED', s.send_message(msg))
        """;
    try (RunningMta server =
        RunningMta.start(
            Listener.implicitTls("127.0.0.1", 0), b -> b.tls(TestCertificates.serverContext()))) {
      Peers.ProcessResult run =
          python(server, script, TestCertificates.certificatePem().toString());

      assertThat(run.stdout()).contains("REFUSED {}");
      Received message = onlyMessage(server);
      assertThat(run.stdout()).contains("TLS " + message.envelope().session().tls().protocol());
      assertThat(message.contentAsString())
          .contains("with ESMTPS id ")
          .contains("Sent over SMTP_SSL.");
    }
  }

  @Test
  void refusedRecipientsAreReportedToSmtplibAndTheOthersGetTheMessage() throws IOException {
    // No trusted networks: the remote recipient is relay-denied, the local ones are accepted.
    String script =
        """
        import smtplib, sys
        with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test') as s:
            rcpts = ['bob@example.test', 'mallory@elsewhere.test', 'carol@example.test']
            refused = s.sendmail('sender@client.test', rcpts,
                                 b'Subject: partial\\r\\n\\r\\nfor the local ones\\r\\n')
            for rcpt, (code, text) in sorted(refused.items()):
                print('REFUSED', rcpt, code, text.decode())
        """;
    try (RunningMta server = RunningMta.start(b -> b.trustedNetworks())) {
      Peers.ProcessResult run = python(server, script);

      assertThat(run.stdout().lines())
          .containsExactly("REFUSED mallory@elsewhere.test 554 5.7.1 Relay access denied");
      Received message = onlyMessage(server);
      assertThat(message.envelope().recipients())
          .extracting(Recipient::address)
          .containsExactly("bob@example.test", "carol@example.test");
    }
  }

  @Test
  void authSentBeforeTlsIsRefusedWith538() throws IOException {
    // smtplib's login() would not try a mechanism the server did not advertise, so the AUTH
    // command goes out through docmd(), as a client that ignores EHLO would send it.
    String script =
        """
        import base64, smtplib, sys
        with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test') as s:
            s.ehlo()
            token = base64.b64encode(('\\0%s\\0%s' % (sys.argv[2], sys.argv[3])).encode()).decode()
            print('PLAIN', *s.docmd('AUTH', 'PLAIN ' + token))
            print('LOGIN', *s.docmd('AUTH', 'LOGIN'))
            print('MAIL', *s.docmd('MAIL', 'FROM:<%s>' % sys.argv[2]))
            print('RCPT', *s.docmd('RCPT', 'TO:<carol@elsewhere.test>'))
        """;
    try (RunningMta server =
        RunningMta.start(
            b ->
                b.tls(TestCertificates.serverContext())
                    .authenticator(ONE_USER)
                    .trustedNetworks())) {
      Peers.ProcessResult run = python(server, script, USER, PASSWORD);

      assertThat(run.stdout())
          .contains(
              "PLAIN 538 b'5.7.11 Encryption required for requested authentication mechanism'")
          .contains(
              "LOGIN 538 b'5.7.11 Encryption required for requested authentication mechanism'")
          .contains("MAIL 250")
          .contains("RCPT 554 b'5.7.1 Relay access denied'");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void smtputf8AddressAndEightBitBodyArriveUnchanged() throws IOException {
    // sendmail() with explicit options; the script writes the exact bytes it handed to smtplib,
    // which dot-stuffs them on the wire: what arrives must be those bytes again.
    String script =
        """
        import smtplib, sys
        body = ('From: José <josé@client.test>\\r\\n'
                'To: 用户 <用户@example.test>\\r\\n'
                'Subject: Grüße\\r\\n'
                'MIME-Version: 1.0\\r\\n'
                'Content-Type: text/plain; charset=utf-8\\r\\n'
                'Content-Transfer-Encoding: 8bit\\r\\n'
                '\\r\\n'
                'Grüße, 你好, ½ € ✓\\r\\n'
                '.dot-started line\\r\\n').encode('utf-8') + b'raw \\xe9\\xff bytes\\r\\n'
        open(sys.argv[2], 'wb').write(body)
        with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test') as s:
            s.ehlo()
            print('SMTPUTF8', s.has_extn('smtputf8'), '8BITMIME', s.has_extn('8bitmime'))
            refused = s.sendmail('josé@client.test', ['用户@example.test'], body,
                                 mail_options=['BODY=8BITMIME', 'SMTPUTF8'])
            print('REFUSED', refused)
        """;
    Path sent = dir.resolve("sent.eml");
    try (RunningMta server = RunningMta.start(b -> {})) {
      Peers.ProcessResult run = python(server, script, sent.toString());

      assertThat(run.stdout()).contains("SMTPUTF8 True 8BITMIME True").contains("REFUSED {}");
      Received message = onlyMessage(server);
      Envelope envelope = message.envelope();
      assertThat(envelope.reversePath()).isEqualTo("josé@client.test");
      assertThat(envelope.recipients()).containsExactly(Recipient.of("用户@example.test"));
      assertThat(envelope.parameters().smtpUtf8()).isTrue();
      assertThat(envelope.parameters().body()).isEqualTo(MailParameters.Body.EIGHT_BIT_MIME);
      assertThat(message.contentAsString())
          .contains("with UTF8SMTP id " + envelope.id())
          .contains("for <用户@example.test>");
      assertThat(message.contentAfterReceivedHeader()).isEqualTo(Files.readAllBytes(sent));
    }
  }

  @Test
  void utf8AddressWithoutSmtputf8IsRefusedWith553() throws IOException {
    // smtplib encodes commands as ASCII unless SMTPUTF8 is asked for; a client that sends UTF-8
    // anyway is what the server must refuse (RFC 6531 §3.4).
    String script =
        """
        import smtplib, sys
        with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test') as s:
            s.ehlo()
            s.command_encoding = 'utf-8'
            print('MAIL-UTF8', *s.mail('用户@example.test', ['BODY=8BITMIME']))
            print('RSET', *s.rset())
            s.command_encoding = 'utf-8'  # rset() set it back to ASCII
            print('MAIL', *s.mail('sender@client.test'))
            print('RCPT-UTF8', *s.rcpt('用户@example.test'))
            print('RCPT', *s.rcpt('bob@example.test'))
            print('DATA', *s.data(b'Subject: ascii only\\r\\n\\r\\nstill delivered to bob\\r\\n'))
        """;
    try (RunningMta server = RunningMta.start(b -> {})) {
      Peers.ProcessResult run = python(server, script);

      String refusal = "553 b'5.6.7 Error: non-ASCII address requires the SMTPUTF8 parameter'";
      assertThat(run.stdout())
          .contains("MAIL-UTF8 " + refusal)
          .contains("RSET 250")
          .contains("MAIL 250")
          .contains("RCPT-UTF8 " + refusal)
          .contains("RCPT 250")
          .contains("DATA 250 b'2.0.0 Ok: queued as ");
      Received message = onlyMessage(server);
      assertThat(message.envelope().recipients()).containsExactly(Recipient.of("bob@example.test"));
      assertThat(message.envelope().parameters().smtpUtf8()).isFalse();
    }
  }
}
