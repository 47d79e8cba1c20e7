package org.mta4j;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code submit(MimeMessage)}, kept apart so that Jakarta Mail is needed only by applications that
 * call it (an optional dependency).
 */
final class JakartaSubmission {
  private JakartaSubmission() {}

  static String submit(Mta mta, MimeMessage message) throws IOException {
    try {
      message.saveChanges();
      Address[] from = message.getFrom();
      String sender = from != null && from.length > 0 ? address(from[0]) : "";
      Address[] all = message.getAllRecipients();
      List<String> to = new ArrayList<>();
      if (all != null) {
        for (Address a : all) {
          to.add(address(a));
        }
      }
      // Bcc is an envelope matter: it must not travel in the content
      message.setRecipients(jakarta.mail.Message.RecipientType.BCC, (Address[]) null);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      message.writeTo(new CrlfOutputStream(out));
      return mta.submit(sender, to, out.toByteArray());
    } catch (MessagingException e) {
      throw new IOException("cannot read the message: " + e.getMessage(), e);
    }
  }

  private static String address(Address a) {
    return a instanceof InternetAddress ia ? ia.getAddress() : a.toString();
  }

  /** Jakarta Mail writes CRLF already; this guards against a bare LF from a custom part. */
  private static final class CrlfOutputStream extends java.io.FilterOutputStream {
    private int last = -1;

    CrlfOutputStream(java.io.OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      if (b == '\n' && last != '\r') {
        out.write('\r');
      }
      out.write(b);
      last = b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int start = off;
      for (int i = off; i < off + len; i++) {
        if (b[i] == '\n' && (i > off ? b[i - 1] : last) != '\r') {
          out.write(b, start, i - start); // the run so far, then the missing CR
          out.write('\r');
          start = i;
        }
      }
      out.write(b, start, off + len - start);
      if (len > 0) {
        last = b[off + len - 1];
      }
    }
  }
}
