package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.context.properties.bind.BindException;

/** A bad value fails startup with a message that names the property. */
class MtaInvalidPropertiesTest {

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "mta.hostname|not a host name|mta.hostname",
        "mta.shutdown-grace|-1s|mta.shutdown-grace",
        "mta.server.port|70000|mta.server.port",
        "mta.server.bind-address|localhost|mta.server.bind-address",
        "mta.server.local-domains|bad_domain!|mta.server.local-domains",
        "mta.server.trusted-networks|10.0.0.0/99|mta.server.trusted-networks",
        "mta.server.proxy-protocol-from|not-a-network|mta.server.proxy-protocol-from",
        "mta.server.implicit-tls-port|465|mta.server.implicit-tls-port",
        "mta.server.tls.certificate|/nonexistent/fullchain.pem|mta.server.tls.private-key",
        "mta.server.auth.users.alice|pw|mta.server.auth.users",
        "mta.relay.username|someone|mta.relay.host",
        "mta.limits.max-connections|0|mta.limits.max-connections",
        "mta.limits.max-recipients|-1|mta.limits.max-recipients",
        "mta.limits.max-message-size|0B|mta.limits.max-message-size",
        "mta.limits.command-timeout|0s|mta.limits.command-timeout",
        "mta.limits.delivery-concurrency|0|mta.limits.delivery-concurrency",
        "mta.retry.first-retry|0s|mta.retry.first-retry",
        "mta.retry.max-backoff|1m|mta.retry.max-backoff",
        "mta.retry.jitter|0.9|mta.retry.jitter",
        "mta.retry.delay-warning|-1h|mta.retry.delay-warning",
        "mta.metrics.max-domain-tags|-1|mta.metrics.max-domain-tags",
      })
  void badValueFailsStartupNamingTheProperty(String property, String value, String named) {
    Runners.mtaWithActuator()
        .withConfiguration(
            org.springframework.boot.autoconfigure.AutoConfigurations.of(
                org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration
                    .class,
                org.springframework.boot.micrometer.metrics.autoconfigure.export.simple
                    .SimpleMetricsExportAutoConfiguration.class))
        .withPropertyValues(property + "=" + value)
        .run(context -> Startup.failedOn(context, named));
  }

  @Test
  void aPemCertificateThatCannotBeReadIsNamed() {
    Runners.mta()
        .withPropertyValues(
            "mta.server.tls.certificate=/nonexistent/fullchain.pem",
            "mta.server.tls.private-key=/nonexistent/privkey.pem")
        .run(
            context ->
                assertThat(Startup.failedOn(context, "mta.server.tls.certificate").getReason())
                    .contains("/nonexistent/fullchain.pem"));
  }

  @Test
  void relayPasswordWithoutUserIsNamed() {
    Runners.mta()
        .withPropertyValues("mta.relay.host=smtp.example.test", "mta.relay.password=pw")
        .run(context -> Startup.failedOn(context, "mta.relay.username"));
  }

  @Test
  void relayPortOutOfRangeIsNamed() {
    Runners.mta()
        .withPropertyValues("mta.relay.host=smtp.example.test", "mta.relay.port=0")
        .run(context -> Startup.failedOn(context, "mta.relay.port"));
  }

  @Test
  void unknownQueueTypeFailsBindingNamingIt() {
    Runners.mta()
        .withPropertyValues("mta.queue.type=redis")
        .run(
            context -> {
              assertThat(context).hasFailed();
              Throwable t = context.getStartupFailure();
              while (t != null && !(t instanceof BindException)) {
                t = t.getCause();
              }
              assertThat(t).isInstanceOf(BindException.class);
              assertThat(((BindException) t).getName().toString()).isEqualTo("mta.queue.type");
            });
  }
}
