package org.mta4j.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.queue.jdbc.JdbcQueueStore;
import org.mta4j.testing.AiosmtpdServer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The same application with its queue in its own H2 DataSource ({@code mta.queue.type=jdbc}, {@code
 * spring.datasource.*}): mail sent through the JavaMailSender is queued in the database and
 * delivered, and the health shows both the database and the MTA.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "mta.server.port=0",
      "mta.queue.type=jdbc",
      "spring.datasource.url=jdbc:h2:mem:example;DB_CLOSE_DELAY=-1",
      "spring.datasource.username=sa"
    })
class JdbcQueueApplicationTest {

  private static final AiosmtpdServer SMARTHOST = AiosmtpdServer.builder().start();

  @DynamicPropertySource
  static void loopback(DynamicPropertyRegistry registry) {
    registry.add("mta.relay.host", () -> "127.0.0.1");
    registry.add("mta.relay.port", SMARTHOST::port);
    registry.add("mta.relay.tls", () -> "none");
  }

  @AfterAll
  static void stopSmarthost() {
    SMARTHOST.close();
  }

  @Autowired Mta mta;
  @Autowired WelcomeMailer mailer;
  @LocalServerPort int httpPort;

  @Test
  void mailIsQueuedInTheDatabaseAndDelivered() throws Exception {
    assertThat(mta.queue()).isInstanceOf(JdbcQueueStore.class);
    mailer.welcome("dbuser@example.net", "Grace");
    assertThat(SMARTHOST.awaitMessages(1, Duration.ofSeconds(30)).get(0).rcptTos())
        .containsExactly("dbuser@example.net");

    HttpResponse<String> health =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/actuator/health"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<String>read(health.body(), "$.components.db.status")).isEqualTo("UP");
    assertThat(JsonPath.<String>read(health.body(), "$.components.mta.status")).isEqualTo("UP");
  }
}
