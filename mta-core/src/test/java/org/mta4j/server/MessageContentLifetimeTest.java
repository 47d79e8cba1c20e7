package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;

/** Content buffers are pooled, so content kept past the handler's return must not be readable. */
class MessageContentLifetimeTest {

  @Test
  void aStreamKeptAfterTheHandlerReturnsFailsInsteadOfShowingOtherMail() throws IOException {
    AtomicReference<InputStream> kept = new AtomicReference<>();
    try (Mta mta =
        Mta.builder()
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .messageHandler(
                (envelope, content) -> {
                  InputStream in = content.open();
                  assertThat(in.read()).isEqualTo('R'); // Received: ... while the handler runs
                  kept.compareAndSet(null, in);
                  return Decision.accept();
                })
            .build()) {
      mta.start();
      try (SmtpWire wire = SmtpWire.connect(mta.port())) {
        wire.read();
        wire.command("EHLO client.test");
        for (int i = 0; i < 2; i++) {
          wire.command("MAIL FROM:<a@example.test>");
          wire.command("RCPT TO:<b@example.test>");
          wire.command("DATA");
          assertThat(wire.command("Subject: " + i + "\r\n\r\nsecret " + i + "\r\n.").code())
              .isEqualTo(250);
        }
      }
    }
    assertThatThrownBy(() -> kept.get().readAllBytes())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no longer valid");
  }
}
