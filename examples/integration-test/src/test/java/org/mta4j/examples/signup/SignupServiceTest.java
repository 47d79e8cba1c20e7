package org.mta4j.examples.signup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mta4j.examples.signup.SignupService.MailSettings;
import org.mta4j.examples.signup.SignupService.WelcomeMail;
import org.mta4j.test.MtaServer;
import org.mta4j.test.RecordedMessage;
import org.mta4j.test.Stage;

/**
 * The signup service's test suite: a real SMTP conversation with an in-JVM mta4j from the testing
 * kit, and what the service does when that server refuses, drops the connection or stalls.
 */
class SignupServiceTest {

  @RegisterExtension static final MtaServer mail = MtaServer.create();

  private static SignupService service(Duration timeout) {
    return new SignupService(
        MailSettings.plain(mail.host(), mail.port(), timeout), new Properties());
  }

  private static SignupService service() {
    return service(Duration.ofSeconds(5));
  }

  @Test
  void signUpSendsAWelcomeMailWithAConfirmationLink() throws Exception {
    assertThat(service().signUp("bob@example.test")).isEqualTo(WelcomeMail.SENT);

    RecordedMessage m = mail.awaitMessages(1, Duration.ofSeconds(5)).get(0);
    assertThat(m.reversePath()).isEqualTo("welcome@app.example.test");
    assertThat(m.recipients()).containsExactly("bob@example.test");
    assertThat(m.subject()).isEqualTo("Welcome! Please confirm your address");
    assertThat(m.text())
        .contains("https://app.example.test/confirm?token=" + m.header("X-Signup-Token"));
  }

  @Test
  void anAddressTheServerRefusesIsMarkedRejectedAndNotRetried() throws Exception {
    mail.on(Stage.RCPT).reply(550, "5.1.1", "No such user here");
    SignupService service = service();

    assertThat(service.signUp("nobody@example.test")).isEqualTo(WelcomeMail.ADDRESS_REJECTED);
    assertThat(service.outboxSize()).isZero();
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void aFullServer452KeepsTheMailForARetryThatSucceeds() throws Exception {
    mail.on(Stage.END_OF_DATA).times(1).reply(452, "4.3.1", "Insufficient system storage");
    SignupService service = service();

    assertThat(service.signUp("bob@example.test")).isEqualTo(WelcomeMail.WAITING_IN_OUTBOX);
    assertThat(mail.messages()).isEmpty();

    assertThat(service.retryOutbox()).isEqualTo(1);
    assertThat(mail.awaitMessages(1).get(0).recipients()).containsExactly("bob@example.test");
  }

  @Test
  void a452ToTheDataCommandIsTemporaryToo() throws Exception {
    mail.on(Stage.DATA).times(1).reply(452, "4.3.1", "Insufficient system storage");
    SignupService service = service();

    assertThat(service.signUp("bob@example.test")).isEqualTo(WelcomeMail.WAITING_IN_OUTBOX);
    assertThat(service.retryOutbox()).isEqualTo(1);
    assertThat(mail.awaitMessages(1)).hasSize(1);
  }

  @Test
  void aConnectionDroppedInTheMiddleOfTheMailIsRetriedAndSentOnce() throws Exception {
    mail.on(Stage.CONTENT).times(1).afterBytes(200).disconnect();
    SignupService service = service();

    assertThat(service.signUp("bob@example.test")).isEqualTo(WelcomeMail.WAITING_IN_OUTBOX);
    assertThat(service.retryOutbox()).isEqualTo(1);
    assertThat(mail.awaitMessages(1)).hasSize(1);
    assertThat(mail.connectionCount()).isEqualTo(2);
  }

  @Test
  void aStalledServerCostsTheTimeoutNotAHungSignup() throws Exception {
    mail.on(Stage.END_OF_DATA).stall();
    SignupService service = service(Duration.ofSeconds(2)); // the stall outlasts any timeout

    long start = System.nanoTime();
    assertThat(service.signUp("bob@example.test")).isEqualTo(WelcomeMail.WAITING_IN_OUTBOX);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    assertThat(mail.transcript()).contains("1 C: ."); // it timed out waiting for the final reply
  }

  @Test
  void aServerThatIsDownForMaintenanceIsRetriedLater() throws Exception {
    mail.on(Stage.CONNECT).times(2).reply(421, "4.3.2", "Down for maintenance");
    SignupService service = service();

    assertThat(service.signUp("bob@example.test")).isEqualTo(WelcomeMail.WAITING_IN_OUTBOX);
    assertThat(service.retryOutbox()).isZero(); // still down
    assertThat(service.retryOutbox()).isEqualTo(1);
    assertThat(mail.awaitMessages(1)).hasSize(1);
  }
}
