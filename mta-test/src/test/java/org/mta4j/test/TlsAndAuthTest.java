package org.mta4j.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS required and AUTH required, with Angus Mail and Python's smtplib. The server is an instance
 * field, so the extension runs a fresh one for each test.
 */
class TlsAndAuthTest {

  @RegisterExtension
  final MtaServer mail =
      MtaServer.builder().requireTls().auth("app", "s3cret").requireAuth().build();

  private Properties angus() {
    Properties p = AngusMail.properties(mail, Duration.ofSeconds(5));
    p.put("mail.smtp.ssl.socketFactory", mail.clientSslContext().getSocketFactory());
    p.put("mail.smtp.ssl.checkserveridentity", "true");
    return p;
  }

  @Test
  void angusWithoutStartTlsGets530() {
    assertThatThrownBy(() -> AngusMail.send(angus(), "bob@example.test"))
        .isInstanceOfSatisfying(
            SMTPSendFailedException.class, e -> assertThat(e.getReturnCode()).isEqualTo(530));
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void angusWithStartTlsButNoAuthGets530() {
    Properties p = angus();
    p.put("mail.smtp.starttls.enable", "true");
    p.put("mail.smtp.starttls.required", "true");

    assertThatThrownBy(() -> AngusMail.send(p, "bob@example.test"))
        .isInstanceOfSatisfying(
            SMTPSendFailedException.class,
            e -> assertThat(e.getMessage()).contains("Authentication required"));
  }

  @Test
  void angusWithStartTlsAndAuthDelivers() throws Exception {
    Properties p = angus();
    p.put("mail.smtp.starttls.enable", "true");
    p.put("mail.smtp.starttls.required", "true");
    p.put("mail.smtp.auth", "true");
    p.put("mail.smtp.user", "app");
    jakarta.mail.Session session = jakarta.mail.Session.getInstance(p);
    try (jakarta.mail.Transport t = session.getTransport("smtp")) {
      t.connect("app", "s3cret");
      var m = AngusMail.message(session, "bob@example.test");
      t.sendMessage(m, m.getAllRecipients());
    }

    RecordedMessage m = mail.awaitMessages(1).get(0);
    assertThat(m.session().isTls()).isTrue();
    assertThat(m.session().authIdentity()).isEqualTo("app");
  }

  @Test
  void angusWithAWrongPasswordIsRefused() {
    Properties p = angus();
    p.put("mail.smtp.starttls.enable", "true");
    p.put("mail.smtp.auth", "true");
    jakarta.mail.Session session = jakarta.mail.Session.getInstance(p);

    assertThatThrownBy(
            () -> {
              try (jakarta.mail.Transport t = session.getTransport("smtp")) {
                t.connect("app", "wrong");
              }
            })
        .isInstanceOf(jakarta.mail.AuthenticationFailedException.class);
  }

  @Test
  void pythonWithoutStartTlsGets530() {
    assertThat(PythonSmtplib.send(mail.port(), "bob@example.test"))
        .isEqualTo("{\"code\": 530, \"outcome\": \"SMTPSenderRefused\"}");
  }

  @Test
  void pythonWithStartTlsAndLoginDelivers() {
    String result = sendOverTlsAs("s3cret");

    assertThat(result).isEqualTo("{\"outcome\": \"sent\"}");
    RecordedMessage m = mail.awaitMessages(1).get(0);
    assertThat(m.session().tls().protocol()).startsWith("TLSv1.");
    assertThat(m.session().authIdentity()).isEqualTo("app");
  }

  @Test
  void pythonWithStartTlsAndAWrongPasswordIsRefused() {
    String result = sendOverTlsAs("wrong");

    assertThat(result).contains("\"outcome\": \"SMTPAuthenticationError\"").contains("535");
  }

  @Test
  void faultsAtPolicyStagesStillWorkInsideTls() {
    mail.on(Stage.RCPT).reply(550, "5.1.1", "No such user here");

    String result = sendOverTlsAs("s3cret");

    assertThat(result)
        .isEqualTo(
            "{\"outcome\": \"SMTPRecipientsRefused\", \"refused\": {\"bob@example.test\": 550}}");
  }

  /** Python's smtplib: STARTTLS trusting the kit's certificate, then AUTH LOGIN as app. */
  private String sendOverTlsAs(String password) {
    return PythonSmtplib.send(
        mail.port(),
        "bob@example.test",
        "--starttls",
        mail.certificatePem().toString(),
        "--login",
        "app",
        password);
  }
}
