package org.mta4j.examples.signup;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

/**
 * An imaginary application: people sign up and get a welcome mail with a confirmation link, sent
 * straight to the company's mail server with Jakarta Mail. What it does when the mail server
 * misbehaves is the point of its test suite:
 *
 * <ul>
 *   <li>a permanent refusal (5xx) means the address is bad: the signup is marked so and the user is
 *       asked to correct it;
 *   <li>a temporary refusal (4xx), a dropped connection or a timeout means "later": the mail waits
 *       in the service's outbox and {@link #retryOutbox()} sends it again.
 * </ul>
 *
 * <p>Not thread-safe (a demo).
 */
public final class SignupService {

  /** How the server is reached. */
  public record MailSettings(
      String host, int port, Duration timeout, boolean startTls, String username, String password) {

    /** Plain SMTP without AUTH. */
    public static MailSettings plain(String host, int port, Duration timeout) {
      return new MailSettings(host, port, timeout, false, null, null);
    }
  }

  /** What became of a signup's welcome mail. */
  public enum WelcomeMail {
    SENT,
    WAITING_IN_OUTBOX,
    ADDRESS_REJECTED
  }

  private final Session session;
  private final MailSettings settings;
  private final List<MimeMessage> outbox = new ArrayList<>();

  /** {@code extra} holds further Jakarta Mail properties (e.g. a trusted socket factory). */
  public SignupService(MailSettings settings, Properties extra) {
    this.settings = settings;
    Properties p = new Properties();
    p.put("mail.smtp.host", settings.host());
    p.put("mail.smtp.port", Integer.toString(settings.port()));
    String millis = Long.toString(settings.timeout().toMillis());
    p.put("mail.smtp.connectiontimeout", millis);
    p.put("mail.smtp.timeout", millis);
    p.put("mail.smtp.writetimeout", millis);
    if (settings.startTls()) {
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    if (settings.username() != null) {
      p.put("mail.smtp.auth", "true");
    }
    p.putAll(extra);
    this.session = Session.getInstance(p);
  }

  /** Signs up {@code email} and sends the welcome mail. */
  public WelcomeMail signUp(String email) throws MessagingException {
    String token = UUID.randomUUID().toString();
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("Example App <welcome@app.example.test>"));
    m.setRecipient(Message.RecipientType.TO, new InternetAddress(email));
    m.setSubject("Welcome! Please confirm your address", "UTF-8");
    m.setText(
        "Hello,\n\nconfirm your address: https://app.example.test/confirm?token="
            + token
            + "\n\nThe Example App team\n",
        "UTF-8");
    m.setHeader("X-Signup-Token", token);
    return send(m);
  }

  /** Sends again what waits in the outbox; returns how many went out. */
  public int retryOutbox() throws MessagingException {
    List<MimeMessage> waiting = new ArrayList<>(outbox);
    outbox.clear();
    int sent = 0;
    for (MimeMessage m : waiting) {
      if (send(m) == WelcomeMail.SENT) {
        sent++;
      }
    }
    return sent;
  }

  /** Mails waiting for a retry. */
  public int outboxSize() {
    return outbox.size();
  }

  private WelcomeMail send(MimeMessage m) throws MessagingException {
    try (Transport t = session.getTransport("smtp")) {
      t.connect(settings.username(), settings.password());
      t.sendMessage(m, m.getAllRecipients());
      return WelcomeMail.SENT;
    } catch (MessagingException e) {
      if (permanent(e)) {
        return WelcomeMail.ADDRESS_REJECTED;
      }
      outbox.add(m); // 4xx, connection trouble, timeout: try again later
      return WelcomeMail.WAITING_IN_OUTBOX;
    }
  }

  /** True when the server said 5xx for the recipient or the message (RFC 5321 §4.2.1). */
  private static boolean permanent(MessagingException e) {
    for (Exception x = e; x != null; ) {
      int code =
          switch (x) {
            case SMTPAddressFailedException a -> a.getReturnCode();
            case SMTPSendFailedException s -> s.getReturnCode();
            default -> 0;
          };
      if (code >= 500) {
        return true;
      }
      x = x instanceof MessagingException me ? me.getNextException() : null;
    }
    return e instanceof SendFailedException sf
        && sf.getInvalidAddresses() != null
        && sf.getInvalidAddresses().length > 0
        && sf.getNextException() == null;
  }
}
