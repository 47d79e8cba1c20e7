package org.mta4j.examples.nullclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.test.MtaServer;
import org.mta4j.test.RecordedMessage;
import org.mta4j.test.Stage;

/**
 * The service against a smarthost that requires STARTTLS and AUTH: a second in-JVM mta4j from the
 * testing kit. The restart test stops the service while the smarthost is down and shows that
 * nothing queued before is lost.
 */
class PasswordResetServiceTest {

  @RegisterExtension
  static final MtaServer smarthost =
      MtaServer.builder().requireTls().auth("app1", "s3cret").requireAuth().build();

  @TempDir Path queueDir;

  private PasswordResetService.Settings settings() {
    return new PasswordResetService.Settings(
        queueDir, "app1.example.test", smarthost.host(), smarthost.port(), "app1", "s3cret");
  }

  @Test
  void aResetMailReachesTheSmarthostOverTlsWithAuth() throws Exception {
    try (PasswordResetService service = PasswordResetService.start(settings(), b -> {})) {
      service.requestReset("bob@example.test");

      RecordedMessage m = smarthost.awaitMessages(1, Duration.ofSeconds(20)).get(0);
      assertThat(m.recipients()).containsExactly("bob@example.test");
      assertThat(m.reversePath()).isEqualTo("no-reply@app.example.test");
      assertThat(m.subject()).isEqualTo("Reset your password");
      assertThat(m.text())
          .contains("https://app.example.test/reset?token=" + m.header("X-Reset-Token"));
      assertThat(m.session().isTls()).isTrue();
      assertThat(m.session().authIdentity()).isEqualTo("app1");
      await().atMost(Duration.ofSeconds(10)).until(() -> service.waiting() == 0);
    }
  }

  @Test
  void aRestartWhileTheSmarthostIsDownLosesNothing() throws Exception {
    smarthost.on(Stage.CONNECT).reply(421, "4.3.2", "Down for maintenance");
    List<String> users = List.of("ann@example.test", "ben@example.test", "cat@example.test");

    try (PasswordResetService before = PasswordResetService.start(settings(), b -> {})) {
      for (String u : users) {
        before.requestReset(u);
      }
      // every message tried once and deferred by the 421
      await().atMost(Duration.ofSeconds(20)).until(() -> smarthost.connectionCount() >= 1);
      assertThat(before.waiting()).isEqualTo(3);
    } // the service stops: a deploy, a crash

    assertThat(smarthost.messages()).isEmpty();
    smarthost.reset(); // the smarthost is back

    try (PasswordResetService after = PasswordResetService.start(settings(), b -> {})) {
      List<RecordedMessage> got = smarthost.awaitMessages(3, Duration.ofSeconds(30));
      assertThat(got)
          .flatExtracting(RecordedMessage::recipients)
          .containsExactlyInAnyOrderElementsOf(users);
      await().atMost(Duration.ofSeconds(10)).until(() -> after.waiting() == 0);
    }
    assertThat(smarthost.messages()).hasSize(3); // each once
  }
}
