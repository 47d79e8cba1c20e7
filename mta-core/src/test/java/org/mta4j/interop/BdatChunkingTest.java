package org.mta4j.interop;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.interop.RunningMta.AWAIT;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mta4j.server.BareLineEndings;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.RecordingHandler.Received;

/**
 * CHUNKING (RFC 3030) with byte-exact chunks, as no library client here sends them (smtplib and
 * swaks have no BDAT): content is length-delimited, so a lone {@code "."} line is just content, no
 * dot is removed, 8-bit bytes and a CRLF split across two chunks arrive unchanged, and bare CR or
 * LF is refused by default ({@link BareLineEndings#REJECT}) or turned into CRLF when normalizing.
 */
class BdatChunkingTest {

  private static final byte[] HEADERS =
      ("From: sender@client.test\r\nTo: bob@example.test\r\nSubject: chunks\r\n"
              + "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n\r\n")
          .getBytes(US_ASCII);

  /** Every octet but CR and LF, then a CRLF: binary content without bare line endings. */
  private static byte[] everyOctetButCrLf() {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = 0; b < 256; b++) {
      if (b != '\r' && b != '\n') {
        line.write(b);
      }
    }
    line.writeBytes("\r\n".getBytes(US_ASCII));
    return line.toByteArray();
  }

  /** Content in which DATA would see an end, dot-stuffing and 8-bit text; BDAT must not care. */
  private static byte[] cleanContent() {
    return concat(
        HEADERS,
        ascii("first line\r\n"),
        ascii(".\r\n"), // would end DATA; in BDAT it is a line holding one dot
        ascii("..two dots stay two\r\n"),
        ascii(".\r\n.\r\n"),
        everyOctetButCrLf(),
        "8-bit: Grüße ✓\r\n".getBytes(UTF_8),
        ascii("last line\r\n"));
  }

  /** Chunk boundaries: inside a CRLF, right after a lone dot, and one chunk of the binary line. */
  private static List<byte[]> awkwardChunks(byte[] content) {
    String text = new String(content, ISO_8859_1);
    int insideCrLf = text.indexOf("first line\r\n") + "first line\r".length();
    int afterLoneDot = text.indexOf("\r\n.\r\n") + "\r\n.".length();
    int binaryStart = text.indexOf("..two dots");
    int binaryEnd = binaryStart + 300;
    return List.of(
        Arrays.copyOfRange(content, 0, insideCrLf),
        Arrays.copyOfRange(content, insideCrLf, afterLoneDot),
        Arrays.copyOfRange(content, afterLoneDot, binaryStart),
        Arrays.copyOfRange(content, binaryStart, binaryEnd),
        Arrays.copyOfRange(content, binaryEnd, content.length));
  }

  private static void startTransaction(RawSmtpClient client) throws IOException {
    assertThat(client.reply()).startsWith("220 ");
    assertThat(keywords(client.command("EHLO raw.client.test"))).contains("CHUNKING");
    assertThat(client.command("MAIL FROM:<sender@client.test> BODY=8BITMIME"))
        .isEqualTo("250 2.1.0 Ok");
    assertThat(client.command("RCPT TO:<bob@example.test>")).isEqualTo("250 2.1.5 Ok");
  }

  /** Sends each chunk as {@code BDAT n}, then {@code BDAT 0 LAST}; returns the final reply. */
  private static String sendChunks(RawSmtpClient client, List<byte[]> chunks) throws IOException {
    for (byte[] chunk : chunks) {
      client.send(concat(ascii("BDAT " + chunk.length + "\r\n"), chunk));
      assertThat(client.reply()).isEqualTo("250 2.0.0 Ok: " + chunk.length + " octets received");
    }
    return client.command("BDAT 0 LAST");
  }

  @Test
  void cleanChunksArriveByteForByteWithNoDotHandling() throws IOException {
    byte[] content = cleanContent();
    try (RunningMta server = RunningMta.start(b -> {});
        RawSmtpClient client = new RawSmtpClient(server.port(), AWAIT)) {
      startTransaction(client);

      String last = sendChunks(client, awkwardChunks(content));

      Received message = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(last).isEqualTo("250 2.0.0 Ok: queued as " + message.envelope().id());
      assertThat(message.contentAfterReceivedHeader()).isEqualTo(content);
      assertThat(message.envelope().parameters().body())
          .isEqualTo(MailParameters.Body.EIGHT_BIT_MIME);
      assertThat(message.envelope().recipients()).containsExactly(Recipient.of("bob@example.test"));
      assertThat(client.command("QUIT")).isEqualTo("221 2.0.0 Bye");
    }
  }

  @Test
  void pipelinedTransactionWithChunksIsAnsweredInOrder() throws IOException {
    byte[] content = cleanContent();
    List<byte[]> chunks = awkwardChunks(content);
    try (RunningMta server = RunningMta.start(b -> {});
        RawSmtpClient client = new RawSmtpClient(server.port(), AWAIT)) {
      assertThat(client.reply()).startsWith("220 ");
      assertThat(keywords(client.command("EHLO raw.client.test")))
          .contains("PIPELINING", "CHUNKING");

      // RFC 3030 §4.2: BDAT commands may be pipelined; the whole transaction in one write.
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      burst.writeBytes(ascii("MAIL FROM:<sender@client.test>\r\nRCPT TO:<bob@example.test>\r\n"));
      for (int i = 0; i < chunks.size(); i++) {
        String last = i == chunks.size() - 1 ? " LAST" : "";
        burst.writeBytes(ascii("BDAT " + chunks.get(i).length + last + "\r\n"));
        burst.writeBytes(chunks.get(i));
      }
      burst.writeBytes(ascii("QUIT\r\n"));
      client.send(burst.toByteArray());

      List<String> replies = new ArrayList<>();
      for (int i = 0; i < 2 + chunks.size() + 1; i++) {
        replies.add(client.reply());
      }
      Received message = server.handler().awaitMessages(1, AWAIT).get(0);
      List<String> expected = new ArrayList<>(List.of("250 2.1.0 Ok", "250 2.1.5 Ok"));
      for (int i = 0; i < chunks.size() - 1; i++) {
        expected.add("250 2.0.0 Ok: " + chunks.get(i).length + " octets received");
      }
      expected.add("250 2.0.0 Ok: queued as " + message.envelope().id());
      expected.add("221 2.0.0 Bye");
      assertThat(replies).containsExactlyElementsOf(expected);
      assertThat(message.contentAfterReceivedHeader()).isEqualTo(content);
    }
  }

  @ParameterizedTest(name = "bare {0}")
  @ValueSource(strings = {"LF", "CR"})
  void bareLineEndingInAChunkIsRefusedWith550ByDefaultAndTheSessionGoesOn(String which)
      throws IOException {
    String bare = which.equals("LF") ? "\n" : "\r";
    byte[] content = concat(HEADERS, ascii("before" + bare + "after\r\n"));
    try (RunningMta server = RunningMta.start(b -> {});
        RawSmtpClient client = new RawSmtpClient(server.port(), AWAIT)) {
      startTransaction(client);

      String last = sendChunks(client, List.of(content));

      assertThat(last)
          .isEqualTo(
              "550 5.6.0 Error: message contains a bare <CR> or <LF>;"
                  + " only <CR><LF> line endings are allowed");
      // The refused transaction is over and the session is in step: a clean one goes through.
      assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
      assertThat(client.command("MAIL FROM:<sender@client.test>")).isEqualTo("250 2.1.0 Ok");
      assertThat(client.command("RCPT TO:<bob@example.test>")).isEqualTo("250 2.1.5 Ok");
      byte[] clean = concat(HEADERS, ascii("clean\r\n"));
      client.send(concat(ascii("BDAT " + clean.length + " LAST\r\n"), clean));
      assertThat(client.reply()).startsWith("250 2.0.0 Ok: queued as ");
      List<Received> messages = server.handler().awaitMessages(1, AWAIT);
      assertThat(messages).hasSize(1);
      assertThat(messages.get(0).contentAfterReceivedHeader()).isEqualTo(clean);
    }
  }

  @Test
  void bareLineEndingsAreTurnedIntoCrLfWhenNormalizing() throws IOException {
    // A bare LF, a bare CR inside a chunk, a bare CR as the last byte of one chunk followed by
    // text in the next, a real CRLF split across chunks, and a bare CR as the very last byte.
    List<byte[]> chunks =
        List.of(
            concat(HEADERS, ascii("lf\nbare cr\rcr at chunk end\r")),
            ascii("next chunk\r"),
            ascii("\nend\r"));
    byte[] expected =
        concat(HEADERS, ascii("lf\r\nbare cr\r\ncr at chunk end\r\nnext chunk\r\nend\r\n"));
    try (RunningMta server = RunningMta.start(b -> b.bareLineEndings(BareLineEndings.NORMALIZE));
        RawSmtpClient client = new RawSmtpClient(server.port(), AWAIT)) {
      startTransaction(client);

      String last = sendChunks(client, chunks);

      assertThat(last).startsWith("250 2.0.0 Ok: queued as ");
      Received message = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(new String(message.contentAfterReceivedHeader(), ISO_8859_1))
          .isEqualTo(new String(expected, ISO_8859_1));
    }
  }

  /** The extension keywords of an EHLO reply, wherever the server lists them. */
  private static List<String> keywords(String ehloReply) {
    return ehloReply.lines().skip(1).map(line -> line.substring(4)).toList();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(US_ASCII);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
