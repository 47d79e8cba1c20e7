package org.mta4j.client;

import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * An open SMTP session with one server, past the greeting, EHLO, STARTTLS and AUTH, ready for mail
 * transactions. Obtained from {@link SmtpClient#connect}.
 *
 * <p><b>Transactions.</b> {@link #send} runs one transaction and returns its facts as a {@link
 * TransactionResult}; protocol outcomes are never exceptions. With PIPELINING (RFC 2920) MAIL,
 * every RCPT and DATA go in one write and the replies are read in order; otherwise one command at a
 * time. With CHUNKING (RFC 3030, unless the client disables it) the content goes in BDAT chunks,
 * else with DATA. After a transaction that failed half-way the session is reset with RSET, so the
 * connection can carry the next message; {@link #isReusable()} says whether it can.
 *
 * <p><b>Content.</b> The content is streamed, never held whole in memory. Line endings are made
 * CRLF: a bare CR or a bare LF becomes CRLF, and content that does not end with a line ending gets
 * one. With DATA, lines starting with {@code .} get another (RFC 5321 §4.5.2), so the content can
 * never contain the end-of-data sequence and cannot smuggle a second message past the server; the
 * same normalisation applies with BDAT so that a message arrives the same either way
 * (BODY=BINARYMIME content is sent as is, with BDAT only).
 *
 * <p><b>Checked before sending.</b> A message larger than the server's SIZE fails with {@code 552
 * 5.3.4}; a message that needs SMTPUTF8 sent to a server that does not offer it fails with {@code
 * 554 5.6.7}; BINARYMIME content without CHUNKING and BINARYMIME fails with {@code 554 5.6.3}; in
 * each case as a {@link TransactionResult.LocalFailure}, with nothing sent. 8-bit content to a
 * server without 8BITMIME is sent anyway, without a BODY parameter, as Postfix does by default
 * (conversion to 7 bit is not done).
 *
 * <p>Not thread-safe: one transaction at a time, from one thread. {@link #close()} sends QUIT
 * (waiting a bounded time for the reply) and closes the socket; it never throws.
 */
public sealed interface SmtpConnection extends ConnectResult, AutoCloseable permits ClientSession {

  /**
   * Runs one mail transaction.
   *
   * @throws IllegalStateException when the connection is not reusable (closed, or broken by an
   *     earlier session failure)
   */
  TransactionResult send(OutgoingMessage message);

  /** True when the next {@link #send} can run on this connection. */
  boolean isReusable();

  /** The target this connection was opened for. */
  SmtpTarget target();

  /** The server's greeting. */
  RemoteReply greeting();

  /** The extensions of the last EHLO (after TLS, when TLS is up). */
  ServerExtensions extensions();

  /** The TLS session, or empty when the connection is in plain text. */
  Optional<SSLSession> tlsSession();

  /** True when SMTP AUTH succeeded. */
  boolean isAuthenticated();

  /** How many transactions {@link #send} has run here (each attempt, whatever its outcome). */
  int transactions();

  /** Sends QUIT and closes; idempotent, never throws. */
  @Override
  void close();
}
