package org.mta4j.test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.mta4j.testing.Peers;

/**
 * A real client for the kit's tests: Python's smtplib, run by Debian's python3 (a missing one fails
 * the test under MTA4J_REQUIRE_PEERS=1). Each call sends one message and returns the JSON line the
 * script prints, e.g. {@code {"code": 452, "outcome": "SMTPDataError"}}.
 */
final class PythonSmtplib {
  private PythonSmtplib() {}

  static String send(int port, String recipients, String... options) {
    List<String> command = new ArrayList<>();
    command.add(Peers.python3With().toString());
    command.add(script().toString());
    command.add(Integer.toString(port));
    command.add("app@example.test");
    command.add(recipients);
    command.addAll(List.of(options));
    return Peers.run(Duration.ofSeconds(60), command).assertSuccess().stdout().strip();
  }

  private static Path script() {
    try {
      return Path.of(PythonSmtplib.class.getResource("/smtp_client.py").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
