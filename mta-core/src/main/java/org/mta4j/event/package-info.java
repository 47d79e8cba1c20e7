/** Events of the pipeline (queued, delivery attempts, bounces, expiry) for metrics and logging. */
package org.mta4j.event;
