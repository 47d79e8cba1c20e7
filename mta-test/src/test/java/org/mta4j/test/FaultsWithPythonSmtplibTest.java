package org.mta4j.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Python's smtplib, a real client outside the JVM, driven into each fault the kit scripts. */
class FaultsWithPythonSmtplibTest {

  @RegisterExtension static final MtaServer mail = MtaServer.create();

  private static String send(String recipients, String... options) {
    return PythonSmtplib.send(mail.port(), recipients, options);
  }

  @Test
  void withoutFaultsTheMessageIsRecorded() {
    assertThat(send("bob@example.test")).isEqualTo("{\"outcome\": \"sent\"}");

    RecordedMessage m = mail.awaitMessages(1, Duration.ofSeconds(5)).get(0);
    assertThat(m.subject()).isEqualTo("from smtplib");
    assertThat(m.text()).startsWith("Hello from Python's smtplib.");
  }

  @Test
  void greeting421IsSmtpConnectError() {
    mail.on(Stage.CONNECT).reply(421, "4.3.2", "Service not available");

    assertThat(send("bob@example.test"))
        .isEqualTo("{\"code\": 421, \"outcome\": \"SMTPConnectError\"}");
  }

  @Test
  void secondRcptRejectedIsReportedAndTheRestIsSent() {
    mail.on(Stage.RCPT).nth(2).reply(550, "5.1.1", "No such user here");

    assertThat(send("bob@example.test,carol@example.test"))
        .isEqualTo("{\"outcome\": \"sent\", \"refused\": {\"carol@example.test\": 550}}");
    assertThat(mail.awaitMessages(1).get(0).recipients()).containsExactly("bob@example.test");
  }

  @Test
  void everyRcptRejectedIsSmtpRecipientsRefused() {
    mail.on(Stage.RCPT).reply(450, "4.2.1", "Mailbox busy");

    assertThat(send("bob@example.test"))
        .isEqualTo(
            "{\"outcome\": \"SMTPRecipientsRefused\", \"refused\": {\"bob@example.test\": 450}}");
  }

  @Test
  void dataCommand452IsSmtpDataError() {
    mail.on(Stage.DATA).reply(452, "4.3.1", "Insufficient system storage");

    assertThat(send("bob@example.test"))
        .isEqualTo("{\"code\": 452, \"outcome\": \"SMTPDataError\"}");
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void endOfData554IsSmtpDataError() {
    mail.on(Stage.END_OF_DATA).reply(554, "5.7.1", "Message rejected as spam");

    assertThat(send("bob@example.test"))
        .isEqualTo("{\"code\": 554, \"outcome\": \"SMTPDataError\"}");
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void mail421ClosesTheConnection() {
    mail.on(Stage.MAIL).reply(421, "4.7.0", "Too many errors, closing");

    assertThat(send("bob@example.test"))
        .isEqualTo("{\"code\": 421, \"outcome\": \"SMTPSenderRefused\"}");
    assertThat(mail.transcript())
        .anyMatch(l -> l.endsWith("S: 421 4.7.0 Too many errors, closing"));
  }

  @Test
  void disconnectInTheMiddleOfTheContentIsServerDisconnected() {
    mail.on(Stage.CONTENT).afterBytes(1000).disconnect();

    assertThat(send("bob@example.test"))
        .matches("\\{\"detail\": \".*\", \"outcome\": \"(SMTPServerDisconnected|OSError)\"}");
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void stallAtTheGreetingIsATimeout() {
    mail.on(Stage.CONNECT).stall();

    // smtplib turns its socket timeout into SMTPServerDisconnected
    assertThat(send("bob@example.test", "--timeout", "0.5"))
        .isEqualTo(
            "{\"detail\": \"Connection unexpectedly closed: timed out\","
                + " \"outcome\": \"SMTPServerDisconnected\"}");
  }

  @Test
  void stallAfterTheFinalDotIsATimeout() {
    mail.on(Stage.END_OF_DATA).stall();

    // smtplib turns its socket timeout into SMTPServerDisconnected
    assertThat(send("bob@example.test", "--timeout", "0.5"))
        .isEqualTo(
            "{\"detail\": \"Connection unexpectedly closed: timed out\","
                + " \"outcome\": \"SMTPServerDisconnected\"}");
  }
}
