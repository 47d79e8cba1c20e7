package org.mta4j.client;

import java.io.IOException;
import java.util.Objects;

/**
 * Why an SMTP session ended or could not start: the raw facts (the stage, and the server's reply or
 * the I/O error) for a classifier to turn into a deferral or a bounce. The client decides nothing
 * here; as a rule of thumb a 4xx reply or an I/O error is temporary and a 5xx reply permanent.
 *
 * <ul>
 *   <li>{@link ServerReply}: the server refused with a reply at a session stage (greeting, EHLO,
 *       STARTTLS, AUTH), or said 421 (closing) at any stage.
 *   <li>{@link NetworkError}: connecting failed, the connection was lost, a read or write timed
 *       out, or the TLS handshake failed (certificate verification included).
 *   <li>{@link ProtocolViolation}: the server sent something that is not an SMTP reply, or not the
 *       one the protocol allows at that point.
 *   <li>{@link Unmet}: a requirement of this side that the server cannot meet: TLS required but not
 *       offered, credentials given but AUTH not offered or not over TLS.
 * </ul>
 */
public sealed interface SessionFailure extends ConnectResult
    permits SessionFailure.ServerReply,
        SessionFailure.NetworkError,
        SessionFailure.ProtocolViolation,
        SessionFailure.Unmet {

  /** The stage the session was at. */
  Stage stage();

  /** One line for logs, such as {@code 421 4.7.0 Try later (at GREETING)}. */
  String describe();

  /**
   * The server answered with a failure.
   *
   * @param stage the command answered
   * @param reply the reply: 4xx or 5xx, or an unexpected 2xx/3xx
   */
  record ServerReply(Stage stage, RemoteReply reply) implements SessionFailure {
    public ServerReply {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(reply, "reply");
    }

    @Override
    public String describe() {
      return reply + " (at " + stage + ")";
    }
  }

  /**
   * An I/O error: no reply was read.
   *
   * @param stage the stage in progress
   * @param kind what went wrong
   * @param message the exception's message, for logs
   * @param exception the exception itself (for a stack trace in debug logs), or {@code null}
   */
  record NetworkError(Stage stage, Kind kind, String message, IOException exception)
      implements SessionFailure {

    /** The kinds of I/O error. */
    public enum Kind {
      /** The TCP connection could not be opened (refused, unreachable, connect timeout). */
      CONNECT,
      /** A read or write waited longer than its configured timeout. */
      TIMEOUT,
      /** The server closed or reset the connection. */
      CONNECTION_LOST,
      /** The TLS handshake failed, certificate or host name verification included. */
      TLS,
      /** Any other I/O error. */
      OTHER
    }

    public NetworkError {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String describe() {
      return kind + ": " + message + " (at " + stage + ")";
    }
  }

  /**
   * The server broke the protocol: a line that is not a reply, an over-long reply, a reply code not
   * allowed at this point, or data sent ahead of the TLS handshake.
   *
   * @param stage the stage in progress
   * @param detail what was wrong
   */
  record ProtocolViolation(Stage stage, String detail) implements SessionFailure {
    public ProtocolViolation {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String describe() {
      return "protocol violation: " + detail + " (at " + stage + ")";
    }
  }

  /**
   * This side required something the server did not offer; the session was ended with QUIT.
   *
   * @param stage the stage that needed it
   * @param requirement what was missing
   * @param detail a sentence for logs
   */
  record Unmet(Stage stage, Requirement requirement, String detail) implements SessionFailure {

    /** The requirements. */
    public enum Requirement {
      /** The TLS policy requires TLS and the server does not offer STARTTLS. */
      TLS,
      /** Credentials are set and the server does not offer AUTH. */
      AUTH,
      /** The server offers AUTH, but neither PLAIN nor LOGIN. */
      AUTH_MECHANISM,
      /** Credentials are set, the session is not encrypted, and plain-text AUTH is not allowed. */
      TLS_FOR_AUTH
    }

    public Unmet {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(requirement, "requirement");
      Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String describe() {
      return detail + " (at " + stage + ")";
    }
  }
}
