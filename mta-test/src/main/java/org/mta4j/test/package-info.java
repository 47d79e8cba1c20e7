/**
 * The mta4j testing kit: {@link org.mta4j.test.MtaServer}, a JUnit 5 extension that runs an in-JVM
 * mta4j on a loopback port for the code under test, records each accepted message ({@link
 * org.mta4j.test.RecordedMessage}, MIME parsed with mime4j) and injects faults per SMTP stage
 * ({@link org.mta4j.test.Stage}, {@link org.mta4j.test.StageFaults}): scripted RFC 5321 replies,
 * disconnects, stalls, delays, TLS (RFC 3207) and AUTH (RFC 4954) required.
 *
 * <p>It sits outside the pipeline: the server's message handler replaces the queue, so nothing is
 * ever delivered onward.
 */
package org.mta4j.test;
