/** A queue in the application's database: H2 embedded, PostgreSQL for several nodes. */
module org.mta4j.queue.jdbc {
  requires org.mta4j.core;

// exports org.mta4j.queue.jdbc once it holds its first type (an empty package cannot be exported)
}
