/**
 * The JDBC queue's internals: the dialect per database, the versioned schema scripts and their
 * runner, the recipients column's format and the chunked content stream. Not exported.
 */
package org.mta4j.queue.jdbc.internal;
