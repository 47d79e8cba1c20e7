package org.mta4j.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.testing.ChildJvm;

/**
 * Content is streamed in chunks both ways: a message's size is not a heap size, on PostgreSQL,
 * whose driver reads a {@code bytea} value whole (so one chunk is the bound, not the message).
 */
@Timeout(180)
class LargeContentTest {
  @TempDir Path dir;

  @Test
  void aFortyEightMegabyteMessageGoesThroughAJvmWithATwentyFourMegabyteHeap() throws Exception {
    String url = PostgresServer.shared().newDatabase("large");
    Path log = dir.resolve("child.log");
    Process child =
        ChildJvm.start(
            log, List.of("-Xmx24m", "-XX:+UseSerialGC"), LargeContentChild.class, url, "48");
    try {
      assertThat(child.waitFor(150, TimeUnit.SECONDS)).as(ChildJvm.tail(log, 30)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.exitValue()).as(ChildJvm.tail(log, 30)).isZero();
    assertThat(Files.readAllLines(log))
        .as(ChildJvm.tail(log, 30))
        .anyMatch(l -> l.startsWith("OK ") && l.contains(" stored=50331648 "));
  }
}
