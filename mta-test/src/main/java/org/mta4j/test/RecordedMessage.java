package org.mta4j.test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.dom.Body;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.dom.address.Address;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.address.MailboxList;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.util.MimeUtil;
import org.mta4j.server.Envelope;
import org.mta4j.server.SessionInfo;

/**
 * One message the test server accepted: its SMTP envelope, the session it came on, and its content
 * exactly as received (with the server's {@code Received:} header first), parsed with mime4j on
 * first use.
 *
 * <p>Every accessor returns plain values (strings, lists, records), so AssertJ works directly:
 *
 * <pre>{@code
 * RecordedMessage m = mail.awaitMessages(1, Duration.ofSeconds(5)).get(0);
 * assertThat(m.recipients()).containsExactly("bob@example.test");
 * assertThat(m.subject()).isEqualTo("Reset your password");
 * assertThat(m.text()).contains("https://app.example.test/reset?token=");
 * assertThat(m.attachments()).extracting(MessagePart::fileName).containsExactly("invoice.pdf");
 * }</pre>
 *
 * <p>Immutable and thread-safe. Malformed MIME never throws: mime4j parses leniently, as a mail
 * client would.
 */
public final class RecordedMessage {
  private final Envelope envelope;
  private final byte[] content;
  private volatile Message parsed;

  RecordedMessage(Envelope envelope, byte[] content) {
    this.envelope = envelope;
    this.content = content;
  }

  /** The SMTP envelope as the server saw it. */
  public Envelope envelope() {
    return envelope;
  }

  /** The MAIL FROM address; the empty string for {@code <>}. */
  public String reversePath() {
    return envelope.reversePath();
  }

  /** The accepted RCPT TO addresses, in order. */
  public List<String> recipients() {
    return envelope.recipients().stream().map(r -> r.address()).toList();
  }

  /** The session: client, HELO name, TLS state, AUTH identity. */
  public SessionInfo session() {
    return envelope.session();
  }

  /** The content as received: RFC 5322 bytes with CRLF line endings, dot-unstuffed. */
  public byte[] content() {
    return content.clone();
  }

  /** {@link #content()} decoded as UTF-8 (for quick looks and {@code contains} assertions). */
  public String contentAsString() {
    return new String(content, StandardCharsets.UTF_8);
  }

  /** The parsed message (mime4j DOM), for anything the shortcuts below do not cover. */
  public Message mime() {
    Message m = parsed;
    if (m == null) {
      DefaultMessageBuilder builder = new DefaultMessageBuilder();
      builder.setMimeEntityConfig(MimeConfig.PERMISSIVE);
      builder.setDecodeMonitor(DecodeMonitor.SILENT);
      try (InputStream in = new ByteArrayInputStream(content)) {
        m = builder.parseMessage(in);
      } catch (IOException e) {
        // a byte array cannot fail to read: this is mime4j giving up on the structure
        throw new IllegalStateException("mime4j cannot parse the message: " + e.getMessage(), e);
      }
      parsed = m;
    }
    return m;
  }

  /** The Subject, with RFC 2047 encoded words decoded; {@code null} if there is none. */
  public String subject() {
    return mime().getSubject();
  }

  /** The first value of header {@code name}, unfolded and decoded; {@code null} if absent. */
  public String header(String name) {
    List<String> all = headers(name);
    return all.isEmpty() ? null : all.get(0);
  }

  /** Every value of header {@code name}, in order, unfolded and decoded. */
  public List<String> headers(String name) {
    List<String> values = new ArrayList<>();
    for (Field f : mime().getHeader().getFields(name)) {
      values.add(
          DecoderUtil.decodeEncodedWords(MimeUtil.unfold(f.getBody()), DecodeMonitor.SILENT)
              .strip());
    }
    return values;
  }

  /** The addresses in the From header. */
  public List<String> from() {
    return addresses(mime().getFrom());
  }

  /** The addresses in the To header. */
  public List<String> to() {
    return addresses(mime().getTo());
  }

  /** The addresses in the Cc header. */
  public List<String> cc() {
    return addresses(mime().getCc());
  }

  /** The leaf parts in document order (nested multiparts flattened); one for a simple message. */
  public List<MessagePart> parts() {
    List<MessagePart> parts = new ArrayList<>();
    collect(mime(), parts);
    return parts;
  }

  /** The first {@code text/plain} part that is not an attachment, decoded; {@code null} if none. */
  public String text() {
    return firstText("text/plain");
  }

  /** The first {@code text/html} part that is not an attachment, decoded; {@code null} if none. */
  public String html() {
    return firstText("text/html");
  }

  /** The parts that are attachments. */
  public List<MessagePart> attachments() {
    return parts().stream().filter(MessagePart::attachment).toList();
  }

  private String firstText(String type) {
    for (MessagePart p : parts()) {
      if (!p.attachment() && p.mimeType().equals(type)) {
        return p.text();
      }
    }
    return null;
  }

  private static void collect(Entity entity, List<MessagePart> parts) {
    Body body = entity.getBody();
    if (body instanceof Multipart multipart) {
      for (Entity child : multipart.getBodyParts()) {
        collect(child, parts);
      }
      return;
    }
    byte[] bytes;
    if (body instanceof SingleBody single) {
      try (InputStream in = single.getInputStream()) {
        bytes = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else if (body instanceof Message nested) {
      // message/rfc822: one part holding the whole nested message
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      try {
        new org.apache.james.mime4j.message.DefaultMessageWriter().writeMessage(nested, out);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      bytes = out.toByteArray();
    } else {
      bytes = new byte[0];
    }
    String fileName = entity.getFilename();
    boolean attachment =
        "attachment".equalsIgnoreCase(entity.getDispositionType()) || fileName != null;
    String type = entity.getMimeType();
    parts.add(
        new MessagePart(
            type == null ? "text/plain" : type.toLowerCase(Locale.ROOT),
            type != null && type.startsWith("text/") ? entity.getCharset() : null,
            fileName,
            attachment,
            bytes));
  }

  private static List<String> addresses(AddressList list) {
    return list == null ? List.of() : addresses(list.flatten());
  }

  private static List<String> addresses(MailboxList list) {
    if (list == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Address a : list) {
      if (a instanceof Mailbox m) {
        out.add(m.getAddress());
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "RecordedMessage["
        + envelope.id()
        + " from=<"
        + envelope.reversePath()
        + "> to="
        + recipients()
        + ", "
        + content.length
        + " bytes]";
  }
}
