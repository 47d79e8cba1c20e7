/** The example relay: the README's main job. */
module org.mta4j.examples {
  requires org.mta4j.core;
  requires org.mta4j.queue.file;
}
