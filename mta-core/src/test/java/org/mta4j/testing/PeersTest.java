package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class PeersTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static List<String> sh(String script) {
    return List.of("/bin/sh", "-c", script);
  }

  @Test
  void runCapturesStdoutStderrAndExitCodeSeparately() {
    Peers.ProcessResult result = Peers.run(TIMEOUT, sh("echo out; echo err >&2; exit 3"));

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.stdout()).isEqualTo("out\n");
    assertThat(result.stderr()).isEqualTo("err\n");
  }

  @Test
  void runFeedsStdinAndTheProcessSeesItsEnd() {
    byte[] input = "é\r\nline\n".getBytes(UTF_8);

    Peers.ProcessResult result = Peers.run(TIMEOUT, List.of("/bin/cat"), input);

    assertThat(result.assertSuccess().stdout()).isEqualTo("é\r\nline\n");
  }

  @Test
  void runWithoutStdinGivesTheProcessAnEmptyInput() {
    assertThat(Peers.run(TIMEOUT, List.of("/bin/cat")).assertSuccess().stdout()).isEmpty();
  }

  @Test
  void largeOutputOnBothStreamsAndLargeInputDoNotDeadlock() {
    byte[] input = "x".repeat(3_000_000).getBytes(UTF_8);
    // Prints 4 MB on each stream before it reads its input, then echoes the input.
    String script =
        "head -c 4000000 /dev/zero | tr '\\000' a; head -c 4000000 /dev/zero | tr '\\000' b >&2;"
            + " cat";

    Peers.ProcessResult result = Peers.run(TIMEOUT, sh(script), input).assertSuccess();

    assertThat(result.stdout()).hasSize(7_000_000).startsWith("aaa").endsWith("xxx");
    assertThat(result.stderr()).hasSize(4_000_000).startsWith("bbb");
  }

  @Test
  void aNonAsciiArgumentArrivesIntactOrFailsLoudlyOutsideAUtf8Locale() {
    List<String> command = List.of("/bin/echo", "pässword");
    String jnu = System.getProperty("sun.jnu.encoding", "UTF-8");

    if (Charset.forName(jnu).newEncoder().canEncode("ä")) {
      assertThat(Peers.run(TIMEOUT, command).assertSuccess().stdout()).isEqualTo("pässword\n");
    } else {
      assertThatThrownBy(() -> Peers.run(TIMEOUT, command))
          .isInstanceOf(AssertionFailedError.class)
          .hasMessageContaining("LC_ALL=C.UTF-8");
    }
  }

  @Test
  void assertSuccessFailsWithBothOutputsOnNonZeroExit() {
    Peers.ProcessResult result = Peers.run(TIMEOUT, sh("echo partial; echo broken >&2; exit 2"));

    assertThatThrownBy(result::assertSuccess)
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("exited with 2")
        .hasMessageContaining("partial")
        .hasMessageContaining("broken");
  }

  @Test
  void timeoutKillsTheWholeProcessTreeAndFailsWithTheOutput(@TempDir Path dir) throws IOException {
    Path pids = dir.resolve("pids");
    // The shell stays (wait), its child sleeps and holds the output pipes open.
    String script = "echo started; echo oops >&2; sleep 30 & echo $$ $! > " + pids + "; wait";
    long start = System.nanoTime();

    assertThatThrownBy(() -> Peers.run(Duration.ofSeconds(1), sh(script)))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("timed out after PT1S")
        .hasMessageContaining("started")
        .hasMessageContaining("oops");

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    String[] shellAndSleep = Files.readString(pids).trim().split(" ");
    for (String pid : shellAndSleep) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !isRunning(Long.parseLong(pid)));
    }
  }

  @Test
  void executableFindsAProgramOnThePathAsAnAbsolutePath() {
    Path sh = Peers.executable("sh");

    assertThat(sh).isAbsolute();
    assertThat(Files.isExecutable(sh)).isTrue();
    assertThat(Peers.executable("/bin/sh")).isEqualTo(Path.of("/bin/sh"));
  }

  @Test
  void aMissingExecutableFailsWhenPeersAreRequiredAndIsSkippedOtherwise() {
    Class<? extends Throwable> expected =
        "1".equals(System.getenv(Peers.REQUIRE_PEERS_ENV))
            ? AssertionFailedError.class
            : TestAbortedException.class;

    assertThatThrownBy(() -> Peers.executable("mta4j-no-such-peer"))
        .isInstanceOf(expected)
        .hasMessageContaining("peer mta4j-no-such-peer not installed")
        .hasMessageContaining(".ci/run installs it");
  }

  @Test
  void python3WithIsDebiansInterpreterAndChecksItsModules() {
    assertThat(Peers.python3With("sys", "json")).isEqualTo(Path.of("/usr/bin/python3"));

    assertThatThrownBy(() -> Peers.python3With("json", "mta4j_no_such_module"))
        .isInstanceOfAny(AssertionFailedError.class, TestAbortedException.class)
        .hasMessageContaining("mta4j_no_such_module")
        .hasMessageContaining("not installed");
    assertThatThrownBy(() -> Peers.python3With("os; import shutil"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void runRejectsANonPositiveTimeoutAndAnEmptyCommand() {
    assertThatThrownBy(() -> Peers.run(Duration.ZERO, sh("true")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be > 0: PT0S");
    assertThatThrownBy(() -> Peers.run(TIMEOUT, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void freePortIsALoopbackPortThatCanBeBound() throws IOException {
    int port = Peers.freePort();

    assertThat(port).isBetween(1, 65535);
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
      assertThat(socket.getLocalPort()).isEqualTo(port);
    }
  }

  /** True while the process exists and is not a zombie (Linux /proc). */
  private static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }
}
