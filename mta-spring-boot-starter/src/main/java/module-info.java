/**
 * Spring Boot auto-configuration of an embedded mta4j relay. Spring reaches the auto-configuration
 * and the property classes by reflection, so both packages are open.
 */
module org.mta4j.spring {
  requires transitive org.mta4j.core;
  requires static org.mta4j.queue.file;
  requires static org.mta4j.queue.jdbc;
  requires static org.mta4j.dkim;
  requires static java.sql;
  requires spring.boot;
  requires spring.boot.autoconfigure;
  requires spring.beans;
  requires spring.context;
  requires spring.core;
  requires static spring.context.support;
  requires static jakarta.mail;
  requires static spring.boot.actuator;
  requires static spring.boot.actuator.autoconfigure;
  requires static spring.boot.health;
  requires static micrometer.core;
  requires static org.jspecify;
  requires com.github.benmanes.caffeine;

  exports org.mta4j.spring;
  exports org.mta4j.spring.autoconfigure;

  opens org.mta4j.spring;
  opens org.mta4j.spring.autoconfigure;
}
