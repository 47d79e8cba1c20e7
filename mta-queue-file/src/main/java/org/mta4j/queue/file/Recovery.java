package org.mta4j.queue.file;

import static org.mta4j.queue.file.QueueFiles.MESSAGE_SUFFIX;
import static org.mta4j.queue.file.QueueFiles.STATE_SUFFIX;
import static org.mta4j.queue.file.QueueFiles.TEMP_SUFFIX;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a store finds in its directory at open, after a clean close or a crash: every complete
 * message, with its last complete state. Temporary files (writes that never reached their rename)
 * are deleted; files that fail their checks go to {@code corrupt/} with a WARN line; a state file
 * without its message (a removal cut short) is deleted. Nothing is dropped without a log line, and
 * a damaged file never stops the store from opening.
 */
final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(FileQueueStore.class);

  private Recovery() {}

  /** One message found on disk; {@code state} is null when it has none (never changed). */
  record Found(String key, QueueFiles.MessageFile message, Records.State state) {}

  /** What recovery did, for the log line and for tests. */
  record Report(
      int messages, int tempFilesDeleted, int corruptFilesMoved, int orphanStatesDeleted) {}

  record Result(List<Found> found, Report report) {}

  static Result run(Path queueDir, Path corruptDir, boolean verifyContent) throws IOException {
    TreeMap<String, Path> messages = new TreeMap<>();
    TreeMap<String, Path> states = new TreeMap<>();
    int temps = 0;
    int corrupt = 0;
    int orphans = 0;
    List<Path> files;
    try (Stream<Path> s = Files.list(queueDir)) {
      files = s.sorted().toList();
    }
    for (Path p : files) {
      String name = p.getFileName().toString();
      if (!Files.isRegularFile(p)) {
        log.warn("file queue {}: {} is not a regular file; left alone", queueDir, name);
      } else if (name.startsWith(Journal.PREFIX) && name.endsWith(Journal.SUFFIX)) {
        continue; // journal segments: Journal.replay reads them
      } else if (name.endsWith(TEMP_SUFFIX)) {
        log.info(
            "file queue {}: deleting {}, a write that did not complete (never acknowledged)",
            queueDir,
            name);
        Files.deleteIfExists(p);
        temps++;
      } else if (name.endsWith(MESSAGE_SUFFIX)) {
        messages.put(stem(name, MESSAGE_SUFFIX), p);
      } else if (name.endsWith(STATE_SUFFIX)) {
        states.put(stem(name, STATE_SUFFIX), p);
      } else {
        log.warn("file queue {}: {} is not a queue file; left alone", queueDir, name);
      }
    }

    List<Found> found = new ArrayList<>(messages.size());
    for (var m : messages.entrySet()) {
      String key = m.getKey();
      Path statePath = states.remove(key);
      QueueFiles.MessageFile message;
      try {
        message = QueueFiles.readMessage(m.getValue(), verifyContent);
        String expected = QueueFiles.key(message.envelope().id());
        if (!expected.equals(key)) {
          throw new CorruptFileException(
              "holds message " + message.envelope().id() + ", whose file would be " + expected);
        }
      } catch (CorruptFileException e) {
        log.warn(
            "file queue {}: message file {} is damaged ({}); moved to {}{}",
            queueDir,
            m.getValue().getFileName(),
            e.getMessage(),
            corruptDir,
            statePath == null ? "" : " with its state file");
        moveAside(m.getValue(), corruptDir);
        corrupt++;
        if (statePath != null) {
          moveAside(statePath, corruptDir);
          corrupt++;
        }
        continue;
      }
      Records.State state = null;
      if (statePath != null) {
        try {
          state = Records.parseState(QueueFiles.readStateRecord(statePath), message.envelope());
        } catch (CorruptFileException e) {
          log.warn(
              "file queue {}: state file {} is damaged ({}); moved to {}. Message {} goes back"
                  + " to its state at arrival: recipients delivered before may get it again",
              queueDir,
              statePath.getFileName(),
              e.getMessage(),
              corruptDir,
              message.envelope().id());
          moveAside(statePath, corruptDir);
          corrupt++;
        }
      }
      found.add(new Found(key, message, state));
    }
    for (Path orphan : states.values()) {
      log.info(
          "file queue {}: deleting {}, the state of a message whose removal was cut short",
          queueDir,
          orphan.getFileName());
      Files.deleteIfExists(orphan);
      orphans++;
    }
    if (temps + corrupt + orphans > 0) {
      // make the clean-up durable before new writes build on it
      syncDirectory(queueDir);
      if (corrupt > 0) {
        syncDirectory(corruptDir);
      }
    }
    return new Result(found, new Report(found.size(), temps, corrupt, orphans));
  }

  private static String stem(String name, String suffix) {
    return name.substring(0, name.length() - suffix.length());
  }

  /** Moves a file into {@code corrupt/}, never over an earlier one of the same name. */
  private static void moveAside(Path file, Path corruptDir) throws IOException {
    String name = file.getFileName().toString();
    Path target = corruptDir.resolve(name);
    for (int n = 1; Files.exists(target); n++) {
      target = corruptDir.resolve(name + "." + n);
    }
    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
  }

  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
