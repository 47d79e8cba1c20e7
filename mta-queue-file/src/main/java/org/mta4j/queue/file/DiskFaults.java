package org.mta4j.queue.file;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A test seam: failures the disk would give that a test cannot cause for real without mounting a
 * file system (a full disk mid-write, a failing fsync), and a place to hold an fsync while a test
 * lines up concurrent callers. Production uses {@link #NONE}.
 */
interface DiskFaults {
  DiskFaults NONE = new DiskFaults() {};

  /** Called before each write of a buffer to {@code file}; may throw as the write would. */
  default void beforeWrite(Path file) throws IOException {}

  /** Called before each fsync of the queue directory; may throw or block as the fsync would. */
  default void beforeDirectorySync() throws IOException {}

  /** Called before each flush (fdatasync) of a journal segment; may throw or block. */
  default void beforeJournalSync() throws IOException {}
}
