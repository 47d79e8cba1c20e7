/** Spring Boot auto-configuration of an embedded mta4j relay. */
module org.mta4j.spring {
  requires org.mta4j.core;

// exports org.mta4j.spring once it holds its first type (an empty package cannot be exported)
}
