package org.mta4j.examples.boot;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.springframework.mail.MailPreparationException;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.MimeMessageHelper;
import org.springframework.stereotype.Service;

/**
 * Ordinary application code: it autowires Spring's {@link JavaMailSender} and knows nothing of
 * mta4j. With the starter on the class path, {@code send} queues the message in-process and
 * returns; the embedded MTA delivers it.
 */
@Service
public class WelcomeMailer {

  private final JavaMailSender mailSender;

  public WelcomeMailer(JavaMailSender mailSender) {
    this.mailSender = mailSender;
  }

  /** Sends a welcome message to a new user. */
  public void welcome(String address, String name) {
    MimeMessage message = mailSender.createMimeMessage();
    try {
      MimeMessageHelper helper = new MimeMessageHelper(message, "UTF-8");
      helper.setFrom("welcome@example.test");
      helper.setTo(address);
      helper.setSubject("Welcome, " + name);
      helper.setText("Hello " + name + ",\n\nyour account is ready.\n");
    } catch (MessagingException e) {
      throw new MailPreparationException("cannot build the welcome message", e);
    }
    mailSender.send(message);
  }
}
