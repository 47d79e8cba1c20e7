package org.mta4j.spring;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.mta4j.Mta;
import org.springframework.mail.MailException;
import org.springframework.mail.MailParseException;
import org.springframework.mail.MailPreparationException;
import org.springframework.mail.MailSendException;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.MimeMailMessage;

/**
 * Spring's {@link JavaMailSender} on an embedded {@link Mta}: {@code send} puts each message into
 * the MTA's queue in-process ({@link Mta#submit(MimeMessage)}: no SMTP round trip) and returns once
 * it is durable there; the MTA delivers it afterwards, with retries. The envelope sender is the
 * message's From, the recipients its To, Cc and Bcc.
 *
 * <p>Thread-safe. A message that cannot be queued makes {@code send} throw a {@link
 * MailSendException} listing it; the other messages of the same call are queued.
 */
public final class MtaJavaMailSender implements JavaMailSender {

  private final Mta mta;
  private final Session session = Session.getInstance(new Properties());

  public MtaJavaMailSender(Mta mta) {
    this.mta = Objects.requireNonNull(mta, "mta");
  }

  @Override
  public MimeMessage createMimeMessage() {
    return new MimeMessage(session);
  }

  @Override
  public MimeMessage createMimeMessage(InputStream content) throws MailException {
    try {
      return new MimeMessage(session, content);
    } catch (MessagingException e) {
      throw new MailParseException("cannot parse the message", e);
    }
  }

  @Override
  public void send(MimeMessage... messages) throws MailException {
    Map<Object, Exception> failed = new LinkedHashMap<>();
    for (MimeMessage message : messages) {
      try {
        if (message.getSentDate() == null) {
          message.setSentDate(new Date());
        }
        mta.submit(message);
      } catch (MessagingException | IOException | RuntimeException e) {
        failed.put(message, e);
      }
    }
    if (!failed.isEmpty()) {
      throw new MailSendException(failed);
    }
  }

  @Override
  public void send(SimpleMailMessage... messages) throws MailException {
    MimeMessage[] mime = new MimeMessage[messages.length];
    for (int i = 0; i < messages.length; i++) {
      mime[i] = createMimeMessage();
      try {
        messages[i].copyTo(new MimeMailMessage(mime[i]));
      } catch (RuntimeException e) {
        throw new MailPreparationException("cannot prepare " + messages[i], e);
      }
    }
    send(mime);
  }
}
