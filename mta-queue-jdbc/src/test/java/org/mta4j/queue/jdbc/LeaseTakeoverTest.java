package org.mta4j.queue.jdbc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.queue.RecipientState.Status;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * Two nodes on one database: two stores, each on a pool of its own, as two JVMs would be. A lease
 * that expired is claimed by the other node, and the node that lost it cannot overwrite the new
 * owner's outcome; a repeated outcome changes nothing.
 */
class LeaseTakeoverTest {
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(5);

  private HikariDataSource poolA;
  private HikariDataSource poolB;

  @AfterEach
  void closePools() {
    if (poolA != null) {
      poolA.close();
    }
    if (poolB != null) {
      poolB.close();
    }
  }

  @Test
  void onPostgresAnExpiredLeaseIsTakenOverAndTheStaleOwnerCannotOverwrite() throws Exception {
    String url = PostgresServer.shared().newDatabase("lease");
    takeover(url, url);
  }

  @Test
  void onH2AnExpiredLeaseIsTakenOverAndTheStaleOwnerCannotOverwrite() throws Exception {
    String url = "jdbc:h2:mem:lease-takeover;DB_CLOSE_DELAY=-1";
    takeover(url, url);
  }

  private void takeover(String urlA, String urlB) throws Exception {
    poolA = Pools.pool(urlA, 2);
    poolB = Pools.pool(urlB, 2);
    JdbcQueueStore nodeA = JdbcQueueStore.builder().dataSource(poolA).build();
    JdbcQueueStore nodeB = JdbcQueueStore.builder().dataSource(poolB).build();
    nodeA.enqueue(
        new NewMessage(
            "Q1",
            "alice@sender.test",
            List.of(Recipient.of("bob@example.org"), Recipient.of("carol@example.net")),
            MailParameters.NONE,
            T0),
        new ByteArrayInputStream("Subject: takeover\r\n\r\nbody\r\n".getBytes(US_ASCII)));

    QueuedMessage a = nodeA.claimDue(T0, 10, "node-a", LEASE).getFirst();
    assertThat(a.leaseOwner()).isEqualTo("node-a");
    assertThat(nodeB.claimDue(T0.plusSeconds(4), 10, "node-b", LEASE))
        .as("node-a's lease holds")
        .isEmpty();

    // node-a stalls past its lease; node-b takes the message over
    List<QueuedMessage> b = nodeB.claimDue(T0.plusSeconds(5), 10, "node-b", LEASE);
    assertThat(b).extracting(QueuedMessage::id).containsExactly("Q1");
    assertThat(b.getFirst().leaseOwner()).isEqualTo("node-b");

    // node-a wakes up and reports both recipients delivered: refused, nothing changes
    List<RecipientState> aOutcome =
        a.recipients().stream().map(r -> outcome(r, Status.DELIVERED, T0.plusSeconds(6))).toList();
    assertThat(nodeA.recordAttempt("Q1", "node-a", aOutcome, null)).isFalse();
    QueuedMessage still = nodeB.show("Q1").orElseThrow();
    assertThat(still.leaseOwner()).isEqualTo("node-b");
    assertThat(still.attempts()).isZero();
    assertThat(still.recipients()).extracting(RecipientState::status).containsOnly(Status.PENDING);

    // the new owner's outcome stands: one delivered, one deferred
    List<RecipientState> bOutcome =
        List.of(
            outcome(b.getFirst().recipients().get(0), Status.DELIVERED, T0.plusSeconds(7)),
            outcome(b.getFirst().recipients().get(1), Status.DEFERRED, T0.plusSeconds(7)));
    assertThat(nodeB.recordAttempt("Q1", "node-b", bOutcome, T0.plusSeconds(600))).isTrue();
    // a repeat (a retry after a lost reply, say) finds the lease released: changes nothing
    assertThat(nodeB.recordAttempt("Q1", "node-b", bOutcome, T0.plusSeconds(900))).isFalse();
    // and node-a still cannot write over it
    assertThat(nodeA.recordAttempt("Q1", "node-a", aOutcome, null)).isFalse();

    QueuedMessage after = nodeA.show("Q1").orElseThrow();
    assertThat(after.attempts()).isEqualTo(1);
    assertThat(after.nextAttemptAt()).isEqualTo(T0.plusSeconds(600));
    assertThat(after.leaseOwner()).isNull();
    assertThat(after.recipients())
        .extracting(RecipientState::status)
        .containsExactly(Status.DELIVERED, Status.DEFERRED);
    assertThat(nodeA.nextDue()).contains(T0.plusSeconds(600));
  }

  private static RecipientState outcome(RecipientState r, Status status, Instant at) {
    return r.after(
        status,
        status == Status.DELIVERED ? "delivered to mailbox" : "450 4.2.0 mailbox busy",
        status == Status.DELIVERED ? "2.0.0" : "4.2.0",
        "local",
        at);
  }
}
