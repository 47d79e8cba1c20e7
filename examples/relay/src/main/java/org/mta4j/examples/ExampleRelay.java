package org.mta4j.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import org.mta4j.Mta;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;

/**
 * The README's main job: an SMTP server on port 2525 that prints each message it receives.
 *
 * <p>Run with {@code bash .ci/example} (or {@code ./mvnw -q -f examples/pom.xml exec:java} after an
 * install). Arguments: {@code [port] [bind-address]}, default {@code 2525 127.0.0.1}. Mail for
 * {@code example.test} is accepted from anyone; loopback clients may send to any domain.
 */
public final class ExampleRelay {
  private ExampleRelay() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 2525;
    String bind = args.length > 1 ? args[1] : "127.0.0.1";
    Mta mta =
        Mta.builder()
            .hostname("mta4j.example.test")
            .listener(Listener.smtp(bind, port))
            .localDomains("example.test")
            .messageHandler(
                (envelope, content) -> {
                  String text = new String(content.readAllBytes(), StandardCharsets.UTF_8);
                  System.out.printf(
                      "--- message %s from <%s> to %s (%d bytes)%n%s%n--- end of %s%n",
                      envelope.id(),
                      envelope.reversePath(),
                      envelope.recipients().stream().map(r -> "<" + r.address() + ">").toList(),
                      content.size(),
                      text,
                      envelope.id());
                  return Decision.accept();
                })
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  mta.close();
                  stopped.countDown();
                }));
    mta.start();
    System.out.printf(
        "mta4j example relay listening on %s:%d%n"
            + "try: swaks --server %s:%d --from alice@example.test --to bob@example.test%n",
        bind, mta.port(), bind, mta.port());
    stopped.await();
  }
}
