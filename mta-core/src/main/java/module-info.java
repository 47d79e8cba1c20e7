/** mta4j core: the SMTP server, the pipeline and its SPIs. */
module org.mta4j.core {
  requires org.slf4j;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;
  requires org.dnsjava;
  requires apache.mime4j.core;
  requires static jakarta.mail;
  requires com.github.benmanes.caffeine;

  exports org.mta4j;
  exports org.mta4j.server;
  exports org.mta4j.smtp;
  exports org.mta4j.dns;
  exports org.mta4j.client;
  exports org.mta4j.queue;
  exports org.mta4j.intake;
  exports org.mta4j.routing;
  exports org.mta4j.delivery;
  exports org.mta4j.event;
}
