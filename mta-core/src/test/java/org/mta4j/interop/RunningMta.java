package org.mta4j.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.Consumer;
import org.mta4j.Mta;
import org.mta4j.server.Listener;
import org.mta4j.testing.RecordingHandler;

/**
 * An {@link Mta} started on an ephemeral loopback port with a {@link RecordingHandler}, for one
 * test: {@code try (RunningMta server = RunningMta.start(b -> b.tls(...))) { ... }}.
 *
 * <p>Defaults: hostname {@value #HOSTNAME}, local domain {@value #LOCAL_DOMAIN}, a short shutdown
 * grace (a test that fails half-way should not hold the JVM for the production default). The
 * customizer sees the builder after the defaults, so it can override any of them.
 */
final class RunningMta implements AutoCloseable {

  static final String HOSTNAME = "mx.example.test";
  static final String LOCAL_DOMAIN = "example.test";

  /** How long a test waits for the server to hand over messages a client has already sent. */
  static final Duration AWAIT = Duration.ofSeconds(20);

  /** How long a peer process may run before it is killed and the test fails. */
  static final Duration PEER_TIMEOUT = Duration.ofSeconds(60);

  private final Mta mta;
  private final RecordingHandler handler;

  private RunningMta(Mta mta, RecordingHandler handler) {
    this.mta = mta;
    this.handler = handler;
  }

  /** A plain SMTP listener on 127.0.0.1 (STARTTLS offered when the customizer sets TLS). */
  static RunningMta start(Consumer<Mta.Builder> customizer) {
    return start(Listener.smtp("127.0.0.1", 0), customizer);
  }

  /** The given listener, which should be on 127.0.0.1 port 0. */
  static RunningMta start(Listener listener, Consumer<Mta.Builder> customizer) {
    RecordingHandler handler = new RecordingHandler();
    Mta.Builder builder =
        Mta.builder()
            .hostname(HOSTNAME)
            .listener(listener)
            .localDomains(LOCAL_DOMAIN)
            .shutdownGrace(Duration.ofSeconds(2))
            .messageHandler(handler);
    customizer.accept(builder);
    Mta mta = builder.build();
    try {
      mta.start();
    } catch (IOException e) {
      mta.close();
      throw new UncheckedIOException("cannot start the MTA on " + listener, e);
    }
    return new RunningMta(mta, handler);
  }

  int port() {
    return mta.port();
  }

  /** {@code 127.0.0.1:port}, the form swaks and smtp-source take. */
  String address() {
    return "127.0.0.1:" + port();
  }

  RecordingHandler handler() {
    return handler;
  }

  Mta mta() {
    return mta;
  }

  @Override
  public void close() {
    mta.close();
  }
}
