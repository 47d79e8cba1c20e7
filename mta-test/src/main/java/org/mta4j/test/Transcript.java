package org.mta4j.test;

import java.util.ArrayList;
import java.util.List;

/**
 * What clients and the server said, line by line, as the kit's proxy saw it; bounded so that a long
 * test cannot fill the heap. Message content is summarized, never stored. Thread-safe.
 */
final class Transcript {
  static final int MAX_LINES = 10_000;

  private final List<String> lines = new ArrayList<>();
  private boolean truncated;

  void client(int connection, String line) {
    add(connection + " C: " + line);
  }

  void server(int connection, String line) {
    add(connection + " S: " + line);
  }

  void note(int connection, String what) {
    add(connection + " -- " + what);
  }

  private synchronized void add(String line) {
    if (lines.size() < MAX_LINES) {
      lines.add(line);
    } else if (!truncated) {
      truncated = true;
      lines.add("-- transcript truncated at " + MAX_LINES + " lines");
    }
  }

  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  synchronized void clear() {
    lines.clear();
    truncated = false;
  }
}
