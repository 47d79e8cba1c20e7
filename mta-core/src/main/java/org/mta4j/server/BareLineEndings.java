package org.mta4j.server;

/**
 * What the server does with a bare CR or bare LF in message content or commands, the raw material
 * of SMTP smuggling. Whatever the setting, only {@code <CRLF>.<CRLF>} ends DATA.
 */
public enum BareLineEndings {
  /**
   * The default: read the message to its real end, then refuse it with {@code 550 5.6.0}; a command
   * line ended by a bare LF is refused with {@code 500 5.5.2}.
   */
  REJECT,
  /**
   * Accept, and turn each bare CR or LF into CRLF (as Postfix's {@code smtpd_forbid_bare_newline =
   * normalize}).
   */
  NORMALIZE
}
