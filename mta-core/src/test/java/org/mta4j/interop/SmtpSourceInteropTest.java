package org.mta4j.interop;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.interop.RunningMta.AWAIT;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.Peers;
import org.mta4j.testing.RecordingHandler;
import org.mta4j.testing.RecordingHandler.Received;

/**
 * The server under load from Postfix's {@code smtp-source}: many parallel sessions, one message per
 * connection or several per connection ({@code -d}), and every message checked byte for byte.
 *
 * <p>With {@code -l N}, smtp-source sends a few headers (From, To, Date, Message-Id), an empty line
 * and a fixed body of N octets: {@code 'X'} filler in 80-octet lines, each starting with the digit
 * {@code (line number) mod 10} and ending in CRLF, except the last line (the final 80 octets or
 * fewer), which is all filler and gets its CRLF from the end of data (Postfix {@code
 * src/smtpstone/smtp-source.c}, where the pattern is built in {@code main}). {@link
 * #smtpSourceBody(int)} rebuilds it, so each received body is compared with the exact expected
 * bytes.
 */
class SmtpSourceInteropTest {

  private static final int LENGTH = 10_240;
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

  /** The body smtp-source sends for {@code -l length}, as it arrives (with its final CRLF). */
  static byte[] smtpSourceBody(int length) {
    byte[] data = new byte[length + 2];
    Arrays.fill(data, 0, length, (byte) 'X');
    for (int i = 80; i < length; i += 80) {
      data[i - 80] = (byte) ('0' + (i / 80) % 10);
      data[i - 2] = '\r';
      data[i - 1] = '\n';
    }
    data[length] = '\r';
    data[length + 1] = '\n';
    return data;
  }

  private static Peers.ProcessResult smtpSource(RunningMta server, String... options) {
    List<String> command =
        new ArrayList<>(
            List.of(Peers.executable("smtp-source").toString(), "-M", "source.example.test"));
    command.addAll(List.of(options));
    command.addAll(
        List.of("-l", Integer.toString(LENGTH), "-f", "a@example.test", "-t", "b@example.test"));
    command.add(server.address());
    return Peers.run(RUN_TIMEOUT, command).assertSuccess();
  }

  /** Checks every message against what smtp-source sent; returns them. */
  private static List<Received> assertAllIntact(RunningMta server, int count) {
    List<Received> received = server.handler().awaitMessages(count, AWAIT);
    assertThat(received).hasSize(count);
    assertThat(server.handler().messages()).hasSize(count); // and not one more

    byte[] expectedBody = smtpSourceBody(LENGTH);
    String expectedSha = RecordingHandler.sha256Hex(expectedBody);
    Map<String, Long> bodies =
        received.stream()
            .collect(
                Collectors.groupingBy(
                    r -> RecordingHandler.sha256Hex(r.body()), Collectors.counting()));
    assertThat(bodies)
        .as("SHA-256 of each body -> number of messages; expected all %s", expectedSha)
        .containsExactly(Map.entry(expectedSha, (long) count));

    assertThat(received).extracting(r -> r.envelope().id()).doesNotHaveDuplicates();
    assertThat(received.stream().map(r -> r.envelope().id()).distinct().count()).isEqualTo(count);
    for (Received r : received) {
      assertThat(r.envelope().reversePath()).isEqualTo("a@example.test");
      assertThat(r.envelope().recipients()).containsExactly(Recipient.of("b@example.test"));
      assertThat(r.envelope().session().heloName()).isEqualTo("source.example.test");
      String headers = new String(r.contentAfterReceivedHeader(), US_ASCII);
      assertThat(headers)
          .startsWith("From: <a@example.test>\r\nTo: <b@example.test>\r\nDate: ")
          .contains("\r\nMessage-Id: <");
      assertThat(r.content().length).isGreaterThan(LENGTH);
    }
    return received;
  }

  private static Map<String, Long> messagesPerSession(List<Received> received) {
    return received.stream()
        .collect(
            Collectors.groupingBy(r -> r.envelope().session().sessionId(), Collectors.counting()));
  }

  @Test
  void thousandMessagesOverTwentyParallelSessionsAllArriveIntact() {
    try (RunningMta server = RunningMta.start(b -> {})) {
      smtpSource(server, "-s", "20", "-m", "1000");

      List<Received> received = assertAllIntact(server, 1000);
      // Without -d smtp-source opens a connection per message.
      assertThat(messagesPerSession(received)).hasSize(1000);
    }
  }

  @Test
  void severalMessagesPerConnectionAllArriveIntact() {
    try (RunningMta server = RunningMta.start(b -> {})) {
      smtpSource(server, "-d", "-s", "10", "-m", "500");

      List<Received> received = assertAllIntact(server, 500);
      Map<String, Long> perSession = messagesPerSession(received);
      assertThat(perSession).hasSizeLessThanOrEqualTo(10);
      assertThat(perSession.values().stream().mapToLong(Long::longValue).max().orElseThrow())
          .isGreaterThan(1);
      assertThat(perSession.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(500);
    }
  }

  @Test
  void theRebuiltBodyHasSmtpSourcesShape() {
    byte[] body = smtpSourceBody(LENGTH);
    String text = new String(body, US_ASCII);

    assertThat(body).hasSize(LENGTH + 2);
    assertThat(text).startsWith("1" + "X".repeat(77) + "\r\n2X");
    assertThat(text.lines().filter(l -> !l.isEmpty()).count()).isEqualTo(LENGTH / 80);
    assertThat(text).endsWith("X".repeat(80) + "\r\n");
    assertThat(text.lines().map(String::length).collect(Collectors.toSet())).containsOnly(78, 80);
  }
}
