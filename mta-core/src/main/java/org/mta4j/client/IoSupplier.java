package org.mta4j.client;

import java.io.IOException;

/**
 * Supplies a value and may fail with an {@link IOException}, such as a fresh stream over a queued
 * message's content. Called at most once per use; each call should return a new value.
 *
 * @param <T> what it supplies
 */
@FunctionalInterface
public interface IoSupplier<T> {

  /** A new value; never {@code null}. */
  T get() throws IOException;
}
