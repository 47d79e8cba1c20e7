package org.mta4j.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Angus Mail, a real Jakarta Mail client, driven into each fault the kit scripts. */
class FaultsWithAngusMailTest {

  @RegisterExtension static final MtaServer mail = MtaServer.create();

  private static Properties client() {
    return AngusMail.properties(mail, Duration.ofSeconds(5));
  }

  @Test
  void withoutFaultsTheMessageIsRecorded() throws Exception {
    AngusMail.send(client(), "bob@example.test", "carol@example.test");

    RecordedMessage m = mail.awaitMessages(1, Duration.ofSeconds(5)).get(0);
    assertThat(m.reversePath()).isEqualTo("app@example.test");
    assertThat(m.recipients()).containsExactly("bob@example.test", "carol@example.test");
    assertThat(m.subject()).isEqualTo("Hello from Angus Mail");
    assertThat(mail.connectionCount()).isEqualTo(1);
  }

  @Test
  void greeting421IsAConnectFailure() {
    mail.on(Stage.CONNECT).reply(421, "4.3.2", "Service not available, try later");

    assertThatThrownBy(() -> AngusMail.send(client(), "bob@example.test"))
        .isInstanceOf(MessagingException.class)
        .hasMessageContaining("421");
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void secondRcptRejectedWith550FailsTheWholeSendByDefault() {
    mail.on(Stage.RCPT).nth(2).reply(550, "5.1.1", "No such user here");

    assertThatThrownBy(() -> AngusMail.send(client(), "bob@example.test", "carol@example.test"))
        .isInstanceOfSatisfying(
            SendFailedException.class,
            e -> {
              assertThat(e.getInvalidAddresses()).containsExactly(address("carol@example.test"));
              assertThat(e.getValidUnsentAddresses()).containsExactly(address("bob@example.test"));
            });
    assertThat(mail.messages()).isEmpty();
    assertThat(mail.transcript()).anyMatch(l -> l.endsWith("S: 550 5.1.1 No such user here"));
  }

  @Test
  void secondRcptRejectedWithSendPartialDeliversToTheFirst() {
    mail.on(Stage.RCPT).nth(2).reply(550, "5.1.1", "No such user here");
    Properties p = client();
    p.put("mail.smtp.sendpartial", "true");

    assertThatThrownBy(() -> AngusMail.send(p, "bob@example.test", "carol@example.test"))
        .isInstanceOf(SendFailedException.class);
    assertThat(mail.awaitMessages(1).get(0).recipients()).containsExactly("bob@example.test");
  }

  @Test
  void endOfData452OnceThenTheRetrySucceeds() throws Exception {
    mail.on(Stage.END_OF_DATA).times(1).reply(452, "4.3.1", "Insufficient system storage");

    assertThatThrownBy(() -> AngusMail.send(client(), "bob@example.test"))
        .isInstanceOfSatisfying(
            SMTPSendFailedException.class, e -> assertThat(e.getReturnCode()).isEqualTo(452));
    assertThat(mail.messages()).isEmpty();

    AngusMail.send(client(), "bob@example.test");
    assertThat(mail.awaitMessages(1)).hasSize(1);
  }

  @Test
  void dataCommand452KeepsTheConnectionUsable() throws Exception {
    mail.on(Stage.DATA).nth(1).reply(452, "4.3.1", "Insufficient system storage");
    Session session = Session.getInstance(client());

    try (Transport transport = session.getTransport("smtp")) {
      transport.connect();
      var first = AngusMail.message(session, "bob@example.test");
      assertThatThrownBy(() -> transport.sendMessage(first, first.getAllRecipients()))
          .isInstanceOfSatisfying(
              SMTPSendFailedException.class, e -> assertThat(e.getReturnCode()).isEqualTo(452));
      // the same connection: the server's transaction was reset as the client believes
      var second = AngusMail.message(session, "carol@example.test");
      transport.sendMessage(second, second.getAllRecipients());
    }

    assertThat(mail.awaitMessages(1))
        .singleElement()
        .extracting(RecordedMessage::recipients)
        .isEqualTo(java.util.List.of("carol@example.test"));
    assertThat(mail.connectionCount()).isEqualTo(1);
  }

  @Test
  void disconnectInTheMiddleOfTheContentFailsTheSendAndNothingIsRecorded() {
    mail.on(Stage.CONTENT).afterBytes(500).disconnect();

    assertThatThrownBy(() -> AngusMail.send(client(), "bob@example.test"))
        .isInstanceOf(MessagingException.class);
    assertThat(mail.messages()).isEmpty();
    assertThat(mail.transcript())
        .anyMatch(l -> l.contains("disconnected after 500 bytes of content"));
  }

  @Test
  void disconnectAtRcptWithoutAReply() {
    mail.on(Stage.RCPT).disconnect();

    assertThatThrownBy(() -> AngusMail.send(client(), "bob@example.test"))
        .isInstanceOf(MessagingException.class);
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void stallAfterTheFinalDotTriggersTheClientsReadTimeout() {
    mail.on(Stage.END_OF_DATA).stall();
    // the stall lasts until the test ends: only the client's timeout can end the send
    Properties p = AngusMail.properties(mail, Duration.ofSeconds(2));

    long start = System.nanoTime();
    assertThatThrownBy(() -> AngusMail.send(p, "bob@example.test"))
        .isInstanceOf(MessagingException.class)
        .satisfies(e -> assertThat(AngusMail.cause(e, SocketTimeoutException.class)).isNotNull());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    assertThat(mail.transcript()).contains("1 C: .").noneMatch(l -> l.contains(" S: 250 2.0.0"));
  }

  @Test
  void stallInTheMiddleOfTheContentTriggersTheClientsTimeout() {
    mail.on(Stage.CONTENT).afterBytes(100).stall();
    Properties p = AngusMail.properties(mail, Duration.ofSeconds(2));

    assertThatThrownBy(() -> AngusMail.send(p, "bob@example.test"))
        .isInstanceOf(MessagingException.class)
        .satisfies(e -> assertThat(AngusMail.cause(e, SocketTimeoutException.class)).isNotNull());
    assertThat(mail.messages()).isEmpty();
    assertThat(mail.transcript()).anyMatch(l -> l.contains("stalled after 100 bytes of content"));
  }

  @Test
  void slowMailReplyDelaysButDelivers() throws Exception {
    mail.on(Stage.MAIL).delay(Duration.ofMillis(300));

    long start = System.nanoTime();
    AngusMail.send(client(), "bob@example.test");

    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(mail.awaitMessages(1)).hasSize(1);
  }

  @Test
  void slowServerBeyondTheClientsTimeoutFails() {
    mail.on(Stage.HELO).delay(Duration.ofSeconds(3));
    Properties p = AngusMail.properties(mail, Duration.ofMillis(300));

    assertThatThrownBy(() -> AngusMail.send(p, "bob@example.test"))
        .isInstanceOf(MessagingException.class)
        .satisfies(e -> assertThat(AngusMail.cause(e, SocketTimeoutException.class)).isNotNull());
  }

  private static InternetAddress address(String a) {
    try {
      return new InternetAddress(a);
    } catch (jakarta.mail.internet.AddressException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
