package org.mta4j.queue;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/** The queue contract on the in-memory store, and what only the memory store promises. */
class MemoryQueueStoreTest extends QueueStoreContract {

  @Override
  protected QueueStore newStore() {
    return new MemoryQueueStore();
  }

  @Test
  void sizeCountsEveryMessageHeldOrNot() throws Exception {
    MemoryQueueStore store = new MemoryQueueStore();
    store.enqueue(message("Q1", T0, "bob@example.org"), new ByteArrayInputStream(content("Q1")));
    store.enqueue(message("Q2", T0, "bob@example.org"), new ByteArrayInputStream(content("Q2")));
    store.hold("Q2");

    assertThat(store.size()).isEqualTo(2);
    store.delete("Q1");
    assertThat(store.size()).isEqualTo(1);
  }

  @Test
  void aClosedStoreRejectsEveryUse() throws Exception {
    MemoryQueueStore store = new MemoryQueueStore();
    store.enqueue(message("Q1", T0, "bob@example.org"), new ByteArrayInputStream(content("Q1")));

    store.close();
    store.close(); // twice is fine

    assertThatThrownBy(() -> store.show("Q1")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                store.enqueue(
                    message("Q2", T0, "bob@example.org"), new ByteArrayInputStream(new byte[1])))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.claimDue(T0, 1, "node-a", Duration.ofMinutes(1)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void recordAttemptWithRecipientsInAnotherOrderIsRejected() throws Exception {
    MemoryQueueStore store = new MemoryQueueStore();
    store.enqueue(
        message("Q1", T0, "bob@example.org", "carol@example.org"),
        new ByteArrayInputStream(content("Q1")));
    List<RecipientState> claimed =
        store.claimDue(T0, 1, "node-a", Duration.ofMinutes(1)).getFirst().recipients();

    assertThatThrownBy(
            () ->
                store.recordAttempt(
                    "Q1", "node-a", List.of(claimed.get(1), claimed.get(0)), T0.plusSeconds(60)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("carol@example.org");
    assertThat(store.show("Q1").orElseThrow().leaseOwner()).isEqualTo("node-a");
  }

  @Test
  @Timeout(10)
  void claimingOneByOneFromALargeQueueDoesNotScanTheQueue() throws Exception {
    // 50 000 claims from 50 000 messages: quadratic work would take minutes.
    MemoryQueueStore store = new MemoryQueueStore();
    int count = 50_000;
    byte[] content = "Subject: x\r\n\r\nx\r\n".getBytes(UTF_8);
    for (int i = 0; i < count; i++) {
      store.enqueue(
          new NewMessage(
              "M" + i,
              "a@b",
              List.of(Recipient.of("c@d")),
              MailParameters.NONE,
              T0.plusMillis(count - i)),
          new ByteArrayInputStream(content));
    }
    Instant now = T0.plusSeconds(3600);

    String last = null;
    for (int i = 0; i < count; i++) {
      List<QueuedMessage> one = store.claimDue(now, 1, "node-a", Duration.ofHours(1));
      assertThat(one).hasSize(1);
      last = one.getFirst().id();
    }

    assertThat(last).as("latest arrival claimed last").isEqualTo("M0");
    assertThat(store.claimDue(now, 1, "node-a", Duration.ofHours(1))).isEmpty();
    assertThat(store.nextDue()).contains(now.plus(Duration.ofHours(1)));
  }
}
