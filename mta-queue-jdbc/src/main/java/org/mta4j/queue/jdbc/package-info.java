/**
 * The queue in the application's database: {@link org.mta4j.queue.jdbc.JdbcQueueStore}, a {@link
 * org.mta4j.queue.QueueStore} on a {@link javax.sql.DataSource} (H2 embedded, PostgreSQL for
 * several nodes). It sits where every store sits in the pipeline: intake writes to it, the queue
 * manager claims from it with leases. Dialects and schema scripts are in {@code internal}.
 */
package org.mta4j.queue.jdbc;
