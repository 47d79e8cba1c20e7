package org.mta4j.interop;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mta4j.interop.RunningMta.AWAIT;

import jakarta.activation.DataHandler;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import javax.net.SocketFactory;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.junit.jupiter.api.Test;
import org.mta4j.server.Authenticator;
import org.mta4j.server.Listener;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.RecordingHandler.Received;
import org.mta4j.testing.TestCertificates;

/**
 * The server against Angus Mail 2.0.5 (Jakarta Mail), the client most Java applications send with:
 * a multipart message with a binary attachment, STARTTLS with certificate and host name
 * verification, AUTH, 8BITMIME, and several messages on one connection.
 *
 * <p>Angus gets a {@code TCP_NODELAY} socket factory: without it Nagle's algorithm and delayed ACKs
 * on its last small write cost ~40 ms per message, an artefact of the client.
 */
class AngusMailInteropTest {

  private static final String USER = "alice@example.test";
  private static final String PASSWORD = "s3cret-pässword";
  private static final Authenticator ONE_USER =
      (username, password, session) -> USER.equals(username) && PASSWORD.equals(password);

  /** Plain sockets with Nagle's algorithm off. */
  static class NoDelaySocketFactory extends SocketFactory {
    @Override
    public Socket createSocket() throws SocketException {
      Socket socket = new Socket();
      socket.setTcpNoDelay(true);
      return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return connected(createSocket(), new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws IOException {
      Socket socket = createSocket();
      socket.bind(new InetSocketAddress(local, localPort));
      return connected(socket, new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return connected(createSocket(), new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
        throws IOException {
      Socket socket = createSocket();
      socket.bind(new InetSocketAddress(local, localPort));
      return connected(socket, new InetSocketAddress(host, port));
    }

    private static Socket connected(Socket socket, SocketAddress to) throws IOException {
      socket.connect(to);
      return socket;
    }
  }

  /** Plain sockets with Nagle's algorithm off that keep a copy of everything the client wrote. */
  static final class RecordingSocketFactory extends NoDelaySocketFactory {
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    @Override
    public Socket createSocket() throws SocketException {
      Socket socket =
          new Socket() {
            @Override
            public OutputStream getOutputStream() throws IOException {
              return new TeeOutputStream(super.getOutputStream(), written);
            }
          };
      socket.setTcpNoDelay(true);
      return socket;
    }

    /** What the client wrote so far, as ISO-8859-1 text. */
    String written() {
      synchronized (written) {
        return written.toString(ISO_8859_1);
      }
    }
  }

  private static final class TeeOutputStream extends FilterOutputStream {
    private final ByteArrayOutputStream copy;

    TeeOutputStream(OutputStream out, ByteArrayOutputStream copy) {
      super(out);
      this.copy = copy;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      synchronized (copy) {
        copy.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      synchronized (copy) {
        copy.write(b, off, len);
      }
    }
  }

  private static Properties plain(RunningMta server) {
    Properties props = new Properties();
    props.put("mail.smtp.host", "127.0.0.1");
    props.put("mail.smtp.port", Integer.toString(server.port()));
    props.put("mail.smtp.localhost", "angus.client.test");
    props.put("mail.smtp.connectiontimeout", "10000");
    props.put("mail.smtp.timeout", "10000");
    props.put("mail.smtp.writetimeout", "10000");
    props.put("mail.smtp.socketFactory", new NoDelaySocketFactory());
    return props;
  }

  /** STARTTLS required, verified against the test certificate, host name checked. */
  private static Properties starttls(RunningMta server) {
    Properties props = plain(server);
    props.put("mail.smtp.starttls.enable", "true");
    props.put("mail.smtp.starttls.required", "true");
    props.put("mail.smtp.ssl.socketFactory", TestCertificates.clientSocketFactory());
    props.put("mail.smtp.ssl.checkserveridentity", "true");
    return props;
  }

  private static byte[] attachmentBytes() {
    byte[] bytes = new byte[50_000];
    new Random(42).nextBytes(bytes);
    return bytes;
  }

  private static MimeMessage multipart(Session session, String to, byte[] attachment)
      throws MessagingException {
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress("sender@client.test"));
    message.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
    message.setSubject("Angus multipart", "UTF-8");
    MimeBodyPart text = new MimeBodyPart();
    text.setText("Grüße aus Jakarta Mail ✓\n.a line starting with a dot\n", "UTF-8");
    MimeBodyPart file = new MimeBodyPart();
    file.setDataHandler(
        new DataHandler(new ByteArrayDataSource(attachment, "application/octet-stream")));
    file.setFileName("random.bin");
    file.setDisposition(Part.ATTACHMENT);
    MimeMultipart parts = new MimeMultipart();
    parts.addBodyPart(text);
    parts.addBodyPart(file);
    message.setContent(parts);
    return message;
  }

  /** Parses what the server received (after its Received header) back into a MIME message. */
  private static MimeMessage parse(Received received) throws MessagingException {
    return new MimeMessage(
        Session.getInstance(new Properties()),
        new ByteArrayInputStream(received.contentAfterReceivedHeader()));
  }

  private static void assertSameMultipart(Received received, byte[] attachment)
      throws MessagingException, IOException {
    MimeMessage parsed = parse(received);
    assertThat(parsed.getSubject()).isEqualTo("Angus multipart");
    Multipart parts = (Multipart) parsed.getContent();
    assertThat(parts.getCount()).isEqualTo(2);
    BodyPart text = parts.getBodyPart(0);
    // Angus sends text in canonical form (CRLF line ends, RFC 2049 §4); it decodes as such
    assertThat((String) text.getContent())
        .isEqualTo("Grüße aus Jakarta Mail ✓\r\n.a line starting with a dot\r\n");
    BodyPart file = parts.getBodyPart(1);
    assertThat(file.getFileName()).isEqualTo("random.bin");
    assertThat(file.getDisposition()).isEqualTo(Part.ATTACHMENT);
    assertThat(file.getInputStream().readAllBytes()).isEqualTo(attachment);
  }

  @Test
  void multipartWithAttachmentArrivesIntactOverPlainSmtp() throws Exception {
    byte[] attachment = attachmentBytes();
    try (RunningMta server = RunningMta.start(b -> {})) {
      Session session = Session.getInstance(plain(server));

      Transport.send(multipart(session, "bob@example.test", attachment));

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(received.envelope().reversePath()).isEqualTo("sender@client.test");
      assertThat(received.envelope().recipients())
          .containsExactly(Recipient.of("bob@example.test"));
      assertThat(received.envelope().session().heloName()).isEqualTo("angus.client.test");
      assertSameMultipart(received, attachment);
    }
  }

  @Test
  void eightBitTextArrivesUnchangedAndBody8bitmimeIsKeptOnTheEnvelope() throws Exception {
    try (RunningMta server = RunningMta.start(b -> {})) {
      Properties props = plain(server);
      // allow8bitmime turns the text part into raw 8bit; Angus does not add BODY=8BITMIME to
      // MAIL by itself, so an application that wants it declared says so with mailextension.
      props.put("mail.smtp.allow8bitmime", "true");
      props.put("mail.smtp.mailextension", "BODY=8BITMIME");
      Session session = Session.getInstance(props);
      MimeMessage message = new MimeMessage(session);
      message.setFrom(new InternetAddress("sender@client.test"));
      message.setRecipient(Message.RecipientType.TO, new InternetAddress("bob@example.test"));
      message.setSubject("8bit");
      message.setText("Grüße, ½ € ✓\n", "UTF-8");

      Transport.send(message);

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(received.envelope().parameters().body())
          .isEqualTo(MailParameters.Body.EIGHT_BIT_MIME);
      assertThat(received.contentAsString())
          .contains("Content-Transfer-Encoding: 8bit\r\n")
          .endsWith("\r\n\r\nGrüße, ½ € ✓\r\n");
    }
  }

  @Test
  void starttlsWithVerifiedCertificateCarriesTheMultipart() throws Exception {
    byte[] attachment = attachmentBytes();
    try (RunningMta server = RunningMta.start(b -> b.tls(TestCertificates.serverContext()))) {
      Session session = Session.getInstance(starttls(server));

      Transport.send(multipart(session, "bob@example.test", attachment));

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(received.envelope().session().isTls()).isTrue();
      assertThat(received.contentAsString())
          .contains("with ESMTPS id " + received.envelope().id())
          .contains("(using " + received.envelope().session().tls().protocol() + " with cipher ");
      assertSameMultipart(received, attachment);
    }
  }

  @Test
  void implicitTlsListenerServesAngusSslEnable() throws Exception {
    byte[] attachment = attachmentBytes();
    try (RunningMta server =
        RunningMta.start(
            Listener.implicitTls("127.0.0.1", 0), b -> b.tls(TestCertificates.serverContext()))) {
      Properties props = plain(server);
      props.remove("mail.smtp.socketFactory");
      props.put("mail.smtp.ssl.enable", "true");
      props.put("mail.smtp.ssl.socketFactory", TestCertificates.clientSocketFactory());
      props.put("mail.smtp.ssl.checkserveridentity", "true");
      Session session = Session.getInstance(props);

      Transport.send(multipart(session, "bob@example.test", attachment));

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(received.envelope().session().isTls()).isTrue();
      assertThat(received.contentAsString()).contains("with ESMTPS id ");
      assertSameMultipart(received, attachment);
    }
  }

  @Test
  void authOverStarttlsLetsTheUserRelayAndAWrongPasswordIsRefused() throws Exception {
    byte[] attachment = attachmentBytes();
    try (RunningMta server =
        RunningMta.start(
            b ->
                b.tls(TestCertificates.serverContext())
                    .authenticator(ONE_USER)
                    .trustedNetworks())) {
      Properties props = starttls(server);
      props.put("mail.smtp.auth", "true");
      Session session = Session.getInstance(props);

      assertThatThrownBy(
              () ->
                  Transport.send(
                      multipart(session, "carol@elsewhere.test", attachment), USER, "wrong"))
          .isInstanceOf(AuthenticationFailedException.class)
          .hasMessageContaining("535 5.7.8");
      Transport.send(multipart(session, "carol@elsewhere.test", attachment), USER, PASSWORD);

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(server.handler().messages()).hasSize(1);
      assertThat(received.envelope().session().authIdentity()).isEqualTo(USER);
      assertThat(received.envelope().recipients())
          .containsExactly(Recipient.of("carol@elsewhere.test"));
      assertThat(received.contentAsString()).contains("with ESMTPSA id ");
      assertSameMultipart(received, attachment);
    }
  }

  @Test
  void largeAttachmentOverStarttlsArrivesIntact() throws Exception {
    // 3 MB of random bytes, 4 MB as base64: past the 1 MiB the server holds in memory, so the
    // content goes through its temporary file.
    byte[] attachment = new byte[3_000_000];
    new Random(7).nextBytes(attachment);
    try (RunningMta server = RunningMta.start(b -> b.tls(TestCertificates.serverContext()))) {
      Session session = Session.getInstance(starttls(server));

      Transport.send(multipart(session, "bob@example.test", attachment));

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(received.content().length).isGreaterThan(4_000_000);
      assertSameMultipart(received, attachment);
    }
  }

  @Test
  void chunksizeMakesAngusSendBdatChunksWhoseBytesArriveExactly() throws Exception {
    byte[] attachment = attachmentBytes();
    try (RunningMta server = RunningMta.start(b -> {})) {
      Properties props = plain(server);
      RecordingSocketFactory sockets = new RecordingSocketFactory();
      props.put("mail.smtp.socketFactory", sockets);
      props.put("mail.smtp.chunksize", "4096"); // BDAT (RFC 3030) when the server offers CHUNKING
      Session session = Session.getInstance(props);

      Transport.send(multipart(session, "bob@example.test", attachment));

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      String wire = sockets.written();
      assertThat(wire).contains("\r\nBDAT 4096\r\n").doesNotContain("\r\nDATA\r\n");
      // The server keeps exactly the octets of the chunks: no dot-unstuffing in BDAT.
      assertThat(received.contentAfterReceivedHeader()).isEqualTo(bdatContent(wire));
      MimeMessage parsed = parse(received);
      Multipart parts = (Multipart) parsed.getContent();
      assertThat(parts.getBodyPart(1).getInputStream().readAllBytes()).isEqualTo(attachment);
      // Angus 2.0.5 dot-stuffs BDAT content as if it were DATA (eclipse-ee4j/angus-mail#209), so
      // the leading-dot line arrives with the dot Angus added; a fixed Angus sends it unchanged.
      assertThat((String) parts.getBodyPart(0).getContent())
          .isIn(
              "Grüße aus Jakarta Mail ✓\r\n.a line starting with a dot\r\n",
              "Grüße aus Jakarta Mail ✓\r\n..a line starting with a dot\r\n");
    }
  }

  /** Concatenates the chunks of the BDAT commands in a client's transcript (ISO-8859-1). */
  private static byte[] bdatContent(String wire) {
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    int i = wire.indexOf("\r\nBDAT ") + 2;
    assertThat(i).as("a BDAT command in %s", wire).isGreaterThan(1);
    while (true) {
      int end = wire.indexOf("\r\n", i);
      String[] command = wire.substring(i, end).split(" ");
      assertThat(command[0]).isEqualTo("BDAT");
      int size = Integer.parseInt(command[1]);
      content.writeBytes(wire.substring(end + 2, end + 2 + size).getBytes(ISO_8859_1));
      i = end + 2 + size;
      if (command.length == 3 && command[2].equals("LAST")) {
        return content.toByteArray();
      }
    }
  }

  @Test
  void dsnNotifyAndRetArriveOnTheEnvelope() throws Exception {
    try (RunningMta server = RunningMta.start(b -> {})) {
      Session session = Session.getInstance(plain(server));
      SMTPMessage message = new SMTPMessage(session);
      message.setFrom(new InternetAddress("sender@client.test"));
      message.setRecipient(Message.RecipientType.TO, new InternetAddress("bob@example.test"));
      message.setSubject("dsn");
      message.setText("with DSN parameters\n", "UTF-8");
      message.setNotifyOptions(SMTPMessage.NOTIFY_SUCCESS | SMTPMessage.NOTIFY_FAILURE);
      message.setReturnOption(SMTPMessage.RETURN_HDRS);

      Transport.send(message);

      Received received = server.handler().awaitMessages(1, AWAIT).get(0);
      assertThat(received.envelope().parameters().ret()).isEqualTo(MailParameters.Ret.HDRS);
      assertThat(received.envelope().recipients())
          .containsExactly(
              new Recipient(
                  "bob@example.test",
                  Set.of(Recipient.Notify.SUCCESS, Recipient.Notify.FAILURE),
                  null));
    }
  }

  @Test
  void severalMessagesOnOneConnectionArriveInOrderWithDistinctIds() throws Exception {
    int count = 25;
    try (RunningMta server = RunningMta.start(b -> b.tls(TestCertificates.serverContext()))) {
      Session session = Session.getInstance(starttls(server));
      try (Transport transport = session.getTransport("smtp")) {
        transport.connect();
        for (int i = 0; i < count; i++) {
          MimeMessage message = new MimeMessage(session);
          message.setFrom(new InternetAddress("sender@client.test"));
          message.setRecipient(Message.RecipientType.TO, new InternetAddress("bob@example.test"));
          message.setSubject("message " + i);
          message.setText("body of message " + i + "\n", "UTF-8");
          message.saveChanges();
          transport.sendMessage(message, message.getAllRecipients());
        }
      }

      List<Received> received = server.handler().awaitMessages(count, AWAIT);
      assertThat(received).hasSize(count);
      assertThat(received)
          .extracting(r -> r.envelope().session().sessionId())
          .containsOnly(received.get(0).envelope().session().sessionId());
      assertThat(received).extracting(r -> r.envelope().id()).doesNotHaveDuplicates();
      for (int i = 0; i < count; i++) {
        MimeMessage parsed = parse(received.get(i));
        assertThat(parsed.getSubject()).isEqualTo("message " + i);
        assertThat(new String(parsed.getInputStream().readAllBytes(), UTF_8))
            .isEqualTo("body of message " + i + "\r\n");
      }
    }
  }
}
