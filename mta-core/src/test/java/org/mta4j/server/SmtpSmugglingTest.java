package org.mta4j.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.RecordingHandler;

/**
 * SMTP smuggling (SEC Consult, December 2023; Postfix CVE-2023-51764, Sendmail CVE-2023-51765): an
 * outbound relay that passes a non-standard end-of-data sequence through lets an attacker hide a
 * second transaction inside one message. Here each variant is sent inside DATA, followed by a
 * complete smuggled transaction and then a proper end of data, and the server must see one message
 * at most and never the smuggled envelope.
 */
class SmtpSmugglingTest {

  private static final String SMUGGLED =
      "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n";

  /** The proper end of data a relay appends after the attacker's content. */
  private static final String PROPER_END = "\r\n.\r\n";

  static Stream<Arguments> bareVariants() {
    return Stream.of("\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r", "\n.\r", "\r.\n")
        .map(v -> Arguments.of(escape(v), v));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bareVariants")
  void aBareLineEndingEndOfDataIsRefusedWith550AndNothingIsSmuggled(String name, String variant) {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = inData(server)) {
      wire.send("hello" + variant + SMUGGLED + PROPER_END + "QUIT\r\n");

      List<SmtpWire.Reply> replies = wire.readUntilClosed(10);

      assertThat(replies.get(0).line())
          .isEqualTo(
              "550 5.6.0 Error: message contains a bare <CR> or <LF>; only <CR><LF> line endings"
                  + " are allowed");
      // After the one end of data: the two lines of PROPER_END are stray commands, then QUIT.
      assertThat(replies)
          .extracting(SmtpWire.Reply::status)
          .containsExactly("550 5.6.0", "500 5.5.2", "500 5.5.2", "221 2.0.0");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bareVariants")
  void aBareLineEndingEndOfDataIsContentWhenNormalizing(String name, String variant) {
    try (RunningServer server =
            RunningServer.start(b -> b.bareLineEndings(BareLineEndings.NORMALIZE));
        SmtpWire wire = inData(server)) {
      wire.send("hello" + variant + SMUGGLED + PROPER_END + "QUIT\r\n");

      List<SmtpWire.Reply> replies = wire.readUntilClosed(10);

      assertThat(replies)
          .extracting(SmtpWire.Reply::status)
          .containsExactly("250 2.0.0", "500 5.5.2", "500 5.5.2", "221 2.0.0");
      List<RecordingHandler.Received> messages = server.handler().messages();
      assertThat(messages).hasSize(1);
      assertNoSmuggledEnvelope(messages);
      // Each bare CR/LF became CRLF, and the lone "." of the fake end lost its stuffing dot
      // (RFC 5321 §4.5.2), so the smuggled commands are plain text lines of the one message.
      assertThat(new String(messages.get(0).contentAfterReceivedHeader(), ISO_8859_1))
          .isEqualTo(
              "hello\r\n\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@example.test>\r\n"
                  + "DATA\r\nsmuggled\r\n");
    }
  }

  @Test
  void aNulBeforeTheDotIsContentNotAnEndOfData() {
    for (BareLineEndings mode : BareLineEndings.values()) {
      try (RunningServer server = RunningServer.start(b -> b.bareLineEndings(mode));
          SmtpWire wire = inData(server)) {
        wire.send("hello\r\n\0.\r\n" + SMUGGLED + PROPER_END + "QUIT\r\n");

        List<SmtpWire.Reply> replies = wire.readUntilClosed(10);

        // No bare CR or LF: the message is well formed, a NUL is not refused (as in Postfix).
        assertThat(replies)
            .as("mode %s", mode)
            .extracting(SmtpWire.Reply::status)
            .containsExactly("250 2.0.0", "500 5.5.2", "500 5.5.2", "221 2.0.0");
        List<RecordingHandler.Received> messages = server.handler().messages();
        assertThat(messages).hasSize(1);
        assertNoSmuggledEnvelope(messages);
        assertThat(new String(messages.get(0).contentAfterReceivedHeader(), ISO_8859_1))
            .isEqualTo(
                "hello\r\n\0.\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@example.test>\r\n"
                    + "DATA\r\nsmuggled\r\n");
      }
    }
  }

  /**
   * The control: with a real {@code <CRLF>.<CRLF>} the same bytes are two transactions, the second
   * one the client's own pipelined commands. This shows the battery would see a smuggled envelope.
   */
  @Test
  void aRealEndOfDataFollowedByPipelinedCommandsIsTwoTransactions() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = inData(server)) {
      wire.send("hello\r\n.\r\n" + SMUGGLED + PROPER_END + "QUIT\r\n");

      List<SmtpWire.Reply> replies = wire.readUntilClosed(12);

      assertThat(replies)
          .extracting(SmtpWire.Reply::status)
          .containsExactly(
              "250 2.0.0",
              "250 2.1.0",
              "250 2.1.5",
              "354",
              "250 2.0.0",
              "500 5.5.2",
              "500 5.5.2",
              "221 2.0.0");
      List<RecordingHandler.Received> messages = server.handler().messages();
      assertThat(messages)
          .extracting(m -> m.envelope().reversePath())
          .containsExactly("alice@sender.test", "evil@x.test");
      assertThat(messages.get(0).contentAfterReceivedHeader())
          .isEqualTo("hello\r\n".getBytes(ISO_8859_1));
      assertThat(messages.get(1).contentAfterReceivedHeader())
          .isEqualTo("smuggled\r\n".getBytes(ISO_8859_1));
    }
  }

  @Test
  void aLeadingDotIsRemovedFromEveryLine() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = inData(server)) {
      wire.send("..x\r\n...\r\n..\r\n. leading space\r\nno dot\r\n.\r\n");

      assertThat(wire.read().status()).isEqualTo("250 2.0.0");
      assertThat(
              new String(
                  server.handler().messages().get(0).contentAfterReceivedHeader(), ISO_8859_1))
          .isEqualTo(".x\r\n..\r\n.\r\n leading space\r\nno dot\r\n");
    }
  }

  @Test
  void aLoneDotAfterARealCrlfEndsTheDataAndTheNextBytesAreCommands() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = inData(server)) {
      wire.send("line one\r\n.\r\nNOOP\r\n");

      assertThat(wire.read(2))
          .extracting(SmtpWire.Reply::status)
          .containsExactly("250 2.0.0", "250 2.0.0");
      assertThat(wire.transcript().get(wire.transcript().size() - 2).line())
          .matches("250 2\\.0\\.0 Ok: queued as [0-9A-Z]+");
      assertThat(server.handler().messages().get(0).contentAfterReceivedHeader())
          .isEqualTo("line one\r\n".getBytes(ISO_8859_1));
    }
  }

  @Test
  void theEndOfDataSplitAcrossWritesStillEndsTheData() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = inData(server)) {
      wire.send("split\r");
      wire.send("\n.");
      wire.send("\r");
      wire.send("\n");

      assertThat(wire.read().status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages().get(0).contentAfterReceivedHeader())
          .isEqualTo("split\r\n".getBytes(ISO_8859_1));
    }
  }

  @Test
  void aCommandEndedByABareLfIsRefusedByDefault() {
    try (RunningServer server = RunningServer.start();
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.send("MAIL FROM:<evil@x.test>\n").read().line())
          .isEqualTo("500 5.5.2 Error: bare <LF> received");
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").status()).isEqualTo("250 2.1.0");
    }
  }

  @Test
  void aCommandEndedByABareLfIsAcceptedWhenNormalizing() {
    try (RunningServer server =
            RunningServer.start(b -> b.bareLineEndings(BareLineEndings.NORMALIZE));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.send("MAIL FROM:<alice@sender.test>\n").read().status())
          .isEqualTo("250 2.1.0");
    }
  }

  /** Opens a transaction and reads the 354, all pipelined as a relay would send it. */
  static SmtpWire inData(RunningServer server) {
    SmtpWire wire = server.afterEhlo();
    wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
    assertThat(wire.read(3))
        .extracting(SmtpWire.Reply::status)
        .containsExactly("250 2.1.0", "250 2.1.5", "354");
    return wire;
  }

  private static void assertNoSmuggledEnvelope(List<RecordingHandler.Received> messages) {
    assertThat(messages)
        .allSatisfy(m -> assertThat(m.envelope().reversePath()).isEqualTo("alice@sender.test"));
    assertThat(messages)
        .allSatisfy(
            m ->
                assertThat(m.envelope().recipients())
                    .extracting(Recipient::address)
                    .containsExactly("bob@example.test"));
  }

  static String escape(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0");
  }
}
