package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mta4j.Mta;
import org.mta4j.testing.TestCertificates;

/**
 * The builder fails fast and explains (STYLE rule 3): each setter refuses a bad value at once,
 * naming the option and the value, and never clamps; {@code build()} checks options together.
 */
class MtaBuilderValidationTest {

  static Stream<Arguments> badSettings() {
    return Stream.of(
        bad("maxRecipients must be > 0: -1", b -> b.maxRecipients(-1)),
        bad("maxRecipients must be > 0: 0", b -> b.maxRecipients(0)),
        bad("maxConnections must be > 0: 0", b -> b.maxConnections(0)),
        bad("maxConnectionsPerClient must be > 0: -5", b -> b.maxConnectionsPerClient(-5)),
        bad("maxMessageSize must be > 0: 0", b -> b.maxMessageSize(0)),
        bad("maxCommandLineLength must be >= 512: 511", b -> b.maxCommandLineLength(511)),
        bad("maxTextLineLength must be >= 1000: 999", b -> b.maxTextLineLength(999)),
        bad("maxErrors must be > 0: 0", b -> b.maxErrors(0)),
        bad("maxAuthFailures must be > 0: -1", b -> b.maxAuthFailures(-1)),
        bad("commandTimeout must be > 0: PT0S", b -> b.commandTimeout(Duration.ZERO)),
        bad("dataTimeout must be > 0: PT-1S", b -> b.dataTimeout(Duration.ofSeconds(-1))),
        bad("shutdownGrace must be >= 0: PT-0.001S", b -> b.shutdownGrace(Duration.ofMillis(-1))),
        bad("memoryPerMessage must be >= 4096: 4095", b -> b.memoryPerMessage(4095)),
        bad("hostname must be a domain name: mx example", b -> b.hostname("mx example")),
        bad("hostname must be a domain name: mx\r\n.example", b -> b.hostname("mx\r\n.example")),
        bad(
            "listener host must be an IP literal: localhost",
            b -> b.listener(Listener.smtp("localhost", 25))),
        bad("localDomains: not a domain: example..test", b -> b.localDomains("example..test")),
        bad(
            "localDomains: not a domain: user@example.test",
            b -> b.localDomains("user@example.test")),
        bad(
            "trustedNetworks: not a network (address/prefix): 10.0.0.0/33",
            b -> b.trustedNetworks("10.0.0.0/33")),
        bad(
            "trustedNetworks: not a network (address/prefix): not-a-network",
            b -> b.trustedNetworks("not-a-network")),
        bad(
            "trustedNetworks: host bits set in network: 10.0.0.1/8",
            b -> b.trustedNetworks("10.0.0.1/8")),
        bad(
            "not a network (address/prefix): 10.0.0.0/99",
            b -> b.listener(Listener.smtp("127.0.0.1", 0).withProxyProtocolFrom("10.0.0.0/99"))),
        bad(
            "tlsFromPem: cannot read /nonexistent/fullchain.pem",
            b ->
                b.tlsFromPem(
                    Path.of("/nonexistent/fullchain.pem"), Path.of("/nonexistent/privkey.pem"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSettings")
  void aBadSettingIsRefusedAtOnceNamingTheOptionAndValue(
      String message, Consumer<Mta.Builder> setting) {
    Mta.Builder builder = Mta.builder();

    assertThatThrownBy(() -> setting.accept(builder))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void aListenerPortOutOfRangeIsRefused() {
    assertThatThrownBy(() -> Listener.smtp("127.0.0.1", 65536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port must be 0..65535: 65536");
    assertThatThrownBy(() -> Listener.smtp("127.0.0.1", -1))
        .hasMessage("port must be 0..65535: -1");
  }

  @Test
  void nullsAreRefusedNamingTheOption() {
    Mta.Builder b = Mta.builder();
    assertThatThrownBy(() -> b.messageHandler(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("messageHandler");
    assertThatThrownBy(() -> b.commandTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("commandTimeout");
    assertThatThrownBy(() -> b.bareLineEndings(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("bareLineEndings");
    assertThatThrownBy(() -> b.policy(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("policy");
  }

  @Test
  void buildWithoutAMessageHandlerSendsMailToTheQueue() {
    // no handler: accepted mail goes to the (default, in-memory) queue
    try (Mta mta = Mta.builder().build()) {
      assertThat(mta.queue()).isInstanceOf(org.mta4j.queue.MemoryQueueStore.class);
    }
  }

  @Test
  void anImplicitTlsListenerWithoutTlsIsRefusedAtBuild() {
    Mta.Builder b =
        Mta.builder()
            .messageHandler((e, c) -> Decision.accept())
            .listener(Listener.implicitTls("127.0.0.1", 0));

    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("implicit-TLS listener needs tls(");
  }

  @Test
  void anAuthenticatorWithoutTlsIsRefusedUnlessExplicitlyAllowed() {
    Mta.Builder b =
        Mta.builder()
            .messageHandler((e, c) -> Decision.accept())
            .listener(Listener.smtp("127.0.0.1", 0))
            .authenticator((u, p, s) -> false);

    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("authenticator needs tls(");
    assertThatCode(() -> b.allowAuthWithoutTls(true).build().close()).doesNotThrowAnyException();
    assertThatCode(
            () ->
                b.allowAuthWithoutTls(false).tls(TestCertificates.serverContext()).build().close())
        .doesNotThrowAnyException();
  }

  @Test
  void theSmallestLegalValuesAreKeptAsGiven() {
    assertThatCode(
            () ->
                Mta.builder()
                    .maxRecipients(1)
                    .maxConnections(1)
                    .maxConnectionsPerClient(1)
                    .maxMessageSize(1)
                    .maxCommandLineLength(512)
                    .maxTextLineLength(1000)
                    .maxErrors(1)
                    .maxAuthFailures(1)
                    .commandTimeout(Duration.ofMillis(1))
                    .dataTimeout(Duration.ofMillis(1))
                    .shutdownGrace(Duration.ZERO)
                    .memoryPerMessage(4096)
                    .trustedNetworks()
                    .hostname("[192.0.2.1]")
                    .messageHandler((e, c) -> Decision.accept())
                    .build())
        .doesNotThrowAnyException();
  }

  @Test
  void theConfiguredHostnameIsUsedInTheGreeting() {
    try (RunningServer server = RunningServer.start(b -> b.hostname("smtp.example.org"));
        SmtpWire wire = server.connect()) {
      assertThat(wire.read().line()).isEqualTo("220 smtp.example.org ESMTP mta4j");
      assertThat(server.mta().hostname()).isEqualTo("smtp.example.org");
    }
  }

  private static Arguments bad(String message, Consumer<Mta.Builder> setting) {
    return Arguments.of(message, setting);
  }
}
