/** A durable file queue: fsync before acknowledgement, group commit, crash recovery. */
module org.mta4j.queue.file {
  requires org.mta4j.core;

  // exports org.mta4j.queue.file once it holds its first type (an empty package cannot be exported)
}
