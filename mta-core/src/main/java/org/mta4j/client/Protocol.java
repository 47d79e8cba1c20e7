package org.mta4j.client;

import org.mta4j.smtp.SmtpReply;

/**
 * Every command word, extension keyword, reply code and locally made reply of the client, in one
 * place (STYLE rule 5). Local replies follow Postfix's texts so administrators recognise them.
 */
final class Protocol {
  private Protocol() {}

  // Commands: RFC 5321 §4.1.1, RFC 3207, RFC 4954, RFC 3030.
  static final String EHLO = "EHLO ";
  static final String HELO = "HELO ";
  static final String STARTTLS = "STARTTLS";
  static final String AUTH = "AUTH ";
  static final String MAIL_FROM = "MAIL FROM:<";
  static final String RCPT_TO = "RCPT TO:<";
  static final String PATH_END = ">";
  static final String DATA = "DATA";
  static final String BDAT = "BDAT ";
  static final String BDAT_LAST = " LAST";
  static final String RSET = "RSET";
  static final String QUIT = "QUIT";
  static final String AUTH_CANCEL = "*";

  // MAIL and RCPT parameters: RFC 1870, RFC 6152, RFC 3030, RFC 6531, RFC 3461, RFC 4954 §5.
  static final String PARAM_SIZE = " SIZE=";
  static final String PARAM_BODY_8BITMIME = " BODY=8BITMIME";
  static final String PARAM_BODY_BINARYMIME = " BODY=BINARYMIME";
  static final String PARAM_SMTPUTF8 = " SMTPUTF8";
  static final String PARAM_RET = " RET=";
  static final String PARAM_ENVID = " ENVID=";
  static final String PARAM_AUTH = " AUTH=";
  static final String PARAM_NOTIFY = " NOTIFY=";
  static final String PARAM_ORCPT = " ORCPT=";

  // SASL mechanisms (RFC 4616, and the de-facto LOGIN).
  static final String MECH_PLAIN = "PLAIN";
  static final String MECH_LOGIN = "LOGIN";

  // EHLO keywords.
  static final String EXT_PIPELINING = "PIPELINING";
  static final String EXT_SIZE = "SIZE";
  static final String EXT_8BITMIME = "8BITMIME";
  static final String EXT_SMTPUTF8 = "SMTPUTF8";
  static final String EXT_CHUNKING = "CHUNKING";
  static final String EXT_BINARYMIME = "BINARYMIME";
  static final String EXT_STARTTLS = "STARTTLS";
  static final String EXT_AUTH = "AUTH";
  static final String EXT_DSN = "DSN";
  static final String EXT_ENHANCEDSTATUSCODES = "ENHANCEDSTATUSCODES";

  // Reply codes the client acts on.
  static final int START_MAIL_INPUT = 354; // RFC 5321 §4.2.2
  static final int AUTH_CHALLENGE = 334; // RFC 4954 §4

  /** The end of data after the content's last CRLF (RFC 5321 §4.1.1.4). */
  static final byte[] END_OF_DATA = {'.', '\r', '\n'};

  static final byte[] CRLF = {'\r', '\n'};

  // Replies made here for a message refused before sending (Postfix's texts).
  static SmtpReply messageTooBig(long size, long limit, String host) {
    return SmtpReply.of(
        552,
        "5.3.4",
        "message size " + size + " exceeds size limit " + limit + " of server " + host);
  }

  static SmtpReply smtpUtf8NotOffered(String host) {
    return SmtpReply.of(554, "5.6.7", "SMTPUTF8 is required, but was not offered by host " + host);
  }

  static SmtpReply binaryMimeNotOffered(String host) {
    return SmtpReply.of(
        554,
        "5.6.3",
        "BINARYMIME is required, but CHUNKING and BINARYMIME were not offered by host " + host);
  }

  static SmtpReply contentUnreadable(String detail) {
    return SmtpReply.of(451, "4.3.0", "cannot read the message content: " + oneLine(detail));
  }

  // Texts of the session failures made here.
  static String tlsNotOffered(String host) {
    return "TLS is required, but was not offered by host " + host;
  }

  static String authNotOffered(String host) {
    return "credentials are set, but host " + host + " offers no AUTH";
  }

  static String noCommonMechanism(String host, Object offered) {
    return "host " + host + " offers AUTH " + offered + ", none of PLAIN and LOGIN";
  }

  static String authNeedsTls(String host) {
    return "refusing to send credentials to host " + host + " without TLS";
  }

  static String startTlsInjection(int bytes) {
    return "server sent " + bytes + " bytes after its reply to STARTTLS, before the handshake";
  }

  static String unexpectedReply(String command, RemoteReply reply) {
    return "unexpected reply to " + command + ": " + reply;
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("[\\r\\n]+", " ");
  }
}
