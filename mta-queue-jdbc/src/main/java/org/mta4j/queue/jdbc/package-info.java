/**
 * A queue in the application's database: H2 embedded, PostgreSQL for several nodes.
 *
 * <p>Not built yet: see the project's issues. The module exists so that the reactor has the shape
 * of the design card from the first commit.
 */
package org.mta4j.queue.jdbc;
