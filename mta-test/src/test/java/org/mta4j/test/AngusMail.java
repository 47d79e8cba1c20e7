package org.mta4j.test;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Properties;

/** A real client for the kit's tests: Angus Mail (Jakarta Mail) pointed at a test server. */
final class AngusMail {
  private AngusMail() {}

  static Properties properties(MtaServer server, Duration timeout) {
    Properties p = new Properties();
    p.put("mail.smtp.host", server.host());
    p.put("mail.smtp.port", Integer.toString(server.port()));
    p.put("mail.smtp.connectiontimeout", Long.toString(timeout.toMillis()));
    p.put("mail.smtp.timeout", Long.toString(timeout.toMillis()));
    p.put("mail.smtp.writetimeout", Long.toString(timeout.toMillis()));
    return p;
  }

  static MimeMessage message(Session session, String... to) throws MessagingException {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("app@example.test"));
    for (String rcpt : to) {
      m.addRecipient(Message.RecipientType.TO, new InternetAddress(rcpt));
    }
    m.setSubject("Hello from Angus Mail");
    m.setText("Some content.\n".repeat(200));
    return m;
  }

  /** Sends one message to {@code to} with these properties. */
  static void send(Properties p, String... to) throws MessagingException {
    Session session = Session.getInstance(p);
    Transport.send(message(session, to));
  }

  /** The first cause of type {@code type} in the chain of {@code e} (Jakarta Mail nests them). */
  static <T extends Throwable> T cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = nextCause(t)) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static Throwable nextCause(Throwable t) {
    if (t instanceof MessagingException me && me.getNextException() != null) {
      return me.getNextException();
    }
    return t.getCause();
  }
}
