package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.engine.EngineFixtures.AWAIT;
import static org.mta4j.engine.EngineFixtures.HOSTNAME;
import static org.mta4j.engine.EngineFixtures.LOCAL_DOMAIN;
import static org.mta4j.engine.EngineFixtures.SENDER;
import static org.mta4j.engine.EngineFixtures.message;
import static org.mta4j.engine.EngineFixtures.swaks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mta4j.Mta;
import org.mta4j.client.SmtpClient;
import org.mta4j.dns.DnsjavaResolver;
import org.mta4j.event.MtaEvent;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.mta4j.server.SessionInfo;
import org.mta4j.smtp.SmtpReply;
import org.mta4j.testing.KnotServer;
import org.mta4j.testing.RecordingHandler;

/**
 * The whole MTA on real peers: swaks submits to mta4j over SMTP, mta4j looks the recipient domain
 * up in a real Knot DNS on loopback and delivers to real aiosmtpd servers, one per MX host address
 * (127.0.0.2... and ::1) on one port that {@code mxPort} maps port 25 to. Bounces come back to the
 * local sender's mailbox. The queue manager runs in the background on the real clock.
 */
class MxDeliveryEndToEndTest {

  private static final String ZONE =
      """
      ; two equal preferences and a backup
      equal            MX 10 mx1.equal
      equal            MX 10 mx2.equal
      equal            MX 20 backup.equal
      mx1.equal        A  127.0.0.2
      mx2.equal        A  127.0.0.3
      backup.equal     A  127.0.0.4
      ; RFC 7505 null MX
      nullmx           MX 0 .
      ; MX -> CNAME -> A (loads because semantic checks are off)
      viacname         MX 10 alias.viacname
      alias.viacname   CNAME real.viacname
      real.viacname    A  127.0.0.5
      ; an MX host with only an IPv6 address
      v6only           MX 10 mx.v6only
      mx.v6only        AAAA ::1
      ; no MX, an A record: the implicit MX
      implicit         A  127.0.0.6
      ; the best MX has nothing listening on its address; the next one is used
      deadfirst        MX 10 dead.deadfirst
      deadfirst        MX 20 live.deadfirst
      dead.deadfirst   A  127.0.0.99
      live.deadfirst   A  127.0.0.7
      ; the best MX greets with 421 (RFC 5321 §5.1: try the next one)
      tempfirst        MX 10 busy.tempfirst
      tempfirst        MX 20 ok.tempfirst
      busy.tempfirst   A  127.0.0.8
      ok.tempfirst     A  127.0.0.9
      """;

  private static final List<String> MX_ADDRESSES =
      List.of(
          "127.0.0.2",
          "127.0.0.3",
          "127.0.0.4",
          "127.0.0.5",
          "127.0.0.6",
          "127.0.0.7",
          "127.0.0.9",
          "::1");

  @TempDir static Path dir;
  private static KnotServer knot;
  private static AiosmtpdFarm farm;
  private static Mta mta;
  private static Mta busyMx; // 127.0.0.8: answers every connection with 421
  private static final EngineFixtures.CountingPolicy busyMxSessions =
      new EngineFixtures.CountingPolicy() {
        @Override
        public Decision onConnect(SessionInfo session) {
          super.onConnect(session);
          return Decision.disconnect(SmtpReply.of(421, "4.3.2", "Too busy, try another MX"));
        }
      };
  private static final Mailbox mailbox = new Mailbox();
  private static final EngineFixtures.Events events = new EngineFixtures.Events();

  @BeforeAll
  static void start() throws IOException {
    farm = AiosmtpdFarm.start(MX_ADDRESSES);
    knot = KnotServer.start(dir, Map.of("e2e.test", KnotServer.zone(ZONE)));
    busyMx =
        Mta.builder()
            .hostname("busy.tempfirst.e2e.test")
            .listener(Listener.smtp("127.0.0.8", farm.port()))
            .policy(busyMxSessions)
            .messageHandler(new RecordingHandler())
            .shutdownGrace(Duration.ofSeconds(1))
            .build();
    busyMx.start();
    mta =
        Mta.builder()
            .hostname(HOSTNAME)
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains(LOCAL_DOMAIN)
            .localDelivery(mailbox)
            .mxPort(farm.port())
            .dnsResolver(
                DnsjavaResolver.builder()
                    .servers(knot.address())
                    .timeout(Duration.ofSeconds(2))
                    .build())
            .smtpClient(
                SmtpClient.builder()
                    .heloName(HOSTNAME)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build())
            .eventListener(events)
            .shutdownGrace(Duration.ofSeconds(2))
            .build();
    mta.start();
  }

  @AfterAll
  static void stop() {
    if (mta != null) {
      mta.close();
    }
    if (busyMx != null) {
      busyMx.close();
    }
    if (knot != null) {
      knot.close();
    }
    if (farm != null) {
      farm.close();
    }
  }

  /**
   * A body that tests transparency: lines starting with dots (dot-stuffed on both hops), 8-bit
   * UTF-8 and Latin-1 bytes, trailing white space, an empty line and a 998-octet line.
   */
  private static byte[] trickyBody(String token) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("token " + token + "\r\n").getBytes(UTF_8));
    body.writeBytes(".a line that began with a dot\r\n..two dots\r\n.\r\n".getBytes(UTF_8));
    body.writeBytes("Grüße aus Köln, ½ € ✓ 用户\r\n".getBytes(UTF_8));
    body.writeBytes("Latin-1, not UTF-8: caf\u00e9 \u00ff\r\n".getBytes(ISO_8859_1));
    body.writeBytes("trailing blanks   \t\r\n\r\n".getBytes(UTF_8));
    body.writeBytes(("x".repeat(998) + "\r\n").getBytes(UTF_8));
    body.writeBytes("last line\r\n".getBytes(UTF_8));
    return body.toByteArray();
  }

  /**
   * Writes a DATA file for swaks --no-data-fixup: headers, the dot-stuffed body, the final dot
   * without its CRLF (swaks appends one to what it sends).
   */
  private static Path dataFile(String to, String subject, byte[] body) throws IOException {
    String headers =
        "From: "
            + SENDER
            + "\r\nTo: "
            + to
            + "\r\nSubject: "
            + subject
            + "\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n\r\n";
    String stuffed =
        ("\r\n" + new String(body, ISO_8859_1)).replace("\r\n.", "\r\n..").substring(2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(headers.getBytes(UTF_8));
    out.writeBytes(stuffed.getBytes(ISO_8859_1));
    out.writeBytes(".".getBytes(UTF_8)); // swaks sends the file and then CRLF
    Path file = Files.createTempFile(dir, "data", ".eml");
    Files.write(file, out.toByteArray());
    return file;
  }

  @ParameterizedTest(name = "{0} -> {2} [{1}]")
  @CsvSource({
    "viacname.e2e.test,  127.0.0.5, alias.viacname.e2e.test",
    "v6only.e2e.test,    ::1,       mx.v6only.e2e.test",
    "implicit.e2e.test,  127.0.0.6, implicit.e2e.test",
    "deadfirst.e2e.test, 127.0.0.7, live.deadfirst.e2e.test",
    "tempfirst.e2e.test, 127.0.0.9, ok.tempfirst.e2e.test",
  })
  void mailFromSwaksCrossesMxToTheRightHostWithItsBodyIntact(
      String domain, String address, String mxHost) throws IOException {
    String token = UUID.randomUUID().toString();
    String to = "user@" + domain;
    byte[] body = trickyBody(token);

    String id =
        swaks(
            mta.port(),
            SENDER,
            to,
            "--no-data-fixup",
            "--data",
            "@" + dataFile(to, "via " + domain, body));

    Map.Entry<String, AiosmtpdFarm.Message> got =
        farm.awaitOne(m -> m.text().contains("token " + token), AWAIT);
    assertThat(got.getKey()).as("the server that got it").isEqualTo(address);
    AiosmtpdFarm.Message m = got.getValue();
    assertThat(m.mailFrom()).isEqualTo(SENDER);
    assertThat(m.rcptTos()).containsExactly(to);
    assertThat(m.helo()).isEqualTo(HOSTNAME);
    assertThat(m.body()).as("the body, byte for byte").isEqualTo(body);
    assertThat(m.text())
        .startsWith("Received: from client.remote.test ([127.0.0.1])")
        .contains("\r\nSubject: via " + domain + "\r\n");

    List<MtaEvent.Attempt> attempts = awaitAttempts(id, 1);
    assertThat(attempts)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.status()).isEqualTo(MtaEvent.Status.DELIVERED);
              assertThat(a.recipient()).isEqualTo(to);
              assertThat(a.relay()).startsWith(mxHost + "[").endsWith("]:" + farm.port());
              assertThat(a.dsnCode()).isEqualTo("2.0.0");
            });
    assertThat(mta.queue().show(id)).isEmpty();
    if (domain.startsWith("tempfirst.")) {
      assertThat(busyMxSessions.connects.get()).as("the 421 MX was tried first").isPositive();
    }
  }

  @Test
  void equalPreferenceMxHostsBothGetMailAndTheBackupNone() throws IOException {
    String token = UUID.randomUUID().toString();
    int n = 20;
    for (int i = 0; i < n; i++) {
      mta.submit(
          SENDER,
          List.of("user" + i + "@equal.e2e.test"),
          message("user" + i + "@equal.e2e.test", "equal " + i, "token " + token + "\r\n"));
    }
    Awaitility.await("all " + n + " messages at the MX hosts")
        .atMost(AWAIT)
        .until(() -> countWith(token, "127.0.0.2") + countWith(token, "127.0.0.3") >= n);

    // RFC 5321 §5.1: equal preferences in random order, so both get some (a false failure here
    // has probability 2 * 2^-20); the backup is never needed while they answer.
    assertThat(countWith(token, "127.0.0.2")).as("mx1").isPositive();
    assertThat(countWith(token, "127.0.0.3")).as("mx2").isPositive();
    assertThat(countWith(token, "127.0.0.4")).as("backup").isZero();
    assertThat(countWith(token, "127.0.0.2") + countWith(token, "127.0.0.3")).isEqualTo(n);
  }

  private static long countWith(String token, String address) {
    return farm.messages(address).stream().filter(m -> m.text().contains("token " + token)).count();
  }

  @ParameterizedTest(name = "{0} bounces with {1}")
  @CsvSource({
    "nullmx.e2e.test,      5.1.10",
    "nxdomain.e2e.test,    5.1.2",
  })
  void undeliverableDomainBouncesAtOnceToTheSendersMailbox(String domain, String status)
      throws IOException {
    String to = "user@" + domain;
    String id = swaks(mta.port(), SENDER, to, "--header", "Subject: to " + domain, "--body", "x");

    Mailbox.Delivered bounce =
        mailbox.await(d -> d.reversePath().isEmpty() && d.text().contains(to), AWAIT);
    assertThat(bounce.recipients()).containsExactly(SENDER);
    DeliveryStatusReport dsn = DeliveryStatusReport.parse(bounce.content());
    dsn.assertWellFormed(HOSTNAME).assertFailed(to, status);
    assertThat(dsn.returned()).contains("Subject: to " + domain);

    assertThat(events.attempts(id))
        .as("one attempt, no retry")
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.status()).isEqualTo(MtaEvent.Status.BOUNCED);
              assertThat(a.dsnCode()).isEqualTo(status);
              assertThat(a.relay()).isEqualTo("none");
            });
    assertThat(mta.queue().show(id)).isEmpty();
  }

  private static List<MtaEvent.Attempt> awaitAttempts(String id, int count) {
    return Awaitility.await("attempts of " + id)
        .atMost(AWAIT)
        .until(() -> events.attempts(id), a -> a.size() >= count);
  }
}
