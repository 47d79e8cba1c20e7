package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.delivery.LocalDelivery;
import org.mta4j.queue.MemoryQueueStore;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.testing.FakeClock;

/** Without a message handler, the server's 250 means "in the queue", and a store failure is 4xx. */
class SmtpQueueIntakeTest {
  private final FakeClock clock = FakeClock.atEpochOfTests();
  private final List<LocalDelivery> delivered = Collections.synchronizedList(new ArrayList<>());
  private final List<String> contents = Collections.synchronizedList(new ArrayList<>());
  private Mta mta;

  @AfterEach
  void close() {
    if (mta != null) {
      mta.close();
    }
  }

  private Mta start(QueueStore store) throws IOException {
    mta =
        Mta.builder()
            .hostname("mx.example.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .trustedNetworks()
            .clock(clock)
            .queueStore(store)
            .localDelivery(
                d -> {
                  try (InputStream in = d.openContent()) {
                    contents.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                  }
                  delivered.add(d);
                })
            .build();
    mta.start();
    return mta;
  }

  private SmtpWire.Reply send(SmtpWire wire) {
    wire.read();
    wire.command("EHLO client.test");
    wire.command("MAIL FROM:<a@remote.test> RET=HDRS ENVID=e1");
    wire.command("RCPT TO:<b@example.test> NOTIFY=FAILURE,DELAY");
    wire.command("DATA");
    return wire.command("Subject: hi\r\n\r\nHello.\r\n.");
  }

  @Test
  void theQueueIdInThe250IsTheIdTheLocalHookGets() throws IOException {
    start(new MemoryQueueStore());
    String reply;
    try (SmtpWire wire = SmtpWire.connect(mta.port())) {
      reply = send(wire).line();
    }
    assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
    String id = reply.substring("250 2.0.0 Ok: queued as ".length());

    // the started MTA delivers by itself as soon as the message is queued
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> delivered.size() == 1);
    assertThat(delivered)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.queueId()).isEqualTo(id);
              assertThat(d.parameters().ret()).isEqualTo(org.mta4j.smtp.MailParameters.Ret.HDRS);
              assertThat(d.parameters().envid()).isEqualTo("e1");
              assertThat(d.recipients().get(0).dsnNotify())
                  .containsExactlyInAnyOrder(
                      org.mta4j.smtp.Recipient.Notify.FAILURE,
                      org.mta4j.smtp.Recipient.Notify.DELAY);
            });
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> mta.queue().show(id).isEmpty());
    assertThat(contents.get(0))
        .startsWith(
            "Received: from client.test ([127.0.0.1])\r\n\tby mx.example.test (mta4j) with ESMTP id "
                + id)
        .contains("Message-ID: <" + id + "@mx.example.test>")
        .endsWith("\r\n\r\nHello.\r\n");
  }

  @Test
  void notifySuccessOnALocalDeliveryReportsItToTheSender() throws IOException {
    start(new MemoryQueueStore());
    try (SmtpWire wire = SmtpWire.connect(mta.port())) {
      wire.read();
      wire.command("EHLO client.test");
      wire.command("MAIL FROM:<sender@example.test> ENVID=track-1");
      wire.command("RCPT TO:<b@example.test> NOTIFY=SUCCESS ORCPT=rfc822;b@example.test");
      wire.command("DATA");
      assertThat(wire.command("Subject: hi\r\n\r\nHello.\r\n.").line()).startsWith("250 ");
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> delivered.size() == 2);
    String report =
        contents.stream()
            .filter(c -> c.contains("report-type=delivery-status"))
            .findFirst()
            .orElseThrow();
    assertThat(report)
        .contains("Subject: Successful Mail Delivery Report")
        .contains("Original-Envelope-Id: track-1")
        .contains("Original-Recipient: rfc822; b@example.test")
        .contains("Action: delivered")
        .contains("Status: 2.0.0")
        .contains("Content-Type: text/rfc822-headers");
    assertThat(delivered)
        .anySatisfy(
            d -> {
              assertThat(d.reversePath()).isEmpty();
              assertThat(d.recipients())
                  .extracting(r -> r.address())
                  .containsExactly("sender@example.test");
            });
  }

  @Test
  void aStoreFailureAnswers451AndNothingIsQueued() throws IOException {
    MemoryQueueStore real = new MemoryQueueStore();
    start(new FailingStore(real, new QueueStoreException("disk on fire", null)));
    try (SmtpWire wire = SmtpWire.connect(mta.port())) {
      assertThat(send(wire).line()).startsWith("451 4.3.0 ");
    }
    assertThat(real.list(QueueFilter.all(clock.instant()))).isEmpty();
  }

  @Test
  void aFullStoreAnswers452With431() throws IOException {
    start(
        new FailingStore(
            new MemoryQueueStore(), new QueueStoreException("no space left", null, true)));
    try (SmtpWire wire = SmtpWire.connect(mta.port())) {
      assertThat(send(wire).line()).startsWith("452 4.3.1 ");
    }
  }

  /** A store whose enqueue fails; everything else goes to a real store. */
  private record FailingStore(QueueStore real, QueueStoreException failure) implements QueueStore {
    @Override
    public void enqueue(NewMessage message, InputStream content) throws IOException {
      content.readNBytes(100);
      throw failure;
    }

    @Override
    public List<QueuedMessage> claimDue(Instant now, int max, String owner, Duration lease)
        throws IOException {
      return real.claimDue(now, max, owner, lease);
    }

    @Override
    public Optional<Instant> nextDue() throws IOException {
      return real.nextDue();
    }

    @Override
    public InputStream openContent(String id) throws IOException {
      return real.openContent(id);
    }

    @Override
    public boolean recordAttempt(
        String id, String owner, List<RecipientState> recipients, Instant nextAttempt)
        throws IOException {
      return real.recordAttempt(id, owner, recipients, nextAttempt);
    }

    @Override
    public List<QueuedMessage> list(QueueFilter filter) throws IOException {
      return real.list(filter);
    }

    @Override
    public Optional<QueuedMessage> show(String id) throws IOException {
      return real.show(id);
    }

    @Override
    public boolean hold(String id) throws IOException {
      return real.hold(id);
    }

    @Override
    public boolean release(String id) throws IOException {
      return real.release(id);
    }

    @Override
    public boolean delete(String id) throws IOException {
      return real.delete(id);
    }

    @Override
    public boolean requeue(String id, Instant now) throws IOException {
      return real.requeue(id, now);
    }

    @Override
    public int flush(Instant now) throws IOException {
      return real.flush(now);
    }

    @Override
    public void close() throws IOException {
      real.close();
    }
  }
}
