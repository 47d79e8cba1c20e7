/** Runnable examples of mta4j. */
module org.mta4j.examples {
  requires org.mta4j.core;
}
