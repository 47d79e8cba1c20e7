/** DKIM signing and verification (RFC 6376, RFC 8463) for mta4j. */
module org.mta4j.dkim {
  requires transitive org.mta4j.core;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;
  requires apache.mime4j.core;
  requires apache.mime4j.dom;

  exports org.mta4j.dkim;
}
