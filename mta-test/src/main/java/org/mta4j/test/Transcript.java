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
  // bumped by clear(): a connection from before a reset no longer writes into the new transcript
  private int generation;

  /** The current generation, to pass to the writers below. */
  synchronized int generation() {
    return generation;
  }

  void client(int generation, int connection, String line) {
    add(generation, connection + " C: " + line);
  }

  void server(int generation, int connection, String line) {
    add(generation, connection + " S: " + line);
  }

  void note(int generation, int connection, String what) {
    add(generation, connection + " -- " + what);
  }

  private synchronized void add(int writerGeneration, String line) {
    if (writerGeneration != generation) {
      return;
    }
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
    generation++;
  }
}
