package org.mta4j.server.internal;

import java.util.Locale;

/**
 * A parsed mailbox of a MAIL or RCPT path (RFC 5321 §4.1.2), any source route dropped (§C).
 *
 * @param localPart the local part as written, quotes included
 * @param domain the domain or address literal, as written; empty only for {@code <postmaster>}
 * @param utf8 true when the path holds non-ASCII characters (needs SMTPUTF8, RFC 6531)
 */
record MailPath(String localPart, String domain, boolean utf8) {

  static final MailPath NULL = new MailPath("", "", false);

  boolean isNull() {
    return localPart.isEmpty() && domain.isEmpty();
  }

  /** The address as it is handed on: {@code local@domain}, or {@code postmaster}, or empty. */
  String address() {
    if (domain.isEmpty()) {
      return localPart;
    }
    return localPart + "@" + domain;
  }

  String domainLowerCase() {
    return domain.toLowerCase(Locale.ROOT);
  }

  /** The local part without quotes and quoting backslashes. */
  String unquotedLocalPart() {
    if (localPart.length() < 2 || localPart.charAt(0) != '"') {
      return localPart;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 1; i < localPart.length() - 1; i++) {
      char c = localPart.charAt(i);
      if (c == '\\' && i + 1 < localPart.length() - 1) {
        c = localPart.charAt(++i);
      }
      b.append(c);
    }
    return b.toString();
  }
}
