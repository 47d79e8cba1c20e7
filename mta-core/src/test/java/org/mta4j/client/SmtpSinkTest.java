package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mta4j.client.ClientFixtures.AWAIT;
import static org.mta4j.client.ClientFixtures.client;
import static org.mta4j.client.ClientFixtures.clientBuilder;
import static org.mta4j.client.ClientFixtures.connected;
import static org.mta4j.client.ClientFixtures.failed;
import static org.mta4j.client.ClientFixtures.message;
import static org.mta4j.client.ClientFixtures.recipients;
import static org.mta4j.client.ClientFixtures.simpleContent;
import static org.mta4j.client.ClientFixtures.target;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mta4j.client.SessionFailure.NetworkError;
import org.mta4j.client.SessionFailure.ServerReply;
import org.mta4j.client.SessionFailure.Unmet;
import org.mta4j.client.TransactionResult.LocalFailure;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.SmtpSink;

/**
 * The client against Postfix's smtp-sink, whose flags inject faults: each test asserts the raw
 * facts (stage, code) the client reports.
 */
class SmtpSinkTest {

  @Test
  void requiredTlsToAServerWithoutStartTlsFailsAndSendsNothing() {
    try (SmtpSink sink = SmtpSink.start()) {

      SessionFailure failure = failed(client().connect(target(sink.port(), TlsPolicy.REQUIRED)));

      assertThat(failure)
          .isInstanceOfSatisfying(
              Unmet.class,
              u -> {
                assertThat(u.stage()).isEqualTo(Stage.STARTTLS);
                assertThat(u.requirement()).isEqualTo(Unmet.Requirement.TLS);
              });
      SmtpSink.Counters counters = sink.awaitSessions(1, AWAIT);
      assertThat(counters.messages()).isZero();
      assertThat(counters.quits()).as("the session ended politely").isEqualTo(1);
    }
  }

  @Test
  void opportunisticTlsDeliversInPlainTextWhenStartTlsIsNotOffered() {
    try (SmtpSink sink = SmtpSink.start();
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.OPPORTUNISTIC)))) {

      TransactionResult result = connection.send(message(simpleContent("plain"), "a@example.test"));

      assertThat(result.messageAccepted()).isTrue();
      assertThat(connection.tlsSession()).isEmpty();
      assertThat(sink.awaitDumps(1, AWAIT).get(0).content()).contains("Subject: plain");
    }
  }

  @Test
  void pipelinedTransactionsReuseOneConnection() {
    try (SmtpSink sink = SmtpSink.start()) {
      try (SmtpConnection connection =
          connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {
        assertThat(connection.extensions().pipelining()).isTrue();

        for (int i = 1; i <= 3; i++) {
          TransactionResult result =
              connection.send(
                  message(
                      simpleContent("message " + i), "a" + i + "@example.test", "b@example.test"));
          assertThat(result.acceptedRecipients()).hasSize(2);
          assertThat(connection.isReusable()).isTrue();
        }
        assertThat(connection.transactions()).isEqualTo(3);
      }

      SmtpSink.Counters counters = sink.awaitSessions(1, AWAIT);
      assertThat(counters).isEqualTo(new SmtpSink.Counters(1, 1, 3));
      List<SmtpSink.Dump> dumps = sink.awaitDumps(3, AWAIT);
      assertThat(dumps)
          .extracting(SmtpSink.Dump::rcptArgs)
          .containsExactlyInAnyOrder(
              List.of("<a1@example.test>", "<b@example.test>"),
              List.of("<a2@example.test>", "<b@example.test>"),
              List.of("<a3@example.test>", "<b@example.test>"));
      assertThat(dumps.get(0).heloArgs()).isEqualTo(ClientFixtures.HELO);
    }
  }

  @Test
  void dsnParametersGoToAServerThatOffersDsn() {
    try (SmtpSink sink = SmtpSink.start();
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {
      Recipient notified =
          new Recipient(
              "a@example.test",
              Set.of(Recipient.Notify.FAILURE, Recipient.Notify.SUCCESS),
              "rfc822;orig@example.test");
      OutgoingMessage message =
          OutgoingMessage.of(
                  "sender@example.test", List.of(notified), simpleContent("dsn").getBytes(UTF_8))
              .withParameters(
                  new MailParameters(
                      MailParameters.Body.EIGHT_BIT_MIME,
                      -1,
                      false,
                      MailParameters.Ret.HDRS,
                      "env+2Did",
                      null));

      assertThat(connection.send(message).messageAccepted()).isTrue();

      SmtpSink.Dump dump = sink.awaitDumps(1, AWAIT).get(0);
      assertThat(dump.mailArgs())
          .isEqualTo("<sender@example.test> BODY=8BITMIME RET=HDRS ENVID=env+2Did");
      assertThat(dump.rcptArgs())
          .containsExactly(
              "<a@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig@example.test");
    }
  }

  @Test
  void dsnParametersAreLeftOutWhenDsnIsNotOffered() {
    try (SmtpSink sink = SmtpSink.start("-N");
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {
      Recipient notified =
          new Recipient("a@example.test", Set.of(Recipient.Notify.NEVER), "rfc822;a@example.test");
      OutgoingMessage message =
          OutgoingMessage.of("", List.of(notified), simpleContent("bounce").getBytes(UTF_8))
              .withParameters(
                  new MailParameters(null, -1, false, MailParameters.Ret.FULL, "id1", null));

      assertThat(connection.send(message).messageAccepted()).isTrue();

      SmtpSink.Dump dump = sink.awaitDumps(1, AWAIT).get(0);
      assertThat(dump.mailArgs()).isEqualTo("<>");
      assertThat(dump.rcptArgs()).containsExactly("<a@example.test>");
    }
  }

  @Test
  void greeting421IsASessionFailureAtTheGreeting() {
    try (SmtpSink sink = SmtpSink.start("-Q", "CONNECT")) {

      SessionFailure failure = failed(client().connect(target(sink.port(), TlsPolicy.NONE)));

      assertThat(failure)
          .isInstanceOfSatisfying(
              ServerReply.class,
              f -> {
                assertThat(f.stage()).isEqualTo(Stage.GREETING);
                assertThat(f.reply().code()).isEqualTo(421);
                assertThat(f.reply().isTransientFailure()).isTrue();
              });
    }
  }

  @Test
  void ehloRefusedFallsBackToHelo() {
    try (SmtpSink sink = SmtpSink.start("-f", "EHLO");
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.OPPORTUNISTIC)))) {

      assertThat(connection.extensions().esmtp()).isFalse();
      assertThat(
              connection.send(message(simpleContent("helo"), "a@example.test")).messageAccepted())
          .isTrue();
      assertThat(sink.awaitDumps(1, AWAIT).get(0).mailArgs()).isEqualTo("<sender@example.test>");
    }
  }

  @Test
  void transientRcptFailuresAreRecordedPerRecipientAndTheConnectionIsReset() {
    try (SmtpSink sink = SmtpSink.start("-r", "RCPT");
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {

      TransactionResult result =
          connection.send(message(simpleContent("busy"), "a@example.test", "b@example.test"));

      assertThat(result.mailReply().code()).isEqualTo(250);
      assertThat(result.recipientReplies())
          .allSatisfy(
              r -> {
                assertThat(r.reply().code()).isEqualTo(450);
                assertThat(r.reply().enhanced()).isEqualTo("4.3.0");
              });
      assertThat(result.dataReply()).as("no DATA without a recipient").isNull();
      assertThat(result.messageReply()).isNull();
      assertThat(result.sessionFailure()).isNull();
      assertThat(result.messageAccepted()).isFalse();
      assertThat(connection.isReusable()).as("RSET after the failed transaction").isTrue();
    }
  }

  @Test
  void permanentRcptFailureCarriesTheServersReply() {
    try (SmtpSink sink = SmtpSink.start("-B", "550 5.1.1 User unknown", "-f", "RCPT");
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {

      TransactionResult result =
          connection.send(message(simpleContent("x"), "nobody@example.test"));

      RemoteReply reply = result.recipientReplies().get(0).reply();
      assertThat(reply.code()).isEqualTo(550);
      assertThat(reply.enhanced()).isEqualTo("5.1.1");
      assertThat(reply.message()).isEqualTo("User unknown");
      assertThat(result.acceptedRecipients()).isEmpty();
    }
  }

  @Test
  void refusalAtTheEndOfDataIsTheMessageReply() {
    try (SmtpSink sink = SmtpSink.start("-B", "552 5.3.4 Message too big", "-f", ".");
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {

      TransactionResult result = connection.send(message(simpleContent("big"), "a@example.test"));

      assertThat(result.recipientReplies().get(0).accepted()).isTrue();
      assertThat(result.dataReply().code()).isEqualTo(354);
      assertThat(result.messageReply().code()).isEqualTo(552);
      assertThat(result.messageReply().enhanced()).isEqualTo("5.3.4");
      assertThat(result.messageAccepted()).isFalse();
      assertThat(connection.isReusable()).isTrue();
    }
  }

  @Test
  void smtpUtf8MessageToAServerWithoutSmtpUtf8FailsWith567WithoutSending() {
    try (SmtpSink sink = SmtpSink.start();
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {
      OutgoingMessage message =
          OutgoingMessage.of(
              "sender@example.test",
              recipients("\u00e9l\u00e8ve@example.test"),
              simpleContent("utf8").getBytes(UTF_8));

      TransactionResult result = connection.send(message);

      assertThat(result.localFailure()).isNotNull();
      assertThat(result.localFailure().reason())
          .isEqualTo(LocalFailure.Reason.SMTPUTF8_NOT_OFFERED);
      assertThat(result.localFailure().reply().code()).isEqualTo(554);
      assertThat(result.localFailure().reply().enhanced()).isEqualTo("5.6.7");
      assertThat(result.mailReply()).as("MAIL was never sent").isNull();
      assertThat(connection.isReusable()).isTrue();
    }
  }

  @Test
  void rcptReplyThatNeverComesIsATimeoutAtRcpt() {
    SmtpClient impatient = clientBuilder().rcptTimeout(Duration.ofMillis(300)).build();
    // -p: with PIPELINING the sink would answer DATA while RCPT's delayed reply is pending.
    try (SmtpSink sink = SmtpSink.start("-p", "-W", "RCPT:10");
        SmtpConnection connection =
            connected(impatient.connect(target(sink.port(), TlsPolicy.NONE)))) {

      TransactionResult result = connection.send(message(simpleContent("slow"), "a@example.test"));

      assertThat(result.mailReply().code()).isEqualTo(250);
      assertThat(result.sessionFailure())
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.RCPT);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.TIMEOUT);
              });
      assertThat(connection.isReusable()).isFalse();
    }
  }

  @Test
  void hangUpAfterDataIsAConnectionLostAtData() {
    try (SmtpSink sink = SmtpSink.start("-q", "DATA");
        SmtpConnection connection =
            connected(client().connect(target(sink.port(), TlsPolicy.NONE)))) {

      TransactionResult result = connection.send(message(simpleContent("gone"), "a@example.test"));

      assertThat(result.recipientReplies().get(0).accepted()).isTrue();
      assertThat(result.sessionFailure())
          .isInstanceOfSatisfying(
              NetworkError.class,
              e -> {
                assertThat(e.stage()).isEqualTo(Stage.DATA);
                assertThat(e.kind()).isEqualTo(NetworkError.Kind.CONNECTION_LOST);
              });
      assertThat(connection.isReusable()).isFalse();
      assertThat(sink.counters().messages()).isZero();
    }
  }
}
