package org.mta4j.spring;

import org.mta4j.spring.autoconfigure.MtaActuatorAutoConfiguration;
import org.mta4j.spring.autoconfigure.MtaAutoConfiguration;
import org.mta4j.testing.TestCertificates;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The context runners of the starter's tests: an MTA on a free loopback port. */
final class Runners {
  private Runners() {}

  static final String HOSTNAME = "mx.starter.test";

  /** The starter's core auto-configuration, listening on 127.0.0.1 and a free port. */
  static ApplicationContextRunner mta() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MtaAutoConfiguration.class))
        .withPropertyValues(
            "mta.server.port=0", "mta.server.bind-address=127.0.0.1", "mta.hostname=" + HOSTNAME);
  }

  /** {@link #mta()} with the Actuator part too. */
  static ApplicationContextRunner mtaWithActuator() {
    return mta()
        .withConfiguration(
            AutoConfigurations.of(MtaAutoConfiguration.class, MtaActuatorAutoConfiguration.class));
  }

  /** Properties that relay all mail to a plain SMTP server on 127.0.0.1:port. */
  static String[] relayTo(int port) {
    return new String[] {
      "mta.relay.host=127.0.0.1", "mta.relay.port=" + port, "mta.relay.tls=none"
    };
  }

  /** The test certificate and key as the server's PEM files. */
  static String[] serverTls() {
    return new String[] {
      "mta.server.tls.certificate=" + TestCertificates.certificatePem(),
      "mta.server.tls.private-key=" + TestCertificates.privateKeyPem()
    };
  }
}
