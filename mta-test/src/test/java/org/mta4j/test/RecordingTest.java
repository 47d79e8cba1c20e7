package org.mta4j.test;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the kit records and how a test reads it; the per-class lifecycle. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecordingTest {

  @RegisterExtension static final MtaServer mail = MtaServer.create();

  @Test
  @Order(1)
  void aMultipartMessageIsParsedIntoHeadersTextHtmlAndAttachments() throws Exception {
    Session session = Session.getInstance(AngusMail.properties(mail, Duration.ofSeconds(5)));
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("shop@example.test", "The Shop"));
    m.setRecipient(Message.RecipientType.TO, new InternetAddress("bob@example.test"));
    m.setRecipient(Message.RecipientType.CC, new InternetAddress("carol@example.test"));
    m.setSubject("Ihre Rechnung für März", "UTF-8");
    m.setHeader("X-Order", "4711");
    MimeMultipart alternative = new MimeMultipart("alternative");
    MimeBodyPart text = new MimeBodyPart();
    text.setText("Grüße, your invoice is attached.", "UTF-8");
    MimeBodyPart html = new MimeBodyPart();
    html.setContent("<p>Grüße</p>", "text/html; charset=UTF-8");
    alternative.addBodyPart(text);
    alternative.addBodyPart(html);
    MimeBodyPart body = new MimeBodyPart();
    body.setContent(alternative);
    MimeBodyPart pdf = new MimeBodyPart();
    pdf.setContent(new byte[] {'%', 'P', 'D', 'F', 0, 1, 2, (byte) 0xff}, "application/pdf");
    pdf.setFileName("invoice.pdf");
    MimeMultipart mixed = new MimeMultipart("mixed");
    mixed.addBodyPart(body);
    mixed.addBodyPart(pdf);
    m.setContent(mixed);
    Transport.send(m);

    RecordedMessage r = mail.awaitMessages(1, Duration.ofSeconds(5)).get(0);
    assertThat(r.subject()).isEqualTo("Ihre Rechnung für März");
    assertThat(r.from()).containsExactly("shop@example.test");
    assertThat(r.to()).containsExactly("bob@example.test");
    assertThat(r.cc()).containsExactly("carol@example.test");
    assertThat(r.header("X-Order")).isEqualTo("4711");
    assertThat(r.headers("Received")).singleElement().asString().contains("mta-test.localhost");
    assertThat(r.text()).isEqualTo("Grüße, your invoice is attached.");
    assertThat(r.html()).isEqualTo("<p>Grüße</p>");
    assertThat(r.parts())
        .extracting(MessagePart::mimeType)
        .containsExactly("text/plain", "text/html", "application/pdf");
    assertThat(r.attachments())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.fileName()).isEqualTo("invoice.pdf");
              assertThat(a.body()).containsExactly('%', 'P', 'D', 'F', 0, 1, 2, (byte) 0xff);
            });
    assertThat(r.contentAsString()).startsWith("Received: from ");
    assertThat(r.recipients()).containsExactlyInAnyOrder("bob@example.test", "carol@example.test");
  }

  @Test
  @Order(2)
  void eachTestStartsWithNoMessagesNoFaultsAndAnEmptyTranscript() throws Exception {
    assertThat(mail.messages()).isEmpty();
    assertThat(mail.transcript()).isEmpty();
    assertThat(mail.connectionCount()).isZero();

    AngusMail.send(AngusMail.properties(mail, Duration.ofSeconds(5)), "bob@example.test");
    assertThat(mail.awaitMessages(1)).hasSize(1);
    assertThat(mail.transcript())
        .contains("1 C: MAIL FROM:<app@example.test>", "1 C: RCPT TO:<bob@example.test>")
        .anyMatch(l -> l.matches("1 C: \\[\\d+ bytes of content]"));
  }

  @Test
  @Order(3)
  void awaitingMessagesThatNeverComeFailsWithWhatDidHappen() {
    mail.on(Stage.RCPT).reply(550, "5.1.1", "No such user here");
    assertThatThrownBy(
            () ->
                AngusMail.send(AngusMail.properties(mail, Duration.ofSeconds(5)), "x@example.test"))
        .isInstanceOf(jakarta.mail.SendFailedException.class);

    assertThatThrownBy(() -> mail.awaitMessages(1, Duration.ofMillis(200)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("expected 1 message(s) within PT0.2S but got 0")
        .hasMessageContaining("S: 550 5.1.1 No such user here");
  }

  @Test
  @Order(4)
  void awaitReturnsAsSoonAsTheMessagesAreThere() throws Exception {
    Thread sender =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    for (int i = 0; i < 3; i++) {
                      AngusMail.send(
                          AngusMail.properties(mail, Duration.ofSeconds(5)), "bob@example.test");
                    }
                  } catch (jakarta.mail.MessagingException e) {
                    throw new IllegalStateException(e);
                  }
                });
    assertThat(mail.awaitMessages(3, Duration.ofSeconds(10))).hasSize(3);
    sender.join(Duration.ofSeconds(10));
  }

  @Test
  @Order(5)
  void customizeReachesTheUnderlyingBuilder() throws Exception {
    try (MtaServer small = MtaServer.builder().customize(b -> b.maxRecipients(1)).build().start()) {
      String result = PythonSmtplib.send(small.port(), "a@example.test,b@example.test");
      assertThat(result).contains("\"refused\": {\"b@example.test\": 452}");
      assertThat(small.awaitMessages(1).get(0).recipients()).containsExactly("a@example.test");
    }
  }

  @Test
  @Order(6)
  void badOptionsFailAtOnceAndNameTheValue() {
    assertThatThrownBy(() -> mail.on(Stage.RCPT).reply(250, "2.1.5", "Ok"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reply must be 4xx or 5xx: 250 2.1.5 Ok");
    assertThatThrownBy(() -> mail.on(Stage.RCPT).nth(0))
        .hasMessageContaining("nth must be >= 1: 0");
    assertThatThrownBy(() -> mail.on(Stage.MAIL).afterBytes(10))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> mail.on(Stage.CONTENT).reply(452, "4.3.1", "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("END_OF_DATA");
    assertThatThrownBy(() -> MtaServer.builder().requireAuth().build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(mail::certificatePem).isInstanceOf(IllegalStateException.class);
  }

  @Test
  @Order(7)
  void theSessionSeesTheClientsOwnAddressAndPortThroughTheKitsProxy() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), mail.port())) {
      socket.setSoTimeout(5000);
      BufferedReader in =
          new BufferedReader(new InputStreamReader(socket.getInputStream(), US_ASCII));
      OutputStream out = socket.getOutputStream();
      assertThat(reply(in)).startsWith("220 ");
      for (String[] step :
          new String[][] {
            {"EHLO client.test", "250 "},
            {"MAIL FROM:<a@client.test>", "250 "},
            {"RCPT TO:<bob@example.test>", "250 "},
            {"DATA", "354 "},
            {"Subject: where from\r\n\r\nhi\r\n.", "250 "},
            {"QUIT", "221 "}
          }) {
        out.write((step[0] + "\r\n").getBytes(US_ASCII));
        out.flush();
        assertThat(reply(in)).as(step[0]).startsWith(step[1]);
      }

      RecordedMessage r = mail.awaitMessages(1, Duration.ofSeconds(5)).get(0);
      assertThat(r.session().client().getPort()).isEqualTo(socket.getLocalPort());
      assertThat(r.session().proxy()).as("the kit's proxy, which sent a PROXY line").isNotNull();
      assertThat(mail.transcript()).noneMatch(line -> line.contains("PROXY"));
    }
  }

  /** The last line of a (possibly multi-line) reply. */
  private static String reply(BufferedReader in) throws IOException {
    String line = in.readLine();
    while (line != null && line.length() > 3 && line.charAt(3) == '-') {
      line = in.readLine();
    }
    return line;
  }
}
