package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.event.MtaEvent;

class SessionEventTest {

  @Test
  void theEndOfASessionIsAnEventWithItsClientHeloAndMessageCount() throws Exception {
    List<MtaEvent> events = new CopyOnWriteArrayList<>();
    try (Mta mta =
        Mta.builder()
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .eventListener(events::add)
            .messageHandler((envelope, content) -> Decision.accept())
            .build()) {
      mta.start();
      try (SmtpWire wire = SmtpWire.connect(mta.port())) {
        wire.read();
        wire.command("EHLO client.test");
        wire.command("MAIL FROM:<a@example.test>");
        wire.command("RCPT TO:<b@example.test>");
        wire.command("DATA");
        wire.command("Subject: x\r\n\r\nhi\r\n.");
        wire.command("QUIT");
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> events.stream().anyMatch(e -> e instanceof MtaEvent.Session));
    }
    MtaEvent.Session s =
        (MtaEvent.Session)
            events.stream().filter(e -> e instanceof MtaEvent.Session).findFirst().orElseThrow();
    assertThat(s.heloName()).isEqualTo("client.test");
    assertThat(s.client().getAddress().isLoopbackAddress()).isTrue();
    assertThat(s.messagesAccepted()).isEqualTo(1);
    assertThat(s.tls()).isFalse();
    assertThat(s.authIdentity()).isNull();
  }
}
