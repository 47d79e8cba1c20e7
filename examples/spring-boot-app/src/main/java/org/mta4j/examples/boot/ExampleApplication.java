package org.mta4j.examples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application that is its own mail relay, with no MTA code: the mta4j starter reads
 * {@code application.yml} ({@code mta.*}), listens for SMTP, queues and delivers, and backs the
 * {@code JavaMailSender} that {@link WelcomeMailer} autowires. Health, metrics and the queue are
 * under {@code /actuator}.
 *
 * <pre>
 * ./mvnw -pl examples/spring-boot-app -am install -DskipTests
 * ./mvnw -pl examples/spring-boot-app exec:java
 * swaks --server 127.0.0.1:2525 --to someone@example.net
 * curl localhost:8080/actuator/health/mta
 * curl localhost:8080/actuator/mtaqueue
 * </pre>
 */
@SpringBootApplication
public class ExampleApplication {

  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }
}
