package org.mta4j.queue.jdbc;

import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.mta4j.queue.NewMessage;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.GeneratedContent;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Run by {@link LargeContentTest} in a JVM with a small heap: enqueues {@code args[1]} MiB of
 * generated content into a JDBC queue on the PostgreSQL database {@code args[0]} and reads it back.
 * Prints {@code OK} and the digests; a store that held the content (or one {@code bytea} of it) in
 * the heap dies of OutOfMemoryError instead.
 */
public final class LargeContentChild {
  private LargeContentChild() {}

  public static void main(String[] args) throws Exception {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(args[0]);
    long size = Long.parseLong(args[1]) * 1024 * 1024;
    GeneratedContent content = new GeneratedContent(size, 50);
    JdbcQueueStore store = JdbcQueueStore.builder().dataSource(ds).build();
    store.enqueue(
        new NewMessage(
            "BIG",
            "a@sender.test",
            List.of(Recipient.of("b@example.org")),
            MailParameters.NONE,
            Instant.parse("2026-03-02T10:00:00Z")),
        content);
    MessageDigest back = MessageDigest.getInstance("SHA-256");
    long read = 0;
    try (InputStream in = store.openContent("BIG")) {
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
            + " stored="
            + store.show("BIG").orElseThrow().size()
            + " written="
            + written
            + " read="
            + readBack
            + " maxHeap="
            + Runtime.getRuntime().maxMemory());
  }
}
