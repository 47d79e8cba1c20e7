package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assertions;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.delivery.LocalDelivery;
import org.mta4j.smtp.Recipient;

/**
 * The local mailboxes of an MTA under test: a {@link DeliveryHook} that keeps every message the
 * queue delivers to the local domains (bounces to a local sender arrive here). Thread-safe.
 */
final class Mailbox implements DeliveryHook {

  /** One local delivery: envelope and content as the hook got them. */
  record Delivered(String queueId, String reversePath, List<String> recipients, byte[] content) {
    Delivered {
      recipients = List.copyOf(recipients);
      content = content.clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }

    String text() {
      return new String(content, UTF_8);
    }

    @Override
    public String toString() {
      return "Delivered[" + queueId + ", from=<" + reversePath + ">, to=" + recipients + "]";
    }
  }

  private final List<Delivered> delivered = new ArrayList<>();

  @Override
  public void deliver(LocalDelivery delivery) throws IOException {
    byte[] content;
    try (InputStream in = delivery.openContent()) {
      content = in.readAllBytes();
    }
    Delivered d =
        new Delivered(
            delivery.queueId(),
            delivery.reversePath(),
            delivery.recipients().stream().map(Recipient::address).toList(),
            content);
    synchronized (this) {
      delivered.add(d);
    }
  }

  /** Everything delivered so far, in order. */
  synchronized List<Delivered> all() {
    return List.copyOf(delivered);
  }

  /** The messages delivered to {@code address} so far. */
  List<Delivered> to(String address) {
    return all().stream().filter(d -> d.recipients().contains(address)).toList();
  }

  /** Waits until a message matching {@code which} is delivered; fails the test otherwise. */
  Delivered await(Predicate<Delivered> which, Duration timeout) {
    try {
      return Awaitility.await("a matching local delivery")
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> all().stream().filter(which).findFirst().orElse(null), found -> found != null);
    } catch (ConditionTimeoutException e) {
      return Assertions.fail("no matching local delivery within " + timeout + "; got " + all(), e);
    }
  }
}
