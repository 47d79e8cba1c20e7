package org.mta4j.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.client.TlsPolicy;
import org.mta4j.routing.Route;
import org.mta4j.server.Listener;
import org.mta4j.testing.FakeClock;
import org.mta4j.testing.RecordingHandler;

/** Local mail into Maildirs, and a transport-map route taking one domain elsewhere. */
class MaildirAndTransportTest {
  private static final byte[] MESSAGE =
      "From: a@example.test\r\nSubject: hi\r\n\r\nHello.\r\n".getBytes(StandardCharsets.US_ASCII);
  private final FakeClock clock = FakeClock.atEpochOfTests();

  @Test
  void localMailLandsInOneMaildirPerRecipientAndNoPathEscapesTheRoot(@TempDir Path root)
      throws IOException {
    try (Mta mta =
        Mta.builder()
            .hostname("mx.example.test")
            .localDomains("example.test")
            .clock(clock)
            .localDelivery(new MaildirDelivery(root, "mx.example.test"))
            .build()) {
      String id =
          mta.submit(
              "a@example.test", List.of("bob@example.test", "../../etc@example.test"), MESSAGE);
      mta.deliverDue(clock.instant());

      Path bobNew = root.resolve("bob").resolve("new");
      try (Stream<Path> files = Files.list(bobNew)) {
        List<Path> mail = files.toList();
        assertThat(mail)
            .singleElement()
            .satisfies(
                p -> {
                  assertThat(p.getFileName().toString()).contains("Q" + id);
                  assertThat(Files.readString(p))
                      .startsWith("From: a@example.test\r\n")
                      .endsWith("Hello.\r\n");
                });
      }
      assertThat(root.resolve("bob").resolve("tmp")).isEmptyDirectory();
      assertThat(root.resolve("bob").resolve("cur")).isDirectory();
      try (Stream<Path> all = Files.walk(root)) {
        assertThat(all.filter(Files::isRegularFile))
            .allSatisfy(p -> assertThat(p.normalize()).startsWith(root))
            .hasSize(2);
      }
      assertThat(mta.queue().show(id)).isEmpty();
    }
  }

  @Test
  void aTransportMapRouteSendsOneDomainToItsOwnRelay() throws IOException {
    RecordingHandler relay = new RecordingHandler();
    try (Mta next =
        Mta.builder()
            .hostname("relay.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .messageHandler(relay)
            .build()) {
      next.start();
      try (Mta mta =
          Mta.builder()
              .hostname("mx.example.test")
              .localDomains("example.test")
              .clock(clock)
              .transport(
                  "partner.test",
                  Route.Smtp.relay("127.0.0.1", next.port()).withTls(TlsPolicy.NONE))
              .build()) {
        String id = mta.submit("a@example.test", List.of("carol@partner.test"), MESSAGE);
        mta.deliverDue(clock.instant());

        relay.awaitMessages(1, java.time.Duration.ofSeconds(10));
        assertThat(relay.messages())
            .singleElement()
            .satisfies(
                m -> {
                  assertThat(m.envelope().reversePath()).isEqualTo("a@example.test");
                  assertThat(m.envelope().recipients())
                      .extracting(r -> r.address())
                      .containsExactly("carol@partner.test");
                  assertThat(m.contentAsString())
                      .contains("Message-ID: <" + id + "@mx.example.test>");
                });
        assertThat(mta.queue().show(id)).isEmpty();
      }
    }
  }
}
