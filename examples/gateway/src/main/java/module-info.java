/** The inbound gateway example. */
module org.mta4j.examples.gateway {
  requires org.mta4j.core;
  requires org.mta4j.queue.file;

  exports org.mta4j.examples.gateway;
}
