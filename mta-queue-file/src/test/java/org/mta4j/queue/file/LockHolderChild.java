package org.mta4j.queue.file;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link DirectoryLockTest}: opens a store on {@code args[0]}, writes {@code
 * args[1]} to say so, and holds the directory until its standard input ends (or it is killed). With
 * {@code args[2] = "try"} it only tries to open and prints what happened.
 */
public final class LockHolderChild {
  private LockHolderChild() {}

  @SuppressWarnings("try") // the store is opened to hold the directory, not used
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Path marker = Path.of(args[1]);
    if (args.length > 2 && args[2].equals("try")) {
      try (FileQueueStore store = FileQueueStore.builder().directory(dir).open()) {
        Files.writeString(marker, "OPENED\n");
      } catch (Exception e) {
        Files.writeString(marker, "FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      return;
    }
    try (FileQueueStore store = FileQueueStore.builder().directory(dir).open()) {
      Files.writeString(marker, "pid " + ProcessHandle.current().pid() + "\n");
      System.in.transferTo(java.io.OutputStream.nullOutputStream()); // until the parent lets go
    }
  }
}
