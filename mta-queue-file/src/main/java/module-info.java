/** mta4j file queue: a durable {@code QueueStore} in a directory. */
module org.mta4j.queue.file {
  requires transitive org.mta4j.core;
  requires org.slf4j;

  exports org.mta4j.queue.file;
}
