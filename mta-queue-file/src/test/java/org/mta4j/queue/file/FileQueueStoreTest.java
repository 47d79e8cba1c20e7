package org.mta4j.queue.file;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueueStoreContract;

/** The queue contract, unchanged, on the file store in its default mode (group commit). */
class FileQueueStoreTest extends QueueStoreContract {
  @TempDir Path dir;

  @Override
  protected QueueStore newStore() throws Exception {
    return FileQueueStore.builder().directory(dir).open();
  }

  @Override
  protected boolean isDurable() {
    return true;
  }

  @Override
  protected QueueStore reopen(QueueStore closed) throws Exception {
    return FileQueueStore.builder().directory(((FileQueueStore) closed).directory()).open();
  }
}
