package org.mta4j.client;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mta4j.smtp.SmtpReply;

/**
 * A reply from a remote SMTP server, kept as the server sent it.
 *
 * <p>{@link SmtpReply} is what mta4j's own server sends and is always well-formed; a remote
 * server's reply may lack an RFC 3463 enhanced status code, carry a malformed one, or span several
 * lines. This record keeps the basic code, the enhanced code when the first line starts with a
 * well-formed one whose class agrees with the basic code (as Postfix reads it; otherwise {@code
 * null}), and each line's text verbatim. {@link #toSmtpReply()} gives the project's reply type for
 * DSNs and logs. Immutable and thread-safe.
 *
 * <pre>{@code
 * RemoteReply r = RemoteReply.of(550, "5.1.1 <bob@example.org>: Recipient address rejected");
 * r.enhanced();  // "5.1.1"
 * r.message();   // "<bob@example.org>: Recipient address rejected"
 * }</pre>
 *
 * @param code the three-digit reply code, 200..599 (of the last line, as Postfix reads a multi-line
 *     reply whose lines disagree)
 * @param enhanced the enhanced status code from the first line, or {@code null} when it has none or
 *     a malformed one
 * @param lines the text of each line after the code and its separator, verbatim (an enhanced code
 *     included); at least one, possibly empty
 */
public record RemoteReply(int code, String enhanced, List<String> lines) {

  // RFC 3463 §2: class "." subject "." detail, subject 1-3 digits, detail 1-3 digits.
  private static final Pattern ENHANCED_PREFIX =
      Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?= |$)");

  public RemoteReply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("code must be 200..599: " + code);
    }
    lines = List.copyOf(lines);
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("a reply has at least one line");
    }
    for (String line : lines) {
      if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("reply line must not contain CR or LF: " + line);
      }
    }
    if (enhanced != null) {
      Matcher m = ENHANCED_PREFIX.matcher(enhanced);
      if (!m.matches() || enhanced.charAt(0) - '0' != code / 100) {
        throw new IllegalArgumentException(
            "enhanced status " + enhanced + " does not fit reply code " + code);
      }
    }
  }

  /**
   * A reply with these lines, its enhanced code read from the first line as {@link #enhanced()}
   * describes.
   */
  public static RemoteReply of(int code, String... lines) {
    List<String> list = List.of(lines);
    return new RemoteReply(code, enhancedPrefix(code, list.isEmpty() ? "" : list.get(0)), list);
  }

  /** The enhanced code at the start of {@code text} if it is well-formed and fits {@code code}. */
  static String enhancedPrefix(int code, String text) {
    Matcher m = ENHANCED_PREFIX.matcher(text);
    if (!m.find() || m.group(1).charAt(0) - '0' != code / 100) {
      return null;
    }
    return m.group();
  }

  /** True for 2xx. */
  public boolean isPositive() {
    return code / 100 == 2;
  }

  /** True for 3xx (354 to DATA, 334 during AUTH). */
  public boolean isIntermediate() {
    return code / 100 == 3;
  }

  /** True for 4xx. */
  public boolean isTransientFailure() {
    return code / 100 == 4;
  }

  /** True for 5xx. */
  public boolean isPermanentFailure() {
    return code / 100 == 5;
  }

  /** True for 421: the server is closing the connection (RFC 5321 §3.8). */
  public boolean isClosing() {
    return code == 421;
  }

  /**
   * The human-readable text: the lines joined with a space, each without a leading copy of the
   * enhanced code.
   */
  public String message() {
    StringBuilder out = new StringBuilder();
    for (String line : lines) {
      String text = line;
      if (enhanced != null && text.startsWith(enhanced)) {
        text = text.substring(enhanced.length()).stripLeading();
      }
      if (!out.isEmpty() && !text.isEmpty()) {
        out.append(' ');
      }
      out.append(text);
    }
    return out.toString();
  }

  /**
   * This reply as the project's {@link SmtpReply}. A 2xx, 4xx or 5xx reply without an enhanced code
   * gets {@code class.0.0} (as Postfix does: {@code 4.0.0}, {@code 5.0.0}); a 3xx reply none.
   */
  public SmtpReply toSmtpReply() {
    String status = enhanced;
    if (status == null && !isIntermediate()) {
      status = (code / 100) + ".0.0";
    }
    return SmtpReply.of(code, status, message());
  }

  /** The reply on one line as Postfix logs it: the code, then every line's text. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder().append(code);
    for (String line : lines) {
      if (!line.isEmpty()) {
        out.append(' ').append(line);
      }
    }
    return out.toString();
  }
}
