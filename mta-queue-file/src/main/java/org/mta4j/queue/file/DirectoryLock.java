package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mta4j.queue.QueueStoreException;

/**
 * One owner per queue directory: an exclusive {@link FileLock} on {@code lock}, which the operating
 * system drops when the owner dies (so a {@code kill -9} leaves no stale lock), and which names the
 * owner's pid for the error another process gets.
 *
 * <p>Within one JVM the lock table cannot be asked: POSIX record locks belong to the process, and
 * closing <em>any</em> descriptor of the lock file releases them, so a second store that opened the
 * file just to find it locked would unlock the first one on its way out. Directories locked by this
 * JVM are therefore remembered here and a second store is refused before it opens the file.
 */
final class DirectoryLock implements AutoCloseable {
  static final String FILE_NAME = "lock";

  /** Real paths of the directories this JVM (this class loader) holds. */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path directory;
  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(Path directory, FileChannel channel, FileLock lock) {
    this.directory = directory;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the directory.
   *
   * @throws QueueStoreException another store in this JVM, or another process, owns it
   */
  static DirectoryLock acquire(Path directory) throws IOException {
    Path real = directory.toRealPath();
    if (!HELD.add(real)) {
      throw new QueueStoreException(inThisJvm(real), null);
    }
    FileChannel channel = null;
    try {
      Path file = real.resolve(FILE_NAME);
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        // Held by this JVM through another class loader's copy of this class. Closing our
        // channel would release that owner's lock (see the class comment): leave it open.
        channel = null;
        throw new QueueStoreException(inThisJvm(real), null);
      }
      if (lock == null) {
        String holder = Files.readString(file, UTF_8).strip();
        throw new QueueStoreException(
            "queue directory "
                + real
                + " is locked by another process ("
                + (holder.isEmpty() ? "owner unknown" : holder)
                + "): a queue directory has one owner; stop the other process or give this one"
                + " its own directory",
            null);
      }
      channel.truncate(0);
      byte[] owner = ("pid " + ProcessHandle.current().pid() + "\n").getBytes(UTF_8);
      channel.write(ByteBuffer.wrap(owner), 0);
      DirectoryLock held = new DirectoryLock(real, channel, lock);
      channel = null;
      return held;
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      HELD.remove(real);
      throw e;
    }
  }

  private static String inThisJvm(Path real) {
    return "queue directory "
        + real
        + " is already open in this JVM (another FileQueueStore, perhaps another Mta, owns it):"
        + " a queue directory has one owner; close the other store first";
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
      channel.close();
    } finally {
      HELD.remove(directory);
    }
  }
}
