/** DKIM signing and verification (RFC 6376, RFC 8463). */
module org.mta4j.dkim {
  requires org.mta4j.core;

// exports org.mta4j.dkim once it holds its first type (an empty package cannot be exported)
}
