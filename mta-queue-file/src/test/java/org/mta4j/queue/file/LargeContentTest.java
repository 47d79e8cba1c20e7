package org.mta4j.queue.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.NewMessage;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.ChildJvm;
import org.mta4j.testing.GeneratedContent;

/** Content is streamed through a bounded buffer: a message's size is not a heap size. */
@Timeout(120)
class LargeContentTest {
  @TempDir Path dir;

  @Test
  void enqueueReadsTheContentThroughABoundedBuffer() throws Exception {
    GeneratedContent content = new GeneratedContent(20L * 1024 * 1024, 7);
    try (FileQueueStore store = FileQueueStore.builder().directory(dir).open()) {
      store.enqueue(
          new NewMessage(
              "BIG",
              "a@sender.test",
              List.of(Recipient.of("b@example.org")),
              MailParameters.NONE,
              Instant.parse("2026-03-02T10:00:00Z")),
          content);

      assertThat(content.largestRead()).isLessThanOrEqualTo(QueueFiles.BUFFER_SIZE);
      assertThat(store.show("BIG").orElseThrow().size()).isEqualTo(20L * 1024 * 1024);
      MessageDigest back = MessageDigest.getInstance("SHA-256");
      try (InputStream in = store.openContent("BIG")) {
        byte[] buf = new byte[QueueFiles.BUFFER_SIZE];
        for (int n; (n = in.read(buf)) >= 0; ) {
          back.update(buf, 0, n);
        }
      }
      assertThat(HexFormat.of().formatHex(back.digest())).isEqualTo(content.sha256());
    }
  }

  @Test
  void aFiftyMegabyteMessageGoesThroughAJvmWithATwentyFourMegabyteHeap() throws Exception {
    Path log = dir.resolve("child.log");
    Process child =
        ChildJvm.start(
            log,
            List.of("-Xmx24m", "-XX:+UseSerialGC"),
            LargeContentChild.class,
            dir.resolve("queue").toString(),
            "50");
    try {
      assertThat(child.waitFor(90, TimeUnit.SECONDS)).as(ChildJvm.tail(log, 30)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.exitValue()).as(ChildJvm.tail(log, 30)).isZero();
    assertThat(Files.readAllLines(log))
        .as(ChildJvm.tail(log, 30))
        .anyMatch(l -> l.startsWith("OK "));
  }
}
