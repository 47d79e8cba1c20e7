package org.mta4j.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mta4j.testing.RecordingHandler;
import org.mta4j.testing.TestCertificates;

/**
 * Every bound the server keeps, hit once (STYLE rule 9): line lengths (RFC 5321 §4.5.3.1), the
 * recipient count, the message size (RFC 1870), error and AUTH-failure counts, connection counts
 * and the command and data timeouts (§4.5.3.2).
 */
class SmtpLimitsTest {

  private static final Duration SHORT = Duration.ofMillis(300);

  @Test
  void aCommandLineOver512OctetsIsRejectedWith500AndTheSessionContinues() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      // 510 characters + CRLF = 512 octets: the longest command line (RFC 5321 §4.5.3.1.4)
      assertThat(wire.command("NOOP " + "x".repeat(505)).line()).isEqualTo("250 2.0.0 Ok");
      assertThat(wire.command("NOOP " + "x".repeat(506)).line())
          .isEqualTo("500 5.5.2 Error: command line too long");
      assertThat(wire.command("NOOP " + "x".repeat(200_000)).line())
          .isEqualTo("500 5.5.2 Error: command line too long");
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").status()).isEqualTo("250 2.1.0");
    }
  }

  @Test
  void aTextLineOver1000OctetsIsRejectedWith550AtTheEndOfData() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      // 998 characters + CRLF = 1000 octets, the longest text line (§4.5.3.1.6); a stuffing dot
      // does not count.
      sendMessage(wire, "." + "a".repeat(998) + "\r\n" + "b".repeat(998) + "\r\n");
      assertThat(wire.read().status()).isEqualTo("250 2.0.0");

      sendMessage(wire, "short\r\n" + "c".repeat(999) + "\r\nshort\r\n");
      assertThat(wire.read().line())
          .isEqualTo("550 5.6.0 Error: message has a line longer than the limit");

      assertThat(server.handler().messages()).hasSize(1);
      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
    }
  }

  @Test
  void theHundredAndFirstRecipientIsRejectedWith452() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      StringBuilder burst = new StringBuilder("MAIL FROM:<alice@sender.test>\r\n");
      for (int i = 1; i <= 101; i++) {
        burst.append("RCPT TO:<user").append(i).append("@example.test>\r\n");
      }
      wire.send(burst.toString());

      List<SmtpWire.Reply> replies = wire.read(102);

      assertThat(replies.subList(1, 101))
          .extracting(SmtpWire.Reply::status)
          .containsOnly("250 2.1.5");
      assertThat(replies.get(101).line()).isEqualTo("452 4.5.3 Error: too many recipients");
      assertThat(wire.command("DATA").code()).isEqualTo(354);
      assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages().get(0).envelope().recipients()).hasSize(100);
    }
  }

  @Test
  void aDataMessageOverMaxMessageSizeIsRejectedWith552() {
    try (RunningServer server = RunningServer.start(b -> b.maxMessageSize(1000));
        SmtpWire wire = server.afterEhlo()) {
      String exactly1000 = ("x".repeat(98) + "\r\n").repeat(10);
      sendMessage(wire, exactly1000);
      assertThat(wire.read().status()).isEqualTo("250 2.0.0");

      sendMessage(wire, "y" + exactly1000);
      assertThat(wire.read().line())
          .isEqualTo("552 5.3.4 Error: message size exceeds fixed limit of 1000 bytes");

      // Far over the limit: read to its end and dropped, and the session is still in step.
      sendMessage(wire, ("z".repeat(98) + "\r\n").repeat(5_000));
      assertThat(wire.read().status()).isEqualTo("552 5.3.4");
      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages()).hasSize(1);
    }
  }

  @Test
  void aBdatMessageOverMaxMessageSizeIsRejectedWith552() {
    try (RunningServer server = RunningServer.start(b -> b.maxMessageSize(1000));
        SmtpWire wire = server.afterEhlo()) {
      openTransaction(wire);
      assertThat(wire.send("BDAT 1000 LAST\r\n" + lines('a', 1000)).read().status())
          .isEqualTo("250 2.0.0");

      openTransaction(wire);
      assertThat(wire.send("BDAT 600\r\n" + lines('b', 600)).read().status())
          .isEqualTo("250 2.0.0");
      assertThat(wire.send("BDAT 401 LAST\r\n" + "c" + lines('c', 400)).read().line())
          .isEqualTo("552 5.3.4 Error: message size exceeds fixed limit of 1000 bytes");

      openTransaction(wire);
      assertThat(wire.send("BDAT 1001\r\n" + "d" + lines('d', 1000)).read().status())
          .isEqualTo("552 5.3.4");
      assertThat(wire.send("BDAT 5 LAST\r\n" + "e".repeat(5)).read().status())
          .isEqualTo("552 5.3.4");

      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages()).hasSize(1);
    }
  }

  @Test
  void aMaxMessageSizeOfLongMaxValueMeansNoPracticalLimit() {
    // Regression: the limit plus the Received header overflowed, refusing every message with 552.
    try (RunningServer server = RunningServer.start(b -> b.maxMessageSize(Long.MAX_VALUE));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("EHLO client.example.test").texts())
          .contains("SIZE 9223372036854775807");
      sendMessage(wire, "hi\r\n");
      assertThat(wire.read().status()).isEqualTo("250 2.0.0");
      openTransaction(wire);
      assertThat(wire.send("BDAT 4 LAST\r\nhi\r\n").read().status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages()).hasSize(2);
    }
  }

  @Test
  void aMessageLargerThanMemoryPerMessageArrivesIntactThroughItsSpillFile() {
    try (RunningServer server = RunningServer.start(b -> b.memoryPerMessage(4096));
        SmtpWire wire = server.afterEhlo()) {
      StringBuilder content = new StringBuilder();
      for (int i = 0; content.length() < 3_000_000; i++) {
        content.append("line ").append(i).append(' ').append("x".repeat(i % 90)).append("\r\n");
      }
      sendMessage(wire, content.toString());
      assertThat(wire.read().status()).isEqualTo("250 2.0.0");
      openTransaction(wire);
      assertThat(wire.send("BDAT 5 LAST\r\nsmall").read().status()).isEqualTo("250 2.0.0");

      List<RecordingHandler.Received> messages = server.handler().messages();
      assertThat(messages.get(0).contentAfterReceivedHeader())
          .isEqualTo(content.toString().getBytes(UTF_8));
      assertThat(messages.get(1).contentAfterReceivedHeader()).isEqualTo("small".getBytes(UTF_8));
    }
  }

  @Test
  void reachingMaxErrorsGives421AndClosesTheConnection() {
    try (RunningServer server = RunningServer.start(b -> b.maxErrors(3));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("XYZZY").status()).isEqualTo("500 5.5.2");
      assertThat(wire.command("RCPT TO:<bob@example.test>").status()).isEqualTo("503 5.5.1");

      wire.send("XYZZY\r\n");

      assertThat(wire.readUntilClosed(3))
          .extracting(SmtpWire.Reply::line)
          .containsExactly(
              "500 5.5.2 Error: command not recognized", "421 4.7.0 Error: too many errors");
    }
  }

  @Test
  void reachingMaxAuthFailuresGives421AndClosesTheConnection() {
    try (RunningServer server =
            RunningServer.start(
                b ->
                    b.maxAuthFailures(2)
                        .allowAuthWithoutTls(true)
                        .authenticator((u, p, s) -> false));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("AUTH PLAIN " + plain("alice", "guess1")).status())
          .isEqualTo("535 5.7.8");

      wire.send("AUTH PLAIN " + plain("alice", "guess2") + "\r\n");

      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("421 4.7.0 Error: too many failed authentication attempts");
    }
  }

  @Test
  void oneClientOverMaxConnectionsPerClientGets421WhileOthersAreServed() {
    try (RunningServer server = RunningServer.start(b -> b.maxConnectionsPerClient(2));
        SmtpWire first = server.greeted();
        SmtpWire second = server.greeted()) {
      try (SmtpWire third = server.connect()) {
        assertThat(third.readUntilClosed(2))
            .extracting(SmtpWire.Reply::line)
            .containsExactly("421 4.7.0 Error: too many connections from your address");
      }
      try (SmtpWire otherClient = SmtpWire.connect(server.port(), "127.0.0.2")) {
        assertThat(otherClient.read().line()).isEqualTo(RunningServer.GREETING);
      }

      assertThat(first.command("QUIT").status()).isEqualTo("221 2.0.0");
      first.assertClosed();
      await().atMost(Duration.ofSeconds(10)).until(() -> server.mta().activeSessions() == 1);

      try (SmtpWire again = server.connect()) {
        assertThat(again.read().line()).isEqualTo(RunningServer.GREETING);
      }
    }
  }

  @Test
  void maxConnectionsHoldsTheNextClientWithoutAGreetingUntilASessionEnds() {
    try (RunningServer server = RunningServer.start(b -> b.maxConnections(2));
        SmtpWire first = server.greeted();
        SmtpWire second = server.greeted();
        SmtpWire third = server.connect()) {
      third.assertSilentFor(Duration.ofMillis(500));
      assertThat(server.mta().activeSessions()).isEqualTo(2);

      first.command("QUIT");

      assertThat(third.read().line()).isEqualTo(RunningServer.GREETING);
      assertThat(third.command("EHLO client.example.test").code()).isEqualTo(250);
    }
  }

  @Test
  void anIdleClientIsDisconnectedWith421AfterTheCommandTimeout() {
    try (RunningServer server = RunningServer.start(b -> b.commandTimeout(SHORT));
        SmtpWire wire = server.afterEhlo()) {
      long start = System.nanoTime();

      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("421 4.4.2 Error: timeout exceeded");

      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(200), Duration.ofSeconds(8));
    }
  }

  @Test
  void eachCommandGetsTheWholeCommandTimeoutNotTheSessionAsAWhole() {
    try (RunningServer server = RunningServer.start(b -> b.commandTimeout(SHORT));
        SmtpWire wire = server.afterEhlo()) {
      // five pauses of half the timeout: 750 ms in all, more than twice the timeout
      for (int i = 0; i < 5; i++) {
        wire.assertSilentFor(SHORT.dividedBy(2));
        assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      }
    }
  }

  @Test
  void aClientIdleAfterStartTlsIsDisconnectedWith421AfterTheCommandTimeout() {
    try (RunningServer server =
            RunningServer.start(
                b -> b.tls(TestCertificates.serverContext()).commandTimeout(SHORT));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("STARTTLS").status()).isEqualTo("220 2.0.0");
      wire.startTls();
      assertThat(wire.command("EHLO client.example.test").code()).isEqualTo(250);
      long start = System.nanoTime();

      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("421 4.4.2 Error: timeout exceeded");

      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(200), Duration.ofSeconds(8));
    }
  }

  @Test
  void aClientStallingInDataIsDisconnectedWith421AfterTheDataTimeout() {
    try (RunningServer server =
            RunningServer.start(b -> b.dataTimeout(SHORT).commandTimeout(Duration.ofSeconds(30)));
        SmtpWire wire = SmtpSmugglingTest.inData(server)) {
      wire.send("Subject: half a message\r\n\r\nand then nothing");

      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("421 4.4.2 Error: timeout exceeded");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void aClientStallingInABdatChunkIsDisconnectedWith421AfterTheDataTimeout() {
    try (RunningServer server =
            RunningServer.start(b -> b.dataTimeout(SHORT).commandTimeout(Duration.ofSeconds(30)));
        SmtpWire wire = server.afterEhlo()) {
      openTransaction(wire);
      wire.send("BDAT 100 LAST\r\nonly a few octets");

      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("421 4.4.2 Error: timeout exceeded");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void theDataTimeoutDoesNotShortenTheCommandTimeout() {
    try (RunningServer server =
            RunningServer.start(b -> b.dataTimeout(SHORT).commandTimeout(Duration.ofSeconds(30)));
        SmtpWire wire = SmtpSmugglingTest.inData(server)) {
      assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");

      wire.assertSilentFor(Duration.ofMillis(900)); // three data timeouts: still no 421

      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
    }
  }

  /** {@code octets} bytes of 100-octet lines (98 characters and CRLF). */
  private static String lines(char c, int octets) {
    return (String.valueOf(c).repeat(98) + "\r\n").repeat(octets / 100);
  }

  private static void openTransaction(SmtpWire wire) {
    wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\n");
    assertThat(wire.read(2))
        .extracting(SmtpWire.Reply::status)
        .containsExactly("250 2.1.0", "250 2.1.5");
  }

  /** MAIL, RCPT, DATA, the content and the end of data; the final reply is left unread. */
  private static void sendMessage(SmtpWire wire, String content) {
    wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
    assertThat(wire.read(3))
        .extracting(SmtpWire.Reply::status)
        .containsExactly("250 2.1.0", "250 2.1.5", "354");
    wire.send(content + ".\r\n");
  }

  private static String plain(String user, String password) {
    return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(UTF_8));
  }
}
