package org.mta4j.server.internal;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Parses the arguments of MAIL, RCPT and BDAT: paths per RFC 5321 §4.1.2 (with RFC 6531's UTF-8
 * extension) and ESMTP parameters per §4.1.2's {@code esmtp-param}. Pure functions, no state; a
 * parse that fails returns {@code null} and the caller picks the reply.
 */
final class CommandParser {
  private CommandParser() {}

  /** RFC 5321 §4.5.3.1.3: the longest path, including the angle brackets. */
  static final int MAX_PATH = 256;

  /** The result of splitting {@code FROM:<path> params} or {@code TO:<path> params}. */
  record PathAndParams(MailPath path, Map<String, String> params) {}

  /**
   * Parses the argument of MAIL ({@code prefix} "FROM:") or RCPT ("TO:"). Accepts the common {@code
   * FROM: <a@b>} spacing, as Postfix does. Returns null on any syntax error.
   */
  static PathAndParams parsePathCommand(String args, String prefix, boolean reverse) {
    if (args.length() < prefix.length()
        || !args.regionMatches(true, 0, prefix, 0, prefix.length())) {
      return null;
    }
    int i = prefix.length();
    while (i < args.length() && args.charAt(i) == ' ') {
      i++;
    }
    if (i >= args.length() || args.charAt(i) != '<') {
      return null;
    }
    int close = findPathEnd(args, i);
    if (close < 0 || close - i + 1 > MAX_PATH) {
      return null;
    }
    MailPath path = parsePath(args.substring(i + 1, close), reverse);
    if (path == null) {
      return null;
    }
    Map<String, String> params = parseParams(args.substring(close + 1));
    if (params == null) {
      return null;
    }
    return new PathAndParams(path, params);
  }

  /** The index of the '>' that closes the path starting at {@code open}, skipping quoted parts. */
  private static int findPathEnd(String s, int open) {
    boolean quoted = false;
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == '>') {
        return i;
      } else if (c == '<') {
        return -1;
      }
    }
    return -1;
  }

  /**
   * Parses what is between the angle brackets. The empty path is allowed only as a reverse path
   * ({@code <>}); {@code postmaster} without a domain only as a forward path (RFC 5321 §4.5.1).
   */
  static MailPath parsePath(String inner, boolean reverse) {
    if (inner.isEmpty()) {
      return reverse ? MailPath.NULL : null;
    }
    String mailbox = inner;
    if (inner.charAt(0) == '@') {
      // A-d-l ":" Mailbox -- the source route is checked, then ignored (RFC 5321 §C, §4.1.1.3)
      int colon = inner.indexOf(':');
      if (colon < 0 || !isSourceRoute(inner.substring(0, colon))) {
        return null;
      }
      mailbox = inner.substring(colon + 1);
    }
    if (!reverse && mailbox.equalsIgnoreCase("postmaster")) {
      return new MailPath(mailbox, "", false);
    }
    int at = localPartEnd(mailbox);
    if (at < 0 || at >= mailbox.length() || mailbox.charAt(at) != '@') {
      return null;
    }
    String local = mailbox.substring(0, at);
    String domain = mailbox.substring(at + 1);
    if (!isDomainOrLiteral(domain)) {
      return null;
    }
    return new MailPath(local, domain, !isAscii(mailbox));
  }

  private static boolean isSourceRoute(String adl) {
    for (String part : adl.split(",", -1)) {
      if (part.length() < 2 || part.charAt(0) != '@' || !isDomain(part.substring(1))) {
        return false;
      }
    }
    return true;
  }

  /** The index just past a valid local part at the start of {@code s}, or -1. */
  private static int localPartEnd(String s) {
    if (s.isEmpty()) {
      return -1;
    }
    if (s.charAt(0) == '"') {
      for (int i = 1; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '\\') {
          if (i + 1 >= s.length() || s.charAt(i + 1) < 32 || s.charAt(i + 1) > 126) {
            return -1;
          }
          i++;
        } else if (c == '"') {
          return i + 1;
        } else if (c < 32 || c == 127) {
          return -1; // qtextSMTP is printable; UTF-8 is allowed by RFC 6531
        }
      }
      return -1;
    }
    // Dot-string = Atom *("." Atom)
    int i = 0;
    boolean atomStart = true;
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '.') {
        if (atomStart) {
          return -1;
        }
        atomStart = true;
      } else if (isAtext(c)) {
        atomStart = false;
      } else {
        break;
      }
    }
    return atomStart ? -1 : i;
  }

  static boolean isAtext(char c) {
    if (c >= 0x80) {
      return !Character.isISOControl(c) && !Character.isWhitespace(c); // RFC 6531 UTF8-non-ascii
    }
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
  }

  static boolean isDomainOrLiteral(String d) {
    if (d.startsWith("[")) {
      return d.endsWith("]") && isAddressLiteral(d.substring(1, d.length() - 1));
    }
    return isDomain(d);
  }

  /** Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]; U-labels allowed. */
  static boolean isDomain(String d) {
    if (d.isEmpty() || d.length() > 255) {
      return false;
    }
    int labelLength = 0;
    for (int i = 0; i < d.length(); i++) {
      char c = d.charAt(i);
      if (c == '.') {
        if (labelLength == 0 || d.charAt(i - 1) == '-') {
          return false;
        }
        labelLength = 0;
      } else if (isLetDig(c) || (c == '-' && labelLength > 0)) {
        if (++labelLength > 63) {
          return false;
        }
      } else {
        return false;
      }
    }
    return labelLength > 0 && d.charAt(d.length() - 1) != '-';
  }

  private static boolean isLetDig(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || (c >= 0x80 && Character.isLetterOrDigit(c));
  }

  private static boolean isAddressLiteral(String s) {
    if (s.regionMatches(true, 0, "IPv6:", 0, 5)) {
      String v6 = s.substring(5);
      if (v6.isEmpty() || v6.length() > 45) {
        return false;
      }
      for (int i = 0; i < v6.length(); i++) {
        char c = v6.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
          return false;
        }
      }
      return v6.contains(":");
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses {@code SP esmtp-keyword["=" esmtp-value]} pairs. Keywords are returned upper-cased; a
   * keyword without a value maps to the empty string. Null on bad syntax or a repeated keyword.
   */
  static Map<String, String> parseParams(String s) {
    Map<String, String> params = new LinkedHashMap<>();
    // Only SP separates parameters (RFC 5321 §4.1.2); isBlank()/trim() would also let a trailing
    // CR, LF, TAB or NUL through as "no parameters".
    if (s.chars().allMatch(c -> c == ' ')) {
      return params;
    }
    if (s.charAt(0) != ' ') {
      return null;
    }
    for (String token : s.split(" +")) {
      if (token.isEmpty()) {
        continue; // the split's leading empty token (s starts with SP)
      }
      int eq = token.indexOf('=');
      String key = eq < 0 ? token : token.substring(0, eq);
      String value = eq < 0 ? "" : token.substring(eq + 1);
      if (key.isEmpty() || !isKeyword(key) || (eq >= 0 && !isParamValue(value))) {
        return null;
      }
      if (params.put(key.toUpperCase(Locale.ROOT), value) != null) {
        return null;
      }
    }
    return params;
  }

  private static boolean isKeyword(String k) {
    if (!Character.isLetterOrDigit(k.charAt(0)) || k.charAt(0) >= 0x80) {
      return false;
    }
    for (int i = 0; i < k.length(); i++) {
      char c = k.charAt(i);
      if (!((c < 0x80 && Character.isLetterOrDigit(c)) || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static boolean isParamValue(String v) {
    if (v.isEmpty()) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '=' || c < 33 || c == 127) {
        return false;
      }
    }
    return true;
  }

  /** RFC 3461 §4: xtext = *( xchar / hexchar ), hexchar = "+" 2(HEXDIG upper). */
  static boolean isXtext(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '+') {
        if (i + 2 >= s.length() || !isUpperHex(s.charAt(i + 1)) || !isUpperHex(s.charAt(i + 2))) {
          return false;
        }
        i += 2;
      } else if (c < 33 || c > 126 || c == '=') {
        return false;
      }
    }
    return true;
  }

  private static boolean isUpperHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  }

  /** Parses a decimal size; -1 if not a non-negative number that fits a long. */
  static long parseSize(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return -1;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return -1;
      }
    }
    return Long.parseLong(s);
  }

  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
