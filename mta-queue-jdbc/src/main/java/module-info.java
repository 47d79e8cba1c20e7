/** A queue in the application's database: H2 embedded, PostgreSQL for several nodes. */
module org.mta4j.queue.jdbc {
  requires java.sql;
  requires transitive org.mta4j.core;
  requires org.slf4j;

  exports org.mta4j.queue.jdbc;
}
