/**
 * The mta4j testing kit: a JUnit 5 extension that runs an in-JVM mta4j on a loopback port, records
 * every message it accepts and injects faults. See {@link org.mta4j.test.MtaServer}.
 */
module org.mta4j.test {
  requires transitive org.mta4j.core;
  requires transitive org.junit.jupiter.api;
  requires transitive apache.mime4j.dom;
  requires apache.mime4j.core;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;
  requires org.slf4j;

  exports org.mta4j.test;
}
