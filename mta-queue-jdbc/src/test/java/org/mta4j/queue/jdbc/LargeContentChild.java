package org.mta4j.queue.jdbc;

import java.io.InputStream;
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
    store.enqueue(GeneratedContent.envelope("BIG"), content);
    try (InputStream in = store.openContent("BIG")) {
      System.out.println(
          content.readBackReport(in, " stored=" + store.show("BIG").orElseThrow().size()));
    }
  }
}
