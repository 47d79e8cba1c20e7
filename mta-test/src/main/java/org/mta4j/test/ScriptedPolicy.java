package org.mta4j.test;

import java.util.function.IntPredicate;
import org.mta4j.server.Decision;
import org.mta4j.server.Envelope;
import org.mta4j.server.MessageContent;
import org.mta4j.server.SessionInfo;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.SmtpReply;

/**
 * The kit's faults at the stages mta4j's policy hooks see, and the TLS / AUTH requirements. A
 * disconnect without a reply is carried out by the proxy, found by the port the server sees the
 * session come from.
 */
final class ScriptedPolicy implements SmtpPolicy {
  // RFC 3207 §4 and RFC 4954 §6
  static final SmtpReply TLS_REQUIRED =
      SmtpReply.of(530, "5.7.0", "Must issue a STARTTLS command first");
  static final SmtpReply AUTH_REQUIRED = SmtpReply.of(530, "5.7.0", "Authentication required");
  private static final SmtpReply HANG_UP = SmtpReply.of(421, "4.4.2", "Connection dropped by test");

  private final FaultScript script;
  private final boolean requireTls;
  private final boolean requireAuth;
  private final IntPredicate abortByServerSidePort;

  ScriptedPolicy(
      FaultScript script,
      boolean requireTls,
      boolean requireAuth,
      IntPredicate abortByServerSidePort) {
    this.script = script;
    this.requireTls = requireTls;
    this.requireAuth = requireAuth;
    this.abortByServerSidePort = abortByServerSidePort;
  }

  @Override
  public Decision onConnect(SessionInfo session) {
    return decide(Stage.CONNECT, session);
  }

  @Override
  public Decision onHelo(SessionInfo session, String heloName) {
    return decide(Stage.HELO, session);
  }

  @Override
  public Decision onMail(SessionInfo session, String reversePath, MailParameters parameters) {
    if (requireTls && !session.isTls()) {
      return Decision.reject(TLS_REQUIRED);
    }
    if (requireAuth && !session.isAuthenticated()) {
      return Decision.reject(AUTH_REQUIRED);
    }
    return decide(Stage.MAIL, session);
  }

  @Override
  public Decision onRcpt(SessionInfo session, String reversePath, Recipient recipient) {
    return decide(Stage.RCPT, session);
  }

  @Override
  public Decision onMessage(Envelope envelope, MessageContent content) {
    return decide(Stage.END_OF_DATA, envelope.session());
  }

  private Decision decide(Stage stage, SessionInfo session) {
    for (FaultScript.Strike strike : script.occur(stage)) {
      switch (strike.action()) {
        case FaultScript.Delay d -> script.pause(d.delay());
        case FaultScript.Reply r -> {
          SmtpReply reply = r.reply();
          if (reply.code() == 421) {
            return Decision.disconnect(reply); // RFC 5321 §3.8: 421 closes the channel
          }
          return reply.isTransientFailure() ? Decision.tempFail(reply) : Decision.reject(reply);
        }
        case FaultScript.Disconnect x -> {
          abortByServerSidePort.test(proxySidePort(session));
          return Decision.disconnect(HANG_UP);
        }
        case FaultScript.Stall s -> {
          script.pause(FaultScript.MAX_STALL);
          abortByServerSidePort.test(proxySidePort(session));
          return Decision.disconnect(HANG_UP);
        }
      }
    }
    return Decision.proceed();
  }

  /** The port of the kit's connection to the server (the PROXY peer, or the client itself). */
  private static int proxySidePort(SessionInfo session) {
    return (session.proxy() != null ? session.proxy() : session.client()).getPort();
  }
}
