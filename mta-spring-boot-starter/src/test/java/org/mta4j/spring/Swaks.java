package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.mta4j.testing.Peers;

/** swaks, the real SMTP client of these tests, run as a process against 127.0.0.1. */
final class Swaks {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicReference<String> TLS_SUPPORT = new AtomicReference<>();

  private Swaks() {}

  /** One run: exit code and the transcript (stdout and stderr). */
  record Run(int exitCode, String transcript) {
    Run assertSuccess() {
      assertThat(exitCode).as("swaks exit code; transcript:%n%s", transcript).isZero();
      return this;
    }
  }

  static Run send(int port, String... args) {
    List<String> command = new ArrayList<>();
    command.add(executable(List.of(args)).toString());
    command.addAll(List.of("--server", "127.0.0.1", "--port", Integer.toString(port)));
    command.addAll(List.of("--helo", "client.example.test", "--timeout", "20"));
    command.addAll(List.of(args));
    Peers.ProcessResult r = Peers.run(TIMEOUT, command);
    return new Run(r.exitCode(), r.stdout() + r.stderr());
  }

  /** swaks, checked once for TLS when asked for it (Net::SSLeay is an optional Perl module). */
  private static Path executable(List<String> args) {
    Path swaks = Peers.executable("swaks");
    if (args.contains("-tls") || args.contains("-tlsc")) {
      String support = TLS_SUPPORT.updateAndGet(k -> k != null ? k : support(swaks));
      if (!support.contains("=== TLS supported")) {
        String reason = "peer swaks cannot do TLS (install libnet-ssleay-perl): " + support;
        if ("1".equals(System.getenv(Peers.REQUIRE_PEERS_ENV))) {
          Assertions.fail(reason);
        }
        Assumptions.abort(reason);
      }
    }
    return swaks;
  }

  private static String support(Path swaks) {
    Peers.ProcessResult r = Peers.run(TIMEOUT, List.of(swaks.toString(), "--support"));
    return (r.stdout() + r.stderr())
        .lines()
        .filter(l -> l.contains("TLS"))
        .findFirst()
        .orElse("no TLS line in swaks --support");
  }
}
