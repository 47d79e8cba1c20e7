package org.mta4j.queue;

/** Where a message stands in the queue, after Postfix's queue names. */
public enum QueueState {
  /** Accepted, never tried. */
  INCOMING,
  /** Claimed by a delivery node right now. */
  ACTIVE,
  /** Tried, waiting for its next attempt. */
  DEFERRED,
  /** On hold until released. */
  HOLD
}
