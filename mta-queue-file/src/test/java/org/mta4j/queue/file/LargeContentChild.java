package org.mta4j.queue.file;

import java.io.InputStream;
import java.nio.file.Path;
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
      store.enqueue(GeneratedContent.envelope("BIG"), content);
    }
    try (FileQueueStore store = FileQueueStore.builder().directory(dir).open();
        InputStream in = store.openContent("BIG")) {
      System.out.println(content.readBackReport(in, ""));
    }
  }
}
