package org.mta4j.examples.boot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.delivery.LocalDelivery;
import org.springframework.stereotype.Component;

/**
 * Mail for the local domain ({@code mta.server.local-domains}) lands here: the starter picks this
 * {@link DeliveryHook} bean up. A real application would store or process the message; a throw
 * defers it and the queue retries.
 */
@Component
public class Inbox implements DeliveryHook {

  /** One delivered message: its recipients and the first lines of its header. */
  public record Received(List<String> recipients, String content) {}

  private final List<Received> received = new CopyOnWriteArrayList<>();

  @Override
  public void deliver(LocalDelivery delivery) throws IOException {
    try (InputStream in = delivery.openContent()) {
      String content = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      received.add(
          new Received(delivery.recipients().stream().map(r -> r.address()).toList(), content));
    }
  }

  /** What was delivered so far, oldest first. */
  public List<Received> received() {
    return List.copyOf(received);
  }
}
