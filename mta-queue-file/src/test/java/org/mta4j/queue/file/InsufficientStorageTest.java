package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.server.Listener;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.SmtpClientWire;

/**
 * A full or read-only disk: enqueue fails with insufficient storage (the server's {@code 452
 * 4.3.1}) and what is queued already is untouched.
 *
 * <p>A real full disk or read-only mount needs a file system of its own, which a test here cannot
 * mount; those two are injected through the package-private {@link DiskFaults} seam, with the
 * errors the JDK gives for ENOSPC and EROFS. The free-space floor ({@code minFreeSpace}) is real:
 * it asks the file system.
 */
@Timeout(60)
class InsufficientStorageTest {
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

  @TempDir Path dir;
  private final AtomicBoolean diskFull = new AtomicBoolean();
  private IOException diskError = new IOException("No space left on device");
  private FileQueueStore store;
  private Mta mta;

  @AfterEach
  void close() throws IOException {
    if (mta != null) {
      mta.close();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void aDiskThatFillsUpMidMessageFailsTheEnqueueAndDamagesNothingQueued() throws Exception {
    store = storeWithFaults();
    enqueue("A", content("A", 1));
    enqueue("B", content("B", 1));
    QueuedMessage a = store.claimDue(T0, 1, "node-a", Duration.ofMinutes(5)).getFirst();

    diskFull.set(true);
    byte[] big = content("C", 5_000); // several buffers: the disk fills up part way
    assertThatThrownBy(() -> enqueue("C", big))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("No space left on device")
        .asInstanceOf(type(QueueStoreException.class))
        .returns(true, QueueStoreException::isInsufficientStorage);
    assertThatThrownBy(() -> store.recordAttempt("A", "node-a", deferAll(a), T0.plusSeconds(60)))
        .as("a state update fails too, and changes nothing")
        .isInstanceOf(QueueStoreException.class);
    diskFull.set(false);

    assertThat(store.show("C")).isEmpty();
    assertThat(store.show("A").orElseThrow().attempts()).isZero();
    assertThat(queueFiles())
        .as("A and B in the journal, nothing of C")
        .containsExactly(Journal.name(1));
    store.close();
    store = storeWithFaults();
    assertThat(store.list(QueueFilter.all(T0)).stream().map(QueuedMessage::id))
        .containsExactly("A", "B");
    assertThat(read("A")).isEqualTo(content("A", 1));
    assertThat(read("B")).isEqualTo(content("B", 1));
    enqueue("C", big);
    assertThat(read("C")).as("room again, the same id goes in").isEqualTo(big);
  }

  @Test
  void aReadOnlyFileSystemIsInsufficientStorage() throws Exception {
    store = storeWithFaults();
    diskError = new FileSystemException("queue/X.msg.tmp", null, "Read-only file system");
    diskFull.set(true);

    assertThatThrownBy(() -> enqueue("X", content("X", 1)))
        .asInstanceOf(type(QueueStoreException.class))
        .returns(true, QueueStoreException::isInsufficientStorage);
  }

  @Test
  void anOtherWriteErrorIsAStorageErrorButNotInsufficientStorage() throws Exception {
    store = storeWithFaults();
    diskError = new IOException("Input/output error");
    diskFull.set(true);

    assertThatThrownBy(() -> enqueue("X", content("X", 1)))
        .asInstanceOf(type(QueueStoreException.class))
        .returns(false, QueueStoreException::isInsufficientStorage);
  }

  @Test
  void lessFreeSpaceThanMinFreeSpaceRefusesNewMailBeforeWritingIt() throws Exception {
    store = FileQueueStore.builder().directory(dir).minFreeSpace(Long.MAX_VALUE).open();

    assertThatThrownBy(() -> enqueue("X", content("X", 1)))
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("below minFreeSpace")
        .asInstanceOf(type(QueueStoreException.class))
        .returns(true, QueueStoreException::isInsufficientStorage);
    assertThat(queueFiles()).isEmpty();
  }

  @Test
  void theSmtpServerAnswers452WhenTheQueueIsOutOfSpace() throws Exception {
    store = FileQueueStore.builder().directory(dir).minFreeSpace(Long.MAX_VALUE).open();
    mta =
        Mta.builder()
            .hostname("mx.example.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .queueStore(store)
            .build();
    mta.start();

    try (SmtpClientWire smtp = SmtpClientWire.connect(mta.port(), Duration.ofSeconds(10))) {
      smtp.expect(smtp.command("EHLO client.test"), "250");
      String reply =
          smtp.send(
              "a@client.test", "b@example.test", "Subject: hi\r\n\r\nhello\r\n".getBytes(UTF_8));
      assertThat(reply).startsWith("452 4.3.1");
    }
    assertThat(store.size()).isZero();
  }

  // ---------------------------------------------------------------------------------------------

  private FileQueueStore storeWithFaults() throws IOException {
    return FileQueueStore.builder()
        .directory(dir)
        .minFreeSpace(0)
        .diskFaults(
            new DiskFaults() {
              @Override
              public void beforeWrite(Path file) throws IOException {
                if (diskFull.get()) {
                  throw diskError;
                }
              }
            })
        .open();
  }

  private void enqueue(String id, byte[] content) throws IOException {
    store.enqueue(
        new NewMessage(
            id, "a@sender.test", List.of(Recipient.of("b@example.org")), MailParameters.NONE, T0),
        new ByteArrayInputStream(content));
  }

  private byte[] read(String id) throws IOException {
    try (InputStream in = store.openContent(id)) {
      return in.readAllBytes();
    }
  }

  private static byte[] content(String id, int lines) {
    return ("Subject: "
            + id
            + "\r\n\r\n"
            + ("line of " + id + " ........................\r\n").repeat(lines))
        .getBytes(UTF_8);
  }

  private static List<RecipientState> deferAll(QueuedMessage m) {
    return m.recipients().stream()
        .map(r -> r.after(RecipientState.Status.DEFERRED, "451", "4.0.0", "local", T0))
        .toList();
  }

  private List<String> queueFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("queue"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
