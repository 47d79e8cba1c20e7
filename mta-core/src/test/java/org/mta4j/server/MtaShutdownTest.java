package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.testing.TestCertificates;

/**
 * {@code Mta.close()}: it stops accepting, tells idle sessions to go with {@code 421 4.3.2} at
 * once, lets a session in the middle of a message finish it within the grace period, and cuts off
 * what is left when the grace is over.
 */
class MtaShutdownTest {

  private static final String SHUTTING_DOWN = "421 4.3.2 Service shutting down, closing connection";
  private static final Duration LONG_GRACE = Duration.ofSeconds(20);

  @Test
  void idleSessionsGet421PromptlyAndCloseDoesNotWaitForTheGrace() throws Exception {
    try (RunningServer server = RunningServer.start(b -> b.shutdownGrace(LONG_GRACE));
        SmtpWire greetedOnly = server.greeted();
        SmtpWire afterEhlo = server.afterEhlo()) {
      long start = System.nanoTime();

      CompletableFuture<Void> closing = closeInBackground(server);

      for (SmtpWire wire : new SmtpWire[] {greetedOnly, afterEhlo}) {
        assertThat(wire.readUntilClosed(2))
            .extracting(SmtpWire.Reply::line)
            .containsExactly(SHUTTING_DOWN);
      }
      closing.get(10, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(server.mta().activeSessions()).isZero();
    }
  }

  @Test
  void anIdleTlsSessionGets421Too() throws Exception {
    try (RunningServer server =
            RunningServer.start(
                b -> b.shutdownGrace(LONG_GRACE).tls(TestCertificates.serverContext()));
        SmtpWire wire = server.afterEhlo()) {
      wire.command("STARTTLS");
      wire.startTls();
      wire.command("EHLO client.example.test");

      CompletableFuture<Void> closing = closeInBackground(server);

      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly(SHUTTING_DOWN);
      closing.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSessionInTheMiddleOfDataMayFinishItsMessageWithinTheGrace() throws Exception {
    try (RunningServer server = RunningServer.start(b -> b.shutdownGrace(LONG_GRACE));
        SmtpWire busy = SmtpSmugglingTest.inData(server);
        SmtpWire idle = server.afterEhlo()) {
      busy.send("Subject: last one\r\n\r\nfirst half, ");

      CompletableFuture<Void> closing = closeInBackground(server);
      assertThat(idle.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly(SHUTTING_DOWN);
      await().atMost(Duration.ofSeconds(10)).until(() -> !accepting(server.port()));
      assertThat(closing).isNotDone();

      busy.send("second half\r\n.\r\n");

      assertThat(busy.readUntilClosed(3))
          .extracting(SmtpWire.Reply::status)
          .containsExactly("250 2.0.0", "421 4.3.2");
      closing.get(10, TimeUnit.SECONDS);
      assertThat(server.handler().messages()).hasSize(1);
      assertThat(server.handler().messages().get(0).contentAfterReceivedHeader())
          .isEqualTo(
              SmtpCommandsTest.bytes("Subject: last one\r\n\r\nfirst half, second half\r\n"));
    }
  }

  @Test
  void aSessionInATransactionMayFinishItWithinTheGrace() throws Exception {
    try (RunningServer server = RunningServer.start(b -> b.shutdownGrace(LONG_GRACE));
        SmtpWire busy = server.afterEhlo()) {
      assertThat(busy.command("MAIL FROM:<alice@sender.test>").status()).isEqualTo("250 2.1.0");

      CompletableFuture<Void> closing = closeInBackground(server);
      await().atMost(Duration.ofSeconds(10)).until(() -> !accepting(server.port()));

      busy.send("RCPT TO:<bob@example.test>\r\nDATA\r\n");
      assertThat(busy.read(2))
          .extracting(SmtpWire.Reply::status)
          .containsExactly("250 2.1.5", "354");
      busy.send("hi\r\n.\r\n");
      assertThat(busy.readUntilClosed(3))
          .extracting(SmtpWire.Reply::status)
          .containsExactly("250 2.0.0", "421 4.3.2");
      closing.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSessionStillBusyWhenTheGraceEndsIsCutOff() throws Exception {
    try (RunningServer server = RunningServer.start(b -> b.shutdownGrace(Duration.ofMillis(300)));
        SmtpWire busy = SmtpSmugglingTest.inData(server)) {
      busy.send("a message that never ends");
      long start = System.nanoTime();

      server.close();

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(busy.readUntilClosed(1)).isEmpty();
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void afterCloseNewConnectionsAreRefused() {
    RunningServer server = RunningServer.start();
    int port = server.port();

    server.close();

    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void startAfterCloseIsRefusedAndBindsNothing() {
    // Regression: start() after close() bound a port whose connections were never served and
    // which no later close() released.
    Mta mta =
        Mta.builder()
            .listener(Listener.smtp("127.0.0.1", 0))
            .messageHandler((e, c) -> Decision.accept())
            .build();
    mta.close();

    assertThatThrownBy(mta::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThat(mta.boundPorts()).isEmpty();
  }

  @Test
  void startTwiceIsRefusedAndPortBeforeStartExplains() throws Exception {
    try (Mta mta =
        Mta.builder()
            .listener(Listener.smtp("127.0.0.1", 0))
            .messageHandler((e, c) -> Decision.accept())
            .build()) {
      assertThatThrownBy(mta::port)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("not started");
      mta.start();
      assertThatThrownBy(mta::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("already started");
      assertThat(mta.port()).isPositive();
    }
  }

  private static CompletableFuture<Void> closeInBackground(RunningServer server) {
    return CompletableFuture.runAsync(server::close, r -> Thread.ofVirtual().start(r));
  }

  private static boolean accepting(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
