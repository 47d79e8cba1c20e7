package org.mta4j.server.internal;

import org.mta4j.smtp.SmtpReply;

/**
 * Every reply the server sends, in one place (STYLE rule 5). Texts follow Postfix's where there is
 * one, so that administrators recognise them; codes follow RFC 5321 §4.2 and RFC 3463.
 */
final class Replies {
  private Replies() {}

  static SmtpReply r(int code, String enhanced, String text) {
    return SmtpReply.of(code, enhanced, text);
  }

  // 2xx
  static final SmtpReply OK = r(250, "2.0.0", "Ok");
  static final SmtpReply SENDER_OK = r(250, "2.1.0", "Ok");
  static final SmtpReply RECIPIENT_OK = r(250, "2.1.5", "Ok");
  static final SmtpReply RESET_OK = r(250, "2.0.0", "Ok");
  static final SmtpReply NOOP_OK = r(250, "2.0.0", "Ok");
  static final SmtpReply VRFY_CANNOT = r(252, "2.0.0", "Cannot VRFY user, but will accept message");
  static final SmtpReply HELP =
      r(214, "2.0.0", "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY");
  static final SmtpReply READY_TLS = r(220, "2.0.0", "Ready to start TLS");
  static final SmtpReply AUTH_OK = r(235, "2.7.0", "Authentication successful");

  static SmtpReply queued(String id) {
    return r(250, "2.0.0", "Ok: queued as " + id);
  }

  static SmtpReply chunkOk(long octets) {
    return r(250, "2.0.0", "Ok: " + octets + " octets received");
  }

  static SmtpReply bye() {
    return r(221, "2.0.0", "Bye");
  }

  static final SmtpReply NOT_IMPLEMENTED = r(502, "5.5.1", "Error: command not implemented");

  /** The greeting line (RFC 5321 §4.3.1); greetings carry no enhanced status code. */
  static String greeting(String hostname) {
    return "220 " + hostname + " ESMTP mta4j";
  }

  /** The EHLO reply lines (RFC 5321 §4.1.1.1): the hostname, then one extension keyword each. */
  static java.util.List<String> ehlo(String hostname, java.util.List<String> keywords) {
    java.util.List<String> lines = new java.util.ArrayList<>(keywords.size() + 1);
    lines.add(hostname);
    lines.addAll(keywords);
    return lines;
  }

  /** The HELO reply; like the greeting and EHLO it carries no enhanced status (RFC 2034 §3). */
  static String helo(String hostname) {
    return "250 " + hostname;
  }

  static final String AUTH_CONTINUE_EMPTY = "334 ";
  static final String AUTH_LOGIN_USERNAME = "334 VXNlcm5hbWU6"; // base64 "Username:"
  static final String AUTH_LOGIN_PASSWORD = "334 UGFzc3dvcmQ6"; // base64 "Password:"

  // 3xx
  static final SmtpReply START_DATA = SmtpReply.of(354, null, "End data with <CR><LF>.<CR><LF>");

  // 4xx
  static final SmtpReply TOO_MANY_RECIPIENTS = r(452, "4.5.3", "Error: too many recipients");
  static final SmtpReply LOCAL_ERROR = r(451, "4.3.0", "Error: queue file write error");
  static final SmtpReply INSUFFICIENT_STORAGE =
      r(452, "4.3.1", "Error: insufficient system storage");
  static final SmtpReply POLICY_ERROR =
      r(451, "4.3.0", "Error: internal policy error, try again later");
  static final SmtpReply TLS_UNAVAILABLE =
      r(454, "4.7.0", "TLS not available due to local problem");
  static final SmtpReply AUTH_TEMP_FAIL = r(454, "4.7.0", "Temporary authentication failure");
  static final SmtpReply TIMEOUT = r(421, "4.4.2", "Error: timeout exceeded");
  static final SmtpReply TOO_MANY_ERRORS = r(421, "4.7.0", "Error: too many errors");
  static final SmtpReply TOO_MANY_AUTH_FAILURES =
      r(421, "4.7.0", "Error: too many failed authentication attempts");
  static final SmtpReply TOO_MANY_CONNECTIONS_FROM_YOU =
      r(421, "4.7.0", "Error: too many connections from your address");
  static final SmtpReply SHUTTING_DOWN =
      r(421, "4.3.2", "Service shutting down, closing connection");
  static final SmtpReply BAD_PROXY_HEADER = r(421, "4.7.0", "Error: bad PROXY protocol header");

  // 5xx: syntax and sequence
  static final SmtpReply UNKNOWN_COMMAND = r(500, "5.5.2", "Error: command not recognized");
  static final SmtpReply LINE_TOO_LONG = r(500, "5.5.2", "Error: command line too long");
  static final SmtpReply BARE_LF_COMMAND = r(500, "5.5.2", "Error: bare <LF> received");
  static final SmtpReply BINARY_COMMAND =
      r(500, "5.5.2", "Error: NUL or 8-bit character in command");
  static final SmtpReply NEED_HELO = r(503, "5.5.1", "Error: send HELO/EHLO first");
  static final SmtpReply NEED_MAIL = r(503, "5.5.1", "Error: need MAIL command");
  static final SmtpReply NEED_RCPT = r(503, "5.5.1", "Error: need RCPT command");
  static final SmtpReply NESTED_MAIL = r(503, "5.5.1", "Error: nested MAIL command");
  static final SmtpReply ALREADY_TLS = r(503, "5.5.1", "Error: TLS already active");
  static final SmtpReply ALREADY_AUTH = r(503, "5.5.1", "Error: already authenticated");
  static final SmtpReply AUTH_IN_TRANSACTION =
      r(503, "5.5.1", "Error: MAIL transaction in progress");
  static final SmtpReply AUTH_NOT_ENABLED = r(503, "5.5.1", "Error: authentication not enabled");
  static final SmtpReply DATA_AFTER_BDAT = r(503, "5.5.1", "Error: DATA after BDAT is not allowed");
  static final SmtpReply NO_VALID_RECIPIENTS = r(554, "5.5.1", "Error: no valid recipients");
  static final SmtpReply HELO_SYNTAX = r(501, "5.5.4", "Syntax: EHLO hostname");
  static final SmtpReply MAIL_SYNTAX = r(501, "5.5.4", "Syntax: MAIL FROM:<address>");
  static final SmtpReply RCPT_SYNTAX = r(501, "5.5.4", "Syntax: RCPT TO:<address>");
  static final SmtpReply NO_ARGUMENTS = r(501, "5.5.4", "Syntax: command takes no arguments");
  static final SmtpReply BDAT_SYNTAX = r(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]");
  static final SmtpReply AUTH_SYNTAX = r(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  static final SmtpReply AUTH_BAD_BASE64 = r(501, "5.5.2", "Error: invalid base64 data");
  static final SmtpReply AUTH_CANCELLED = r(501, "5.7.0", "Authentication cancelled");
  static final SmtpReply AUTH_MECHANISM =
      r(504, "5.5.4", "Error: unsupported authentication mechanism");
  static final SmtpReply VRFY_SYNTAX = r(501, "5.5.4", "Syntax: VRFY address");
  static final SmtpReply BAD_SENDER_SYNTAX = r(553, "5.1.7", "Error: malformed sender address");
  static final SmtpReply BAD_RECIPIENT_SYNTAX =
      r(553, "5.1.3", "Error: malformed recipient address");
  static final SmtpReply UTF8_NEEDS_SMTPUTF8 =
      r(553, "5.6.7", "Error: non-ASCII address requires the SMTPUTF8 parameter");
  static final SmtpReply BINARYMIME_NEEDS_BDAT =
      r(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT");

  static SmtpReply unknownParameter(String name) {
    return r(555, "5.5.4", "Error: unsupported parameter " + sanitize(name));
  }

  static SmtpReply badParameter(String name) {
    return r(501, "5.5.4", "Error: bad value for parameter " + sanitize(name));
  }

  // 5xx: policy and content
  static final SmtpReply RELAY_DENIED = r(554, "5.7.1", "Relay access denied");
  static final SmtpReply AUTH_REQUIRES_TLS =
      r(538, "5.7.11", "Encryption required for requested authentication mechanism");
  static final SmtpReply AUTH_FAILED = r(535, "5.7.8", "Error: authentication failed");
  static final SmtpReply MESSAGE_TOO_BIG = r(552, "5.3.4", "Error: message too big for system");
  static final SmtpReply BARE_LINE_ENDING =
      r(
          550,
          "5.6.0",
          "Error: message contains a bare <CR> or <LF>; only <CR><LF> line endings are allowed");
  static final SmtpReply DATA_LINE_TOO_LONG =
      r(550, "5.6.0", "Error: message has a line longer than the limit");
  static final SmtpReply REJECTED = r(554, "5.7.1", "Error: rejected");

  static SmtpReply messageTooBig(long limit) {
    return r(552, "5.3.4", "Error: message size exceeds fixed limit of " + limit + " bytes");
  }

  /** Echoed client text is cut and stripped of control characters before it goes in a reply. */
  static String sanitize(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
    for (int i = 0; i < s.length() && b.length() < 64; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }
}
