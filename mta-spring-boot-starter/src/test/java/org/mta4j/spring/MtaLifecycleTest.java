package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.queue.QueueFilter;
import org.mta4j.testing.Peers;

/** The MTA starts with the context and drains when it closes. */
class MtaLifecycleTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);

  @Test
  void closingTheContextLetsATransactionUnderWayFinishThenStopsListening(@TempDir Path dir) {
    var runner =
        Runners.mta()
            .withPropertyValues(Runners.relayTo(Peers.freePort()))
            .withPropertyValues(
                "mta.server.local-domains=local.test",
                "mta.queue.type=file",
                "mta.queue.file.directory=" + dir,
                "mta.shutdown-grace=20s");
    runner.run(
        context -> {
          int port = context.getBean(Mta.class).port();
          MtaLifecycle lifecycle = context.getBean(MtaLifecycle.class);
          try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            BufferedReader in =
                new BufferedReader(
                    new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).startsWith("220");
            command(out, "HELO client.test");
            assertThat(in.readLine()).startsWith("250");
            command(out, "MAIL FROM:<app@starter.test>");
            assertThat(in.readLine()).startsWith("250");
            command(out, "RCPT TO:<quinn@remote.test>");
            assertThat(in.readLine()).startsWith("250");
            command(out, "DATA");
            assertThat(in.readLine()).startsWith("354");
            out.write(
                "Subject: in flight\r\n\r\nfirst half\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();

            CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
            await().atMost(AWAIT).until(() -> !lifecycle.isRunning());
            // the listener is closed: new clients are refused while the old one finishes
            await().atMost(AWAIT).until(() -> refused(port));

            out.write("second half\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(in.readLine()).startsWith("250");
            closing.get();
          }
        });
    runner.run(
        context ->
            assertThat(context.getBean(Mta.class).queue().list(QueueFilter.all(Instant.now())))
                .singleElement()
                .satisfies(
                    m ->
                        assertThat(m.recipients().get(0).recipient().address())
                            .isEqualTo("quinn@remote.test")));
  }

  @Test
  void aStoppedMtaCannotStartAgain() {
    Runners.mta()
        .run(
            context -> {
              MtaLifecycle lifecycle = context.getBean(MtaLifecycle.class);
              lifecycle.stop();
              assertThat(lifecycle.isRunning()).isFalse();
              assertThatThrownBy(lifecycle::start).hasMessageContaining("cannot start again");
            });
  }

  private static void command(OutputStream out, String line) throws java.io.IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static boolean refused(int port) {
    try (Socket probe = new Socket("127.0.0.1", port)) {
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
