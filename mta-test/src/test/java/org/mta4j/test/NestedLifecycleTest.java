package org.mta4j.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A class-level server serves @Nested classes too: started once, reset before each test. */
class NestedLifecycleTest {

  @RegisterExtension static final MtaServer mail = MtaServer.create();

  static int portSeenOutside;

  @Test
  void outerTestSends() throws Exception {
    portSeenOutside = mail.port();
    AngusMail.send(AngusMail.properties(mail, Duration.ofSeconds(5)), "outer@example.test");
    assertThat(mail.awaitMessages(1)).hasSize(1);
  }

  @Nested
  class Inner {
    @Test
    void innerTestSeesTheSameRunningServerReset() throws Exception {
      assertThat(mail.messages()).isEmpty();
      AngusMail.send(AngusMail.properties(mail, Duration.ofSeconds(5)), "inner@example.test");
      assertThat(mail.awaitMessages(1).get(0).recipients()).containsExactly("inner@example.test");
      if (portSeenOutside != 0) {
        assertThat(mail.port()).isEqualTo(portSeenOutside);
      }
    }
  }
}
