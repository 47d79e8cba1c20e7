package org.mta4j.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.mta4j.Mta;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.Peers;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole application as a user runs it, configured by {@code application.yml} alone (the test
 * only moves ports, the queue directory and the smarthost onto loopback): Python's smtplib sends
 * over SMTP, {@link WelcomeMailer} sends through the autowired JavaMailSender, both reach a real
 * SMTP server (aiosmtpd), and Actuator shows it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExampleApplicationTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);
  private static final AiosmtpdServer SMARTHOST = AiosmtpdServer.builder().start();

  @DynamicPropertySource
  static void loopback(DynamicPropertyRegistry registry) throws Exception {
    Path queue = Files.createTempDirectory("mta4j-example-queue");
    registry.add("mta.server.port", () -> 0);
    registry.add("mta.queue.file.directory", queue::toString);
    registry.add("mta.relay.host", () -> "127.0.0.1");
    registry.add("mta.relay.port", SMARTHOST::port);
    registry.add("mta.relay.tls", () -> "none"); // aiosmtpd here has no certificate
  }

  @AfterAll
  static void stopSmarthost() {
    SMARTHOST.close();
  }

  @Autowired Mta mta;
  @Autowired WelcomeMailer mailer;
  @Autowired Inbox inbox;
  @LocalServerPort int httpPort;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  @Order(1)
  void mailFromAnSmtpClientAndFromTheJavaMailSenderReachesTheSmarthost() throws Exception {
    String script =
        """
        import smtplib, sys
        from email.message import EmailMessage
        m = EmailMessage()
        m["From"] = "client@elsewhere.test"
        m["To"] = "remote@example.net"
        m["Subject"] = "over SMTP"
        m.set_content("sent by smtplib")
        with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
            s.send_message(m)
        """;
    Peers.run(
            AWAIT,
            List.of(
                Peers.python3With("smtplib").toString(),
                "-c",
                script,
                Integer.toString(mta.port())))
        .assertSuccess();
    mailer.welcome("newuser@example.net", "Ada");

    List<AiosmtpdServer.Message> got = SMARTHOST.awaitMessages(2, AWAIT);
    assertThat(got)
        .extracting(m -> m.rcptTos().get(0))
        .containsExactlyInAnyOrder("remote@example.net", "newuser@example.net");
    assertThat(got)
        .extracting(m -> new String(m.content(), StandardCharsets.UTF_8))
        .anySatisfy(c -> assertThat(c).contains("Subject: over SMTP").contains("mx.example.test"))
        .anySatisfy(c -> assertThat(c).contains("Subject: Welcome, Ada"));
  }

  @Test
  @Order(2)
  void mailForTheLocalDomainGoesToTheApplicationsDeliveryHook() throws Exception {
    String script =
        """
        import smtplib, sys
        with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
            s.sendmail("client@elsewhere.test", ["inbox@example.test"],
                       "Subject: for the app\\r\\n\\r\\nhello app\\r\\n")
        """;
    Peers.run(
            AWAIT,
            List.of(
                Peers.python3With("smtplib").toString(),
                "-c",
                script,
                Integer.toString(mta.port())))
        .assertSuccess();
    await().atMost(AWAIT).until(() -> !inbox.received().isEmpty());
    assertThat(inbox.received().get(0).recipients()).containsExactly("inbox@example.test");
    assertThat(inbox.received().get(0).content()).contains("Subject: for the app");
  }

  @Test
  @Order(3)
  void actuatorShowsHealthMetricsAndTheQueue() throws Exception {
    String health = get("/actuator/health");
    assertThat(JsonPath.<String>read(health, "$.status")).isEqualTo("UP");
    assertThat(JsonPath.<String>read(health, "$.components.mta.status")).isEqualTo("UP");
    assertThat(JsonPath.<List<Integer>>read(health, "$.components.mta.details.ports"))
        .containsExactly(mta.port());

    await()
        .atMost(AWAIT)
        .untilAsserted(
            () -> {
              String delivered = get("/actuator/metrics/mta.deliveries?tag=outcome:delivered");
              assertThat(JsonPath.<Double>read(delivered, "$.measurements[0].value"))
                  .isEqualTo(3.0);
            });
    String received = get("/actuator/metrics/mta.messages.received");
    assertThat(JsonPath.<Double>read(received, "$.measurements[0].value")).isEqualTo(2.0);
    String queued = get("/actuator/metrics/mta.messages.queued");
    assertThat(JsonPath.<Double>read(queued, "$.measurements[0].value")).isEqualTo(3.0);
    String domains = get("/actuator/metrics/mta.deliveries");
    assertThat(
            JsonPath.<List<String>>read(domains, "$.availableTags[?(@.tag=='domain')].values[*]"))
        .contains("example.net", "example.test");
    String depth = get("/actuator/metrics/mta.queue.depth");
    assertThat(JsonPath.<Double>read(depth, "$.measurements[0].value")).isZero();

    String queue = get("/actuator/mtaqueue");
    assertThat(JsonPath.<Integer>read(queue, "$.count")).isZero();
  }

  @Test
  @Order(4)
  void queueEndpointTakesItsActionsOverHttp() throws Exception {
    assertThat(send("GET", "/actuator/mtaqueue/NOSUCHID", null).statusCode()).isEqualTo(404);
    HttpResponse<String> hold =
        send("POST", "/actuator/mtaqueue/NOSUCHID", "{\"action\":\"hold\"}");
    assertThat(hold.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<Boolean>read(hold.body(), "$.done")).isFalse();
    assertThat(send("POST", "/actuator/mtaqueue/NOSUCHID", "{\"action\":\"explode\"}").statusCode())
        .isEqualTo(400);
    HttpResponse<String> delete = send("DELETE", "/actuator/mtaqueue/NOSUCHID", null);
    assertThat(JsonPath.<String>read(delete.body(), "$.action")).isEqualTo("delete");
    HttpResponse<String> flush = send("POST", "/actuator/mtaqueue", "{}");
    assertThat(flush.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<Integer>read(flush.body(), "$.flushed")).isZero();
  }

  private HttpResponse<String> send(String method, String path, String json) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String get(String path) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("%s: %s", path, response.body()).isEqualTo(200);
    return response.body();
  }
}
