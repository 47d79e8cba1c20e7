package org.mta4j.queue.file;

import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.mta4j.queue.NewMessage;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.GeneratedContent;

/**
 * Run by {@link LargeContentTest} in a JVM with a small heap: enqueues {@code args[1]} MiB of
 * generated content into a store on {@code args[0]}, reopens the store (which checks the CRC of
 * every message) and reads the content back. Prints {@code OK} and the digests; a store that held
 * the content in the heap dies of OutOfMemoryError instead.
 */
public final class LargeContentChild {
  private LargeContentChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long size = Long.parseLong(args[1]) * 1024 * 1024;
    GeneratedContent content = new GeneratedContent(size, 50);
    try (FileQueueStore store = FileQueueStore.builder().directory(dir).open()) {
      store.enqueue(
          new NewMessage(
              "BIG",
              "a@sender.test",
              List.of(Recipient.of("b@example.org")),
              MailParameters.NONE,
              Instant.parse("2026-03-02T10:00:00Z")),
          content);
    }
    MessageDigest back = MessageDigest.getInstance("SHA-256");
    long read = 0;
    try (FileQueueStore store = FileQueueStore.builder().directory(dir).open();
        InputStream in = store.openContent("BIG")) {
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) >= 0; ) {
        back.update(buf, 0, n);
        read += n;
      }
    }
    String readBack = HexFormat.of().formatHex(back.digest());
    String written = content.sha256();
    System.out.println(
        (readBack.equals(written) && read == size ? "OK " : "MISMATCH ")
            + "size="
            + read
            + " written="
            + written
            + " read="
            + readBack
            + " maxHeap="
            + Runtime.getRuntime().maxMemory());
  }
}
