package org.mta4j.smtp;

import java.util.Objects;

/**
 * One SMTP reply: a basic code (RFC 5321 §4.2), an enhanced status code (RFC 3463, RFC 2034) and a
 * human-readable text.
 *
 * <p>Replies are values: the server writes them as {@code code SP enhanced SP text}. The enhanced
 * status class must agree with the basic code (a {@code 2xx} reply carries {@code 2.x.x}, a {@code
 * 4xx} reply {@code 4.x.x}, a {@code 5xx} reply {@code 5.x.x}); intermediate {@code 3xx} replies
 * carry no enhanced code. Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * SmtpReply relayDenied = SmtpReply.of(554, "5.7.1", "Relay access denied");
 * }</pre>
 *
 * @param code the three-digit basic reply code, 200 to 599
 * @param enhanced the enhanced status code ({@code class.subject.detail}), or {@code null} for 3xx
 * @param text the text after the codes; never contains CR or LF
 */
public record SmtpReply(int code, String enhanced, String text) {

  public SmtpReply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("code must be 200..599: " + code);
    }
    Objects.requireNonNull(text, "text");
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("text must not contain CR or LF: " + text);
    }
    if (code / 100 == 3) {
      if (enhanced != null) {
        throw new IllegalArgumentException(
            "a 3xx reply carries no enhanced status code: " + enhanced);
      }
    } else {
      Objects.requireNonNull(enhanced, "enhanced");
      if (!isEnhanced(enhanced) || enhanced.charAt(0) - '0' != code / 100) {
        throw new IllegalArgumentException(
            "enhanced status " + enhanced + " does not fit reply code " + code);
      }
    }
  }

  /**
   * {@code [245].d{1,3}.d{1,3}} with ASCII digits, checked by hand: the server builds a reply per
   * message ("queued as ..."), and a regex match was a measurable share of its CPU.
   */
  private static boolean isEnhanced(String s) {
    int n = s.length();
    if (n < 5 || n > 9 || s.charAt(1) != '.') {
      return false;
    }
    char c = s.charAt(0);
    if (c != '2' && c != '4' && c != '5') {
      return false;
    }
    int i = 2;
    int digits = 0;
    while (i < n && isDigit(s.charAt(i))) {
      i++;
      digits++;
    }
    if (digits < 1 || digits > 3 || i >= n || s.charAt(i) != '.') {
      return false;
    }
    i++;
    digits = 0;
    while (i < n && isDigit(s.charAt(i))) {
      i++;
      digits++;
    }
    return digits >= 1 && digits <= 3 && i == n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** A reply with an enhanced status code. */
  public static SmtpReply of(int code, String enhanced, String text) {
    return new SmtpReply(code, enhanced, text);
  }

  /** True for 2xx replies. */
  public boolean isPositive() {
    return code / 100 == 2;
  }

  /** True for 4xx replies. */
  public boolean isTransientFailure() {
    return code / 100 == 4;
  }

  /** True for 5xx replies. */
  public boolean isPermanentFailure() {
    return code / 100 == 5;
  }

  /** The reply as it goes on the wire, without the trailing CRLF. */
  @Override
  public String toString() {
    return enhanced == null ? code + " " + text : code + " " + enhanced + " " + text;
  }
}
