package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.SmtpReply;

/**
 * The policy hooks and the message handler: each stage can accept, reject, temp-fail or hang up
 * with its own reply; the first decision that is not Continue wins; a throwing hook is a {@code 451
 * 4.3.0} for that command only (STYLE rule 8); no policy can open the relay.
 */
class SmtpPolicyTest {

  private static final String POLICY_ERROR =
      "451 4.3.0 Error: internal policy error, try again later";

  /** The stages a session reaches after the greeting. */
  enum Stage {
    HELO,
    MAIL,
    RCPT,
    MESSAGE
  }

  @ParameterizedTest
  @EnumSource(Stage.class)
  void aRejectAtAnyStageSendsItsReplyAndTheSessionGoesOn(Stage stage) {
    Decision reject = Decision.reject(550, "5.7.1", "Denied at " + stage);
    try (RunningServer server = RunningServer.start(b -> b.policy(deciding(stage, reject)));
        SmtpWire wire = server.greeted()) {
      assertThat(driveTo(stage, wire).line()).isEqualTo("550 5.7.1 Denied at " + stage);

      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Stage.class)
  void aTempFailAtAnyStageSendsItsReplyAndTheSessionGoesOn(Stage stage) {
    Decision tempFail = Decision.tempFail(450, "4.7.1", "Greylisted at " + stage);
    try (RunningServer server = RunningServer.start(b -> b.policy(deciding(stage, tempFail)));
        SmtpWire wire = server.greeted()) {
      assertThat(driveTo(stage, wire).line()).isEqualTo("450 4.7.1 Greylisted at " + stage);

      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Stage.class)
  void aDisconnectAtAnyStageSendsItsReplyAndCloses(Stage stage) {
    Decision disconnect = Decision.disconnect(SmtpReply.of(421, "4.7.0", "Bye at " + stage));
    try (RunningServer server = RunningServer.start(b -> b.policy(deciding(stage, disconnect)));
        SmtpWire wire = server.greeted()) {
      assertThat(driveTo(stage, wire).line()).isEqualTo("421 4.7.0 Bye at " + stage);

      wire.assertClosed();
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Stage.class)
  void aThrowingHookGives451ForThatCommandAndTheSessionSurvives(Stage stage) {
    try (RunningServer server = RunningServer.start(b -> b.policy(throwingAt(stage)));
        SmtpWire wire = server.greeted()) {
      assertThat(driveTo(stage, wire).line()).isEqualTo(POLICY_ERROR);

      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
      assertThat(wire.command("HELO client.example.test").code())
          .isEqualTo(stage == Stage.HELO ? 451 : 250);
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void aRejectAtConnectIsSentInsteadOfTheGreetingAndCloses() {
    SmtpPolicy policy =
        new SmtpPolicy() {
          @Override
          public Decision onConnect(SessionInfo session) {
            return Decision.reject(554, "5.7.1", "Listed at dnsbl.example");
          }
        };
    try (RunningServer server = RunningServer.start(b -> b.policy(policy));
        SmtpWire wire = server.connect()) {
      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("554 5.7.1 Listed at dnsbl.example");
    }
  }

  @Test
  void aTempFailAtConnectIsSentInsteadOfTheGreetingAndCloses() {
    SmtpPolicy policy =
        new SmtpPolicy() {
          @Override
          public Decision onConnect(SessionInfo session) {
            return Decision.tempFail(421, "4.7.0", "Too busy, try later");
          }
        };
    try (RunningServer server = RunningServer.start(b -> b.policy(policy));
        SmtpWire wire = server.connect()) {
      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("421 4.7.0 Too busy, try later");
    }
  }

  /** At connect there is no command to fail, so the 451 takes the greeting's place. */
  @Test
  void aThrowingConnectHookGives451InsteadOfTheGreeting() {
    SmtpPolicy policy =
        new SmtpPolicy() {
          @Override
          public Decision onConnect(SessionInfo session) {
            throw new IllegalStateException("dnsbl lookup failed");
          }
        };
    try (RunningServer server = RunningServer.start(b -> b.policy(policy));
        SmtpWire wire = server.connect()) {
      assertThat(wire.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly(POLICY_ERROR);
    }
  }

  @Test
  void theConnectHookSeesTheClientAddress() {
    List<SessionInfo> seen = new CopyOnWriteArrayList<>();
    SmtpPolicy policy =
        new SmtpPolicy() {
          @Override
          public Decision onConnect(SessionInfo session) {
            seen.add(session);
            return Decision.accept();
          }
        };
    try (RunningServer server = RunningServer.start(b -> b.policy(policy));
        SmtpWire wire = server.greeted()) {
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0).client().getPort()).isEqualTo(wire.localPort());
      assertThat(seen.get(0).server().getPort()).isEqualTo(server.port());
      assertThat(seen.get(0).heloName()).isNull();
      assertThat(seen.get(0).proxy()).isNull();
      assertThat(seen.get(0).tls()).isNull();
    }
  }

  @Test
  void theFirstDecisionThatIsNotContinueWins() {
    List<String> asked = new CopyOnWriteArrayList<>();
    try (RunningServer server =
            RunningServer.start(
                b ->
                    b.policy(atMail(asked, "first", Decision.proceed()))
                        .policy(
                            atMail(
                                asked, "second", Decision.reject(550, "5.7.1", "second says no")))
                        .policy(
                            atMail(
                                asked, "third", Decision.reject(550, "5.7.1", "third says no"))));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").line())
          .isEqualTo("550 5.7.1 second says no");
      assertThat(asked).containsExactly("first", "second");
    }
  }

  @Test
  void anAcceptDecidesAndMayCarryItsOwnReply() {
    List<String> asked = new CopyOnWriteArrayList<>();
    Decision welcome = Decision.accept(SmtpReply.of(250, "2.1.0", "Sender welcome"));
    try (RunningServer server =
            RunningServer.start(
                b ->
                    b.policy(atMail(asked, "first", welcome))
                        .policy(atMail(asked, "second", Decision.reject(550, "5.7.1", "no"))));
        SmtpWire wire = server.afterEhlo()) {
      assertThat(wire.command("MAIL FROM:<alice@sender.test>").line())
          .isEqualTo("250 2.1.0 Sender welcome");
      assertThat(asked).containsExactly("first");
    }
  }

  @Test
  void aPolicyCannotOpenTheRelay() {
    List<String> shown = new CopyOnWriteArrayList<>();
    SmtpPolicy permissive =
        new SmtpPolicy() {
          @Override
          public Decision onRcpt(SessionInfo session, String reversePath, Recipient recipient) {
            shown.add(recipient.address());
            return Decision.accept();
          }
        };
    try (RunningServer server = RunningServer.start(b -> b.trustedNetworks().policy(permissive));
        SmtpWire wire = server.afterEhlo()) {
      wire.command("MAIL FROM:<spammer@sender.test>");

      assertThat(wire.command("RCPT TO:<victim@other.test>").line())
          .isEqualTo("554 5.7.1 Relay access denied");
      assertThat(wire.command("RCPT TO:<bob@example.test>").status()).isEqualTo("250 2.1.5");
      assertThat(shown).containsExactly("bob@example.test");
    }
  }

  @Test
  void theMessageHookSeesTheEnvelopeAndTheContent() {
    List<String> seen = new CopyOnWriteArrayList<>();
    SmtpPolicy contentFilter =
        new SmtpPolicy() {
          @Override
          public Decision onMessage(Envelope envelope, MessageContent content) {
            try {
              String text =
                  new String(content.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
              seen.add(envelope.reversePath() + " " + envelope.recipients().get(0).address());
              return text.contains("VIAGRA")
                  ? Decision.reject(550, "5.7.1", "Spam")
                  : Decision.proceed();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        };
    try (RunningServer server = RunningServer.start(b -> b.policy(contentFilter));
        SmtpWire wire = SmtpSmugglingTest.inData(server)) {
      assertThat(wire.send("Buy VIAGRA\r\n.\r\n").read().line()).isEqualTo("550 5.7.1 Spam");
      wire.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n").read(3);
      assertThat(wire.send("Hello Bob\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");

      assertThat(seen)
          .containsExactly(
              "alice@sender.test bob@example.test", "alice@sender.test bob@example.test");
      assertThat(server.handler().messages()).hasSize(1);
    }
  }

  // ---- the message handler

  @Test
  void aRejectingMessageHandlerGivesItsReply() {
    try (RunningServer server =
            RunningServer.start(
                b -> b.messageHandler((e, c) -> Decision.reject(554, "5.7.1", "Not wanted here")));
        SmtpWire wire = SmtpSmugglingTest.inData(server)) {
      assertThat(wire.send("hi\r\n.\r\n").read().line()).isEqualTo("554 5.7.1 Not wanted here");
      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
    }
  }

  @Test
  void aTempFailingMessageHandlerGivesItsReply() {
    try (RunningServer server =
            RunningServer.start(
                b -> b.messageHandler((e, c) -> Decision.tempFail(452, "4.3.1", "Queue full")));
        SmtpWire wire = SmtpSmugglingTest.inData(server)) {
      assertThat(wire.send("hi\r\n.\r\n").read().line()).isEqualTo("452 4.3.1 Queue full");
    }
  }

  @Test
  void aMessageHandlerThatThrowsGives451AndTheSessionGoesOn() {
    MessageHandler failing =
        (envelope, content) -> {
          if (envelope.reversePath().startsWith("io")) {
            throw new IOException("disk full");
          }
          throw new IllegalStateException("bug");
        };
    try (RunningServer server = RunningServer.start(b -> b.messageHandler(failing));
        SmtpWire wire = server.afterEhlo()) {
      for (String sender : List.of("io@sender.test", "runtime@sender.test")) {
        wire.send("MAIL FROM:<" + sender + ">\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n").read(3);
        assertThat(wire.send("hi\r\n.\r\n").read().line())
            .isEqualTo("451 4.3.0 Error: queue file write error");
      }
      assertThat(wire.command("NOOP").status()).isEqualTo("250 2.0.0");
    }
  }

  @Test
  void aMessageHandlerMayAcceptWithItsOwnReplyOrHangUp() {
    MessageHandler handler =
        (envelope, content) ->
            envelope.reversePath().startsWith("bye")
                ? Decision.disconnect(SmtpReply.of(421, "4.3.2", "Going down"))
                : Decision.accept(SmtpReply.of(250, "2.0.0", "Ok: delivered to the mailbox"));
    try (RunningServer server = RunningServer.start(b -> b.messageHandler(handler));
        SmtpWire wire = SmtpSmugglingTest.inData(server)) {
      assertThat(wire.send("hi\r\n.\r\n").read().line())
          .isEqualTo("250 2.0.0 Ok: delivered to the mailbox");
      wire.send("MAIL FROM:<bye@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n").read(3);
      assertThat(wire.send("hi\r\n.\r\n").read().line()).isEqualTo("421 4.3.2 Going down");
      wire.assertClosed();
    }
  }

  // ---- helpers

  /** Walks a session from the greeting to {@code stage} and returns the reply at that stage. */
  private static SmtpWire.Reply driveTo(Stage stage, SmtpWire wire) {
    SmtpWire.Reply reply = wire.command("EHLO client.example.test");
    if (stage == Stage.HELO) {
      return reply;
    }
    assertThat(reply.code()).isEqualTo(250);
    reply = wire.command("MAIL FROM:<alice@sender.test>");
    if (stage == Stage.MAIL) {
      return reply;
    }
    assertThat(reply.status()).isEqualTo("250 2.1.0");
    reply = wire.command("RCPT TO:<bob@example.test>");
    if (stage == Stage.RCPT) {
      return reply;
    }
    assertThat(reply.status()).isEqualTo("250 2.1.5");
    assertThat(wire.command("DATA").code()).isEqualTo(354);
    return wire.send("Subject: test\r\n\r\nhi\r\n.\r\n").read();
  }

  private static SmtpPolicy deciding(Stage stage, Decision decision) {
    return new SmtpPolicy() {
      @Override
      public Decision onHelo(SessionInfo session, String heloName) {
        return stage == Stage.HELO ? decision : Decision.proceed();
      }

      @Override
      public Decision onMail(SessionInfo session, String reversePath, MailParameters parameters) {
        return stage == Stage.MAIL ? decision : Decision.proceed();
      }

      @Override
      public Decision onRcpt(SessionInfo session, String reversePath, Recipient recipient) {
        return stage == Stage.RCPT ? decision : Decision.proceed();
      }

      @Override
      public Decision onMessage(Envelope envelope, MessageContent content) {
        return stage == Stage.MESSAGE ? decision : Decision.proceed();
      }
    };
  }

  private static SmtpPolicy throwingAt(Stage stage) {
    return new SmtpPolicy() {
      @Override
      public Decision onHelo(SessionInfo session, String heloName) {
        return fail(Stage.HELO);
      }

      @Override
      public Decision onMail(SessionInfo session, String reversePath, MailParameters parameters) {
        return fail(Stage.MAIL);
      }

      @Override
      public Decision onRcpt(SessionInfo session, String reversePath, Recipient recipient) {
        return fail(Stage.RCPT);
      }

      @Override
      public Decision onMessage(Envelope envelope, MessageContent content) {
        return fail(Stage.MESSAGE);
      }

      private Decision fail(Stage at) {
        if (at == stage) {
          throw new IllegalStateException("policy bug at " + at);
        }
        return Decision.proceed();
      }
    };
  }

  private static SmtpPolicy atMail(List<String> asked, String name, Decision decision) {
    return new SmtpPolicy() {
      @Override
      public Decision onMail(SessionInfo session, String reversePath, MailParameters parameters) {
        asked.add(name);
        return decision;
      }
    };
  }
}
