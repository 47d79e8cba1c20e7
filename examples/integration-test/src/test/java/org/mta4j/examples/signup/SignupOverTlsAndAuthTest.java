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

/** The service as configured in production: STARTTLS and AUTH, against a server requiring both. */
class SignupOverTlsAndAuthTest {

  @RegisterExtension
  static final MtaServer mail =
      MtaServer.builder().requireTls().auth("signup-app", "s3cret").requireAuth().build();

  private static Properties trustTheTestServer() {
    Properties p = new Properties();
    p.put("mail.smtp.ssl.socketFactory", mail.clientSslContext().getSocketFactory());
    p.put("mail.smtp.ssl.checkserveridentity", "true");
    return p;
  }

  @Test
  void theWelcomeMailGoesOverTlsWithTheAppsCredentials() throws Exception {
    SignupService service =
        new SignupService(
            new MailSettings(
                mail.host(), mail.port(), Duration.ofSeconds(5), true, "signup-app", "s3cret"),
            trustTheTestServer());

    assertThat(service.signUp("bob@example.test")).isEqualTo(WelcomeMail.SENT);

    RecordedMessage m = mail.awaitMessages(1).get(0);
    assertThat(m.session().isTls()).isTrue();
    assertThat(m.session().authIdentity()).isEqualTo("signup-app");
  }

  @Test
  void aMisconfiguredServiceWithoutTlsIsRefusedWith530AndKeepsTheMail() throws Exception {
    SignupService service =
        new SignupService(
            MailSettings.plain(mail.host(), mail.port(), Duration.ofSeconds(5)), new Properties());

    // 530 is a 5xx: the service takes it for a bad address. The test shows the behaviour, and
    // that the server's requirement is what stops the mail.
    assertThat(service.signUp("bob@example.test")).isEqualTo(WelcomeMail.ADDRESS_REJECTED);
    assertThat(mail.transcript()).anyMatch(l -> l.contains("530 5.7.0 Must issue a STARTTLS"));
    assertThat(mail.messages()).isEmpty();
  }
}
