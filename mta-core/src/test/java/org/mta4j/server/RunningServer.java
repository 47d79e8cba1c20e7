package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.Consumer;
import org.mta4j.Mta;
import org.mta4j.testing.RecordingHandler;

/**
 * An {@link Mta} on an ephemeral 127.0.0.1 port with a {@link RecordingHandler}, for one test:
 * {@code try (RunningServer server = RunningServer.start(b -> b.maxRecipients(5))) { ... }}.
 *
 * <p>Defaults: hostname {@value #HOSTNAME}, local domain {@value #LOCAL_DOMAIN}, the builder's
 * default trusted networks (loopback, so the test client may relay unless a test says otherwise)
 * and a short shutdown grace. The customizer runs after the defaults and may override any of them.
 */
final class RunningServer implements AutoCloseable {

  static final String HOSTNAME = "mx.example.test";
  static final String LOCAL_DOMAIN = "example.test";
  static final String GREETING = "220 " + HOSTNAME + " ESMTP mta4j";

  private final Mta mta;
  private final RecordingHandler handler;

  private RunningServer(Mta mta, RecordingHandler handler) {
    this.mta = mta;
    this.handler = handler;
  }

  static RunningServer start() {
    return start(b -> {});
  }

  static RunningServer start(Consumer<Mta.Builder> customizer) {
    return start(Listener.smtp("127.0.0.1", 0), customizer);
  }

  static RunningServer start(Listener listener, Consumer<Mta.Builder> customizer) {
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
    return new RunningServer(mta, handler);
  }

  int port() {
    return mta.port();
  }

  Mta mta() {
    return mta;
  }

  RecordingHandler handler() {
    return handler;
  }

  /** A new connection; the greeting is not read yet. */
  SmtpWire connect() {
    return SmtpWire.connect(port());
  }

  /** A new connection whose greeting has been read and checked. */
  SmtpWire greeted() {
    SmtpWire wire = connect();
    assertThat(wire.read().line()).isEqualTo(GREETING);
    return wire;
  }

  /** A new connection after the greeting and a successful {@code EHLO client.example.test}. */
  SmtpWire afterEhlo() {
    SmtpWire wire = greeted();
    SmtpWire.Reply ehlo = wire.command("EHLO client.example.test");
    assertThat(ehlo.code()).as("EHLO reply %s", ehlo).isEqualTo(250);
    return wire;
  }

  @Override
  public void close() {
    mta.close();
  }
}
