package org.mta4j.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.RecordingHandler;
import org.mta4j.testing.TestCertificates;

/**
 * The command sequence and syntax of RFC 5321 §4.1 with its extensions, byte for byte: replies to
 * out-of-order commands, the EHLO keywords, PIPELINING (RFC 2920), DSN parameters (RFC 3461) and
 * BDAT (RFC 3030).
 */
class SmtpCommandsTest {

  // ---- sequence (RFC 5321 §4.1.4)

  @Test
  void rcptBeforeMailIsRejectedWith503() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("RCPT TO:<bob@example.test>").line())
          .isEqualTo("503 5.5.1 Error: need MAIL command");
    }
  }

  @Test
  void dataBeforeRcptIsRejectedWith503() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("DATA").line()).isEqualTo("503 5.5.1 Error: need MAIL command");
      wire.command("MAIL FROM:<alice@sender.test>");
      assertThat(wire.command("DATA").line()).isEqualTo("503 5.5.1 Error: need RCPT command");
    }
  }

  @Test
  void mailBeforeEhloIsRejectedWith503() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").line())
          .isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
    }
  }

  @Test
  void nestedMailIsRejectedWith503() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<alice@sender.test>");
      assertThat(wire.command("MAIL FROM:<other@sender.test>").line())
          .isEqualTo("503 5.5.1 Error: nested MAIL command");
    }
  }

  @Test
  void anUnknownCommandIsRejectedWith500AndTheSessionGoesOn() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("XYZZY").line()).isEqualTo("500 5.5.2 Error: command not recognized");
      assertThat(wire.command("").status()).isEqualTo("500 5.5.2");
      assertThat(wire.command("EXPN staff").status()).isEqualTo("502 5.5.1");
      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
    }
  }

  @Test
  void badMailSyntaxIsRejectedWith501Or553() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL alice@sender.test").line())
          .isEqualTo("501 5.5.4 Syntax: MAIL FROM:<address>");
      assertThat(wire.command("MAIL FROM:alice@sender.test").line())
          .isEqualTo("553 5.1.7 Error: malformed sender address");
      assertThat(wire.command("MAIL FROM:<alice@sender.test").status()).isEqualTo("553 5.1.7");
      assertThat(wire.command("MAIL FROM:<alice@@sender.test>").status()).isEqualTo("553 5.1.7");
      assertThat(wire.command("MAIL FROM:<postmaster>").status()).isEqualTo("553 5.1.7");
      assertThat(wire.command("MAIL FROM:<alice@sender.test> FOO=BAR").line())
          .isEqualTo("555 5.5.4 Error: unsupported parameter FOO");
      assertThat(wire.command("MAIL FROM:<alice@sender.test> BODY=BINARYMIME").status())
          .isEqualTo("501 5.5.4");
      assertThat(wire.command("MAIL FROM:<alice@sender.test> SIZE=ten").status())
          .isEqualTo("501 5.5.4");
      assertThat(wire.command("RCPT TO:<bob@example.test>").status()).isEqualTo("503 5.5.1");
      assertThat(wire.command("MAIL FROM:<>").status()).isEqualTo("250 2.1.0");
    }
  }

  @Test
  void aDeclaredSizeOverTheLimitIsRejectedAtMailWith552() {
    try (RunningServer server = RunningServer.start(b -> b.maxMessageSize(1000));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<alice@sender.test> SIZE=1001").line())
          .isEqualTo("552 5.3.4 Error: message too big for system");
      assertThat(wire.command("MAIL FROM:<alice@sender.test> SIZE=1000").status())
          .isEqualTo("250 2.1.0");
    }
  }

  @Test
  void vrfyHelpNoopRsetAndQuitAnswerAsPostfixDoes() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("VRFY bob").line())
          .isEqualTo("252 2.0.0 Cannot VRFY user, but will accept message");
      assertThat(wire.command("VRFY").status()).isEqualTo("501 5.5.4");
      assertThat(wire.command("HELP").status()).isEqualTo("214 2.0.0");
      assertThat(wire.command("NOOP").line()).isEqualTo("250 2.0.0 Ok");
      wire.command("MAIL FROM:<alice@sender.test>");
      assertThat(wire.command("RSET").line()).isEqualTo("250 2.0.0 Ok");
      assertThat(wire.command("RCPT TO:<bob@example.test>").status()).isEqualTo("503 5.5.1");
      assertThat(wire.command("RSET now").status()).isEqualTo("501 5.5.4");
      assertThat(wire.command("QUIT").line()).isEqualTo("221 2.0.0 Bye");
      wire.assertClosed();
    }
  }

  @Test
  void commandVerbsAreCaseInsensitive() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("ehlo client.example.test").code()).isEqualTo(250);
      assertThat(wire.command("mail from:<alice@sender.test>").status()).isEqualTo("250 2.1.0");
      assertThat(wire.command("Rcpt To:<bob@example.test>").status()).isEqualTo("250 2.1.5");
    }
  }

  @Test
  void heloGivesAPlainReplyAndRefusesEsmtpParameters() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("HELO").line()).isEqualTo("501 5.5.4 Syntax: EHLO hostname");
      assertThat(wire.command("HELO client.example.test").lines())
          .containsExactly("250 " + RunningServer.HOSTNAME);
      assertThat(wire.command("MAIL FROM:<alice@sender.test> SIZE=10").status())
          .isEqualTo("555 5.5.4");
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").status()).isEqualTo("250 2.1.0");
    }
  }

  /**
   * RFC 2034 §3: every reply but the greeting, EHLO/HELO, 354 and 334 carries an enhanced status
   * code of its own class. One session walks through every command and many errors.
   */
  @Test
  void everyReplyCarriesAnEnhancedStatusCodeOfItsClass() {
    try (RunningServer server =
            RunningServer.start(
                b ->
                    b.maxMessageSize(5000)
                        .maxErrors(100)
                        .trustedNetworks()
                        .allowAuthWithoutTls(true)
                        .authenticator((u, p, s) -> u.equals("alice") && p.equals("secret")));
        SmtpWire wire = server.connect()) {
      List<SmtpWire.Reply> exempt = new ArrayList<>();
      exempt.add(wire.read());
      wire.command("MAIL FROM:<a@sender.test>");
      exempt.add(wire.command("HELO client.example.test"));
      exempt.add(wire.command("EHLO client.example.test"));
      for (String c :
          List.of(
              "NOOP",
              "HELP",
              "VRFY bob",
              "VRFY",
              "EXPN staff",
              "XYZZY",
              "RSET x",
              "STARTTLS",
              "RCPT TO:<bob@example.test>",
              "DATA",
              "MAIL FROM:<a@sender.test> SIZE=9999",
              "MAIL FROM:a@sender.test",
              "MAIL a@sender.test",
              "MAIL FROM:<a@sender.test> FOO=1",
              "MAIL FROM:<\u00e4@sender.test>",
              "AUTH",
              "AUTH CRAM-MD5",
              "AUTH PLAIN !!!",
              "MAIL FROM:<a@sender.test> RET=HDRS",
              "RCPT TO:<b@other.test>",
              "RCPT TO:<b@example.test> NOTIFY=NEVER,SUCCESS",
              "RCPT TO:<b@example.test> ORCPT=bad",
              "RCPT TO:<b@example.test> NOTIFY=DELAY",
              "MAIL FROM:<c@sender.test>",
              "RSET")) {
        wire.commandUtf8(c);
      }
      exempt.add(wire.command("AUTH LOGIN"));
      wire.command("*");
      wire.command("MAIL FROM:<a@sender.test>");
      wire.command("RCPT TO:<b@example.test>");
      exempt.add(wire.command("DATA"));
      wire.send("body\r\n.\r\n").read();
      wire.send(("x".repeat(600) + "\r\n")).read();
      wire.send("BDAT 3 LAST\r\nabc").read();
      wire.command("MAIL FROM:<a@sender.test>");
      wire.command("RCPT TO:<b@example.test>");
      wire.send("BDAT 3\r\nabc").read();
      wire.command("DATA");
      wire.send("BDAT 0 LAST\r\n").read();
      wire.command("BDAT"); // no size: the session cannot stay in step and is closed
      wire.assertClosed();

      List<SmtpWire.Reply> checked = new ArrayList<>(wire.transcript());
      checked.removeAll(exempt);
      assertThat(checked).hasSizeGreaterThan(35);
      assertThat(checked)
          .allSatisfy(
              r ->
                  assertThat(r.hasMatchingEnhancedStatusOnEveryLine())
                      .as("enhanced status in %s", r)
                      .isTrue());
      assertThat(exempt.get(0).line()).isEqualTo(RunningServer.GREETING);
      assertThat(exempt.get(4).line()).isEqualTo("354 End data with <CR><LF>.<CR><LF>");
    }
  }

  // ---- PIPELINING (RFC 2920)

  @Test
  void aPipelinedBurstGetsEveryReplyInOrder() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.send(
          "MAIL FROM:<alice@sender.test>\r\n"
              + "RCPT TO:<bob@example.test>\r\n"
              + "RCPT TO:<carol@example.test>\r\n"
              + "DATA\r\n");

      assertThat(wire.read(4))
          .extracting(SmtpWire.Reply::line)
          .containsExactly(
              "250 2.1.0 Ok",
              "250 2.1.5 Ok",
              "250 2.1.5 Ok",
              "354 End data with <CR><LF>.<CR><LF>");
      wire.send("Subject: t\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n");
      List<SmtpWire.Reply> rest = wire.readUntilClosed(5);
      assertThat(rest)
          .extracting(SmtpWire.Reply::status)
          .containsExactly("250 2.0.0", "250 2.0.0", "250 2.0.0", "221 2.0.0");
      assertThat(server.handler().messages().get(0).envelope().recipients())
          .extracting(Recipient::address)
          .containsExactly("bob@example.test", "carol@example.test");
    }
  }

  @Test
  void aWholePipelinedSessionInOneWriteIsAnsweredInOrder() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.connect()) {
      wire.send(
          "EHLO client.example.test\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.test>\r\n"
              + "RCPT TO:<c@example.test>\r\nNOOP\r\nRSET\r\nMAIL FROM:<d@sender.test>\r\n"
              + "RCPT TO:<e@example.test>\r\nBDAT 4 LAST\r\nabcdQUIT\r\n");

      List<SmtpWire.Reply> replies = wire.readUntilClosed(12);

      assertThat(replies)
          .extracting(SmtpWire.Reply::status)
          .containsExactly(
              "220",
              "250",
              "250 2.1.0",
              "250 2.1.5",
              "250 2.1.5",
              "250 2.0.0",
              "250 2.0.0",
              "250 2.1.0",
              "250 2.1.5",
              "250 2.0.0",
              "221 2.0.0");
      assertThat(server.handler().messages()).hasSize(1);
    }
  }

  // ---- EHLO (RFC 5321 §4.1.1.1)

  @Test
  void ehloAdvertisesTheExtensionsWithoutTls() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("EHLO client.example.test").lines())
          .containsExactly(
              "250-" + RunningServer.HOSTNAME,
              "250-PIPELINING",
              "250-SIZE 10240000",
              "250-ENHANCEDSTATUSCODES",
              "250-8BITMIME",
              "250-DSN",
              "250-SMTPUTF8",
              "250 CHUNKING");
    }
  }

  @Test
  void ehloAdvertisesStartTlsWhenTlsIsConfiguredAndTheConfiguredSize() {
    try (RunningServer server =
            RunningServer.start(b -> b.tls(TestCertificates.serverContext()).maxMessageSize(2048));
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("EHLO client.example.test").lines())
          .containsExactly(
              "250-" + RunningServer.HOSTNAME,
              "250-PIPELINING",
              "250-SIZE 2048",
              "250-STARTTLS",
              "250-ENHANCEDSTATUSCODES",
              "250-8BITMIME",
              "250-DSN",
              "250-SMTPUTF8",
              "250 CHUNKING");
    }
  }

  @Test
  void ehloAdvertisesAuthWithoutTlsOnlyWhenAllowed() {
    try (RunningServer server =
            RunningServer.start(
                b -> b.allowAuthWithoutTls(true).authenticator((u, p, s) -> false));
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("EHLO client.example.test").texts())
          .contains("AUTH PLAIN LOGIN")
          .doesNotContain("STARTTLS");
    }
  }

  @Test
  void ehloWithoutADomainIsRejectedWith501() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command("EHLO").line()).isEqualTo("501 5.5.4 Syntax: EHLO hostname");
      assertThat(wire.command("EHLO two words").status()).isEqualTo("501 5.5.4");
    }
  }

  @Test
  void ehloInTheMiddleOfATransactionResetsIt() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<alice@sender.test>");
      wire.command("EHLO client.example.test");
      assertThat(wire.command("RCPT TO:<bob@example.test>").status()).isEqualTo("503 5.5.1");
    }
  }

  // ---- MAIL and RCPT parameters (RFC 1870, 3461, 6152, 6531)

  @Test
  void dsnParametersAreParsedAndKeptOnTheEnvelope() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.send(
          "MAIL FROM:<alice@sender.test> RET=HDRS ENVID=QQ314159+2Bx SIZE=20 BODY=8BITMIME\r\n"
              + "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE"
              + " ORCPT=rfc822;bob+40example.test\r\n"
              + "RCPT TO:<carol@example.test> NOTIFY=NEVER\r\n"
              + "RCPT TO:<dave@example.test>\r\n"
              + "DATA\r\n");
      assertThat(wire.read(5))
          .extracting(SmtpWire.Reply::status)
          .containsExactly("250 2.1.0", "250 2.1.5", "250 2.1.5", "250 2.1.5", "354");
      assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");

      Envelope envelope = server.handler().messages().get(0).envelope();
      assertThat(envelope.parameters())
          .isEqualTo(
              new MailParameters(
                  MailParameters.Body.EIGHT_BIT_MIME,
                  20,
                  false,
                  MailParameters.Ret.HDRS,
                  "QQ314159+2Bx",
                  null));
      assertThat(envelope.recipients())
          .containsExactly(
              new Recipient(
                  "bob@example.test",
                  Set.of(Recipient.Notify.SUCCESS, Recipient.Notify.FAILURE),
                  "rfc822;bob+40example.test"),
              new Recipient("carol@example.test", Set.of(Recipient.Notify.NEVER), null),
              Recipient.of("dave@example.test"));
    }
  }

  @Test
  void badDsnParametersAreRejectedWith501() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<alice@sender.test> RET=ALL").line())
          .isEqualTo("501 5.5.4 Error: bad value for parameter RET");
      assertThat(wire.command("MAIL FROM:<alice@sender.test> ENVID=a+zz").status())
          .isEqualTo("501 5.5.4");
      assertThat(wire.command("MAIL FROM:<alice@sender.test> RET=FULL RET=HDRS").status())
          .isEqualTo("553 5.1.7");
      wire.command("MAIL FROM:<alice@sender.test> RET=FULL");
      assertThat(wire.command("RCPT TO:<bob@example.test> NOTIFY=NEVER,DELAY").status())
          .isEqualTo("501 5.5.4");
      assertThat(wire.command("RCPT TO:<bob@example.test> NOTIFY=SOMETIMES").status())
          .isEqualTo("501 5.5.4");
      assertThat(wire.command("RCPT TO:<bob@example.test> ORCPT=noseparator").status())
          .isEqualTo("501 5.5.4");
      assertThat(wire.command("RCPT TO:<bob@example.test> XFOO").status()).isEqualTo("555 5.5.4");
    }
  }

  @Test
  void aUtf8AddressNeedsTheSmtputf8Parameter() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.commandUtf8("MAIL FROM:<j\u00f6rg@sender.test>").line())
          .isEqualTo("553 5.6.7 Error: non-ASCII address requires the SMTPUTF8 parameter");
      assertThat(wire.commandUtf8("MAIL FROM:<j\u00f6rg@sender.test> SMTPUTF8").status())
          .isEqualTo("250 2.1.0");
      assertThat(wire.commandUtf8("RCPT TO:<b\u00fcro@example.test>").status())
          .isEqualTo("250 2.1.5");
      wire.command("DATA");
      assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");

      RecordingHandler.Received received = server.handler().messages().get(0);
      assertThat(received.envelope().reversePath()).isEqualTo("j\u00f6rg@sender.test");
      assertThat(received.envelope().parameters().smtpUtf8()).isTrue();
      assertThat(received.envelope().recipients().get(0).address())
          .isEqualTo("b\u00fcro@example.test");
      assertThat(received.contentAsString()).contains(" with UTF8SMTP id ");
    }
  }

  @Test
  void aPathWithMalformedUtf8IsRefusedRatherThanRewritten() {
    // Regression: 0xFF 0xFE were decoded to U+FFFD and the altered address accepted.
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.send("MAIL FROM:<\u00ff\u00fe@sender.test> SMTPUTF8\r\n").read().line())
          .isEqualTo("500 5.5.2 Error: NUL or 8-bit character in command");
      // well-formed UTF-8 is still welcome
      assertThat(wire.commandUtf8("MAIL FROM:<\u00ff\u00fe@sender.test> SMTPUTF8").status())
          .isEqualTo("250 2.1.0");
    }
  }

  // ---- BDAT (RFC 3030)

  @Test
  void bdatChunksArriveByteForByteWithoutUnstuffing() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<alice@sender.test> BODY=8BITMIME");
      wire.command("RCPT TO:<bob@example.test>");
      byte[] first = bytes("Subject: chunks\r\n\r\n.a leading dot\r\n");
      byte[] second = {'\0', (byte) 0xff, (byte) 0x80, '\r', '\n', '.', '\r', '\n'};
      byte[] third = bytes("..two dots\r\n");

      assertThat(wire.send(concat(bytes("BDAT " + first.length + "\r\n"), first)).read().line())
          .isEqualTo("250 2.0.0 Ok: " + first.length + " octets received");
      assertThat(wire.send(concat(bytes("BDAT " + second.length + "\r\n"), second)).read().status())
          .isEqualTo("250 2.0.0");
      assertThat(wire.send(bytes("BDAT 0\r\n")).read().line())
          .isEqualTo("250 2.0.0 Ok: 0 octets received");
      assertThat(
              wire.send(concat(bytes("BDAT " + third.length + " LAST\r\n"), third)).read().line())
          .matches("250 2\\.0\\.0 Ok: queued as [0-9A-Z]+");

      assertThat(server.handler().messages().get(0).contentAfterReceivedHeader())
          .isEqualTo(concat(first, second, third));
    }
  }

  @Test
  void aCrlfSplitAcrossBdatChunksIsOneLineEndingButATrailingCrIsBare() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\n").read(2);
      assertThat(wire.send("BDAT 3\r\nab\r").read().status()).isEqualTo("250 2.0.0");
      assertThat(wire.send("BDAT 3 LAST\r\n\ncd").read().status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages().get(0).contentAfterReceivedHeader())
          .isEqualTo(bytes("ab\r\ncd"));

      wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\n").read(2);
      assertThat(wire.send("BDAT 3 LAST\r\nab\r").read().status()).isEqualTo("550 5.6.0");
    }
  }

  @Test
  void bdatWithoutMailConsumesTheChunkThenSays503() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      // Were the chunk not consumed, its bytes would be read as a QUIT command.
      assertThat(wire.send("BDAT 6\r\nQUIT\r\n").read().line())
          .isEqualTo("503 5.5.1 Error: need MAIL command");
      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      wire.command("MAIL FROM:<alice@sender.test>");
      assertThat(wire.send("BDAT 6 LAST\r\nQUIT\r\n").read().line())
          .isEqualTo("503 5.5.1 Error: need RCPT command");
      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void dataAfterBdatIsRejectedWith503() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<alice@sender.test>");
      wire.command("RCPT TO:<bob@example.test>");
      wire.send("BDAT 3\r\nabc").read();

      assertThat(wire.command("DATA").line())
          .isEqualTo("503 5.5.1 Error: DATA after BDAT is not allowed");
      assertThat(wire.send("BDAT 5 LAST\r\ndef\r\n").read().status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages().get(0).contentAfterReceivedHeader())
          .isEqualTo(bytes("abcdef\r\n"));
    }
  }

  @Test
  void bdatWithABadSizeIsRejectedAndTheConnectionClosed() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<alice@sender.test>");
      wire.command("RCPT TO:<bob@example.test>");

      assertThat(wire.command("BDAT ten LAST").line())
          .isEqualTo("501 5.5.4 Syntax: BDAT chunk-size [LAST]");
      wire.assertClosed();
    }
  }

  @Test
  void rsetAfterBdatDropsThePartialMessage() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<alice@sender.test>");
      wire.command("RCPT TO:<bob@example.test>");
      wire.send("BDAT 7\r\npartial").read();
      assertThat(wire.command("RSET").status()).isEqualTo("250 2.0.0");
      wire.command("MAIL FROM:<alice@sender.test>");
      wire.command("RCPT TO:<bob@example.test>");
      assertThat(wire.send("BDAT 5 LAST\r\nwhole").read().status()).isEqualTo("250 2.0.0");

      assertThat(server.handler().messages()).hasSize(1);
      assertThat(server.handler().messages().get(0).contentAfterReceivedHeader())
          .isEqualTo(bytes("whole"));
    }
  }

  @Test
  void theReceivedHeaderNamesTheClientAndTheSingleRecipient() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n").read(3);
      String queued = wire.send("hi\r\n.\r\n").read().line();

      RecordingHandler.Received received = server.handler().messages().get(0);
      String id = received.envelope().id();
      assertThat(queued).isEqualTo("250 2.0.0 Ok: queued as " + id);
      assertThat(received.contentAsString())
          .startsWith(
              "Received: from client.example.test ([127.0.0.1])\r\n\tby "
                  + RunningServer.HOSTNAME
                  + " (mta4j) with ESMTP id "
                  + id
                  + "\r\n\tfor <bob@example.test>;\r\n\t")
          .endsWith("\r\nhi\r\n");
      assertThat(received.envelope().session().heloName()).isEqualTo("client.example.test");
      assertThat(received.envelope().session().esmtp()).isTrue();
      assertThat(received.envelope().session().client().getAddress().getHostAddress())
          .isEqualTo("127.0.0.1");
      assertThat(received.envelope().session().client().getPort()).isEqualTo(wire.localPort());
    }
  }

  @Test
  void theInjectedClockDatesTheEnvelopeAndTheReceivedHeaderByteForByte() {
    Instant now = Instant.parse("2024-02-29T12:34:56Z");
    try (RunningServer server =
            RunningServer.start(b -> b.clock(Clock.fixed(now, ZoneOffset.UTC)));
        SmtpWire wire = server.greeted()) {
      wire.command("EHLO client.example.test");
      wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n").read(3);
      wire.send("Subject: t\r\n\r\nhi\r\n.\r\n").read();

      RecordingHandler.Received received = server.handler().messages().get(0);
      // queue ids: the clock's start time in base 36, 4 random characters, an 8-digit counter
      String id = received.envelope().id();
      assertThat(id)
          .matches(
              Long.toString(now.toEpochMilli(), 36).toUpperCase(Locale.ROOT)
                  + "[0-9A-Z]{4}[0-9A-F]{8}");
      String date =
          DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US)
              .format(now.atZone(ZoneId.systemDefault()));
      assertThat(received.envelope().receivedAt()).isEqualTo(now);
      assertThat(received.contentAsString())
          .isEqualTo(
              "Received: from client.example.test ([127.0.0.1])\r\n"
                  + "\tby mx.example.test (mta4j) with ESMTP id "
                  + id
                  + "\r\n"
                  + "\tfor <bob@example.test>;\r\n"
                  + "\t"
                  + date
                  + "\r\n"
                  + "Subject: t\r\n\r\nhi\r\n");
    }
  }

  @Test
  void authPlainAndLoginWorkAndACancelIsRefused() {
    try (RunningServer server =
            RunningServer.start(
                b ->
                    b.allowAuthWithoutTls(true)
                        .authenticator((u, p, s) -> u.equals("alice") && p.equals("secret")));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("AUTH LOGIN").line()).isEqualTo("334 VXNlcm5hbWU6");
      assertThat(wire.command("*").line()).isEqualTo("501 5.7.0 Authentication cancelled");
      assertThat(wire.command("AUTH PLAIN").line()).isEqualTo("334 ");
      assertThat(wire.command(b64("\0alice\0wrong")).line())
          .isEqualTo("535 5.7.8 Error: authentication failed");
      assertThat(wire.command("AUTH LOGIN " + b64("alice")).line()).isEqualTo("334 UGFzc3dvcmQ6");
      assertThat(wire.command(b64("secret")).line())
          .isEqualTo("235 2.7.0 Authentication successful");
      assertThat(wire.command("AUTH PLAIN " + b64("\0alice\0secret")).status())
          .isEqualTo("503 5.5.1");
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
  }

  static byte[] bytes(String s) {
    return s.getBytes(ISO_8859_1);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
