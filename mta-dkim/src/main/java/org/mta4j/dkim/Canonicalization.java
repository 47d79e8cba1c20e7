package org.mta4j.dkim;

/** A DKIM canonicalization algorithm (RFC 6376 §3.4), for the header or the body. */
public enum Canonicalization {
  /** Bytes as they are (only empty lines at the end of the body are ignored). */
  SIMPLE,
  /**
   * Tolerates the whitespace and header-name case changes that mail servers make on the way: the
   * default, and what most signers use.
   */
  RELAXED;

  /** The name used in the {@code c=} tag: {@code simple} or {@code relaxed}. */
  public String tag() {
    return this == SIMPLE ? "simple" : "relaxed";
  }
}
