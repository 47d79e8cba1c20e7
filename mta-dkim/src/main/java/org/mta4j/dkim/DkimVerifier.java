package org.mta4j.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.mta4j.dkim.internal.VerifyEngine;
import org.mta4j.dns.DnsResolver;
import org.mta4j.intake.ContentStep;
import org.mta4j.intake.IntakeMessage;

/**
 * Verifies the DKIM signatures of received mail (RFC 6376 §6, RFC 8463), fetching the keys through
 * a {@link DnsResolver}.
 *
 * <pre>{@code
 * DkimVerifier verifier = new DkimVerifier(DnsjavaResolver.builder().build(), Clock.systemUTC());
 * for (DkimResult result : verifier.verify(in)) { ... }
 * // as a server policy: every accepted message gets an Authentication-Results field
 * Mta.builder().contentStep(verifier.authenticationResultsStep("mx.example.org"))...
 * }</pre>
 *
 * <p>Each signature gets a {@link DkimResult}; the message is read once, and each body
 * canonicalization is hashed once however many signatures use it. At most {@value
 * VerifyEngine#MAX_SIGNATURES} signatures of a message are checked. {@code l=} is honoured, {@code
 * t=} in the future is not refused, {@code x=} in the past is {@link DkimResult.Status#FAIL}.
 * Thread-safe.
 */
public final class DkimVerifier {

  // RFC 8601 §2.5: authserv-id is a value (a token or quoted string); mta4j takes a token
  private static final Pattern TOKEN = Pattern.compile("[!#-'*+\\-.0-9A-Z^-~]+");

  private final VerifyEngine engine;

  /**
   * @param dns where the key records ({@code selector._domainkey.domain} TXT) come from
   * @param clock the time {@code x=} is compared with
   */
  public DkimVerifier(DnsResolver dns, Clock clock) {
    this.engine =
        new VerifyEngine(
            Objects.requireNonNull(dns, "dns"), Objects.requireNonNull(clock, "clock"));
  }

  /**
   * The result of each DKIM-Signature field of {@code message} (read to its end, not closed), top
   * first; empty when the message is not signed.
   *
   * @throws IOException when the message cannot be read or its header exceeds 1 MiB or 10,000
   *     fields
   */
  public List<DkimResult> verify(InputStream message) throws IOException {
    List<DkimResult> results = new ArrayList<>();
    for (VerifyEngine.Outcome outcome : engine.verify(Objects.requireNonNull(message, "message"))) {
      results.add(
          new DkimResult(
              DkimResult.Status.valueOf(outcome.verdict().name()),
              outcome.domain().toLowerCase(java.util.Locale.ROOT),
              outcome.selector(),
              outcome.algorithm(),
              outcome.identity(),
              outcome.signature(),
              outcome.reason()));
    }
    return results;
  }

  /**
   * The {@code Authentication-Results} field (RFC 8601) for these results, without its final CRLF:
   * {@code dkim=none} for none, else one {@code dkim=} result per signature with {@code header.d},
   * {@code header.s}, {@code header.a} and the first 8 characters of {@code b=} as {@code header.b}
   * (RFC 6008).
   *
   * @param authservId the receiving server's name (a token such as {@code mx.example.org})
   */
  public static String authenticationResults(String authservId, List<DkimResult> results) {
    checkAuthservId(authservId);
    StringBuilder field = new StringBuilder("Authentication-Results: ").append(authservId);
    if (results.isEmpty()) {
      return field.append(";\r\n\tdkim=none").toString();
    }
    for (DkimResult result : results) {
      field.append(";\r\n\tdkim=").append(result.status().keyword());
      if (!result.reason().isEmpty()) {
        field.append(" reason=").append(quoted(result.reason()));
      }
      appendProperty(field, "header.d", result.domain());
      appendProperty(field, "header.s", result.selector());
      appendProperty(field, "header.a", result.algorithm());
      String b = result.signature();
      appendProperty(field, "header.b", b.length() > 8 ? b.substring(0, 8) : b);
    }
    return field.toString();
  }

  /**
   * A {@link ContentStep} that verifies each message in intake and puts an {@code
   * Authentication-Results} field on top of it, naming this server {@code authservId}: turn it on
   * as a server policy with {@code Mta.builder().contentStep(...)}. It sees every message intake
   * takes, submitted ones too (which are usually unsigned: {@code dkim=none}).
   *
   * <p>An {@code Authentication-Results} field that the message arrived with and that claims to
   * come from {@code authservId} (compared ignoring case) is deleted before any step sees the
   * message, as RFC 8601 §5 requires of a server inside whose trust boundary the claim would be:
   * only this step speaks for {@code authservId}. Fields of other authserv-ids stay.
   */
  public ContentStep authenticationResultsStep(String authservId) {
    checkAuthservId(authservId);
    return new ContentStep() {
      @Override
      public List<String> headersToPrepend(IntakeMessage message) throws IOException {
        try (InputStream content = message.openContent()) {
          return List.of(authenticationResults(authservId, verify(content)));
        }
      }

      @Override
      public boolean removes(String name, String value) {
        return name.equalsIgnoreCase("Authentication-Results")
            && authservId.equalsIgnoreCase(authservIdOf(value));
      }
    };
  }

  /**
   * The authserv-id an {@code Authentication-Results} body starts with (RFC 8601 §2.2: after
   * optional white space and comments, a token or a quoted string); empty when there is none.
   */
  static String authservIdOf(String value) {
    int i = skipCfws(value, 0);
    if (i < value.length() && value.charAt(i) == '"') {
      StringBuilder id = new StringBuilder();
      for (i++; i < value.length() && value.charAt(i) != '"'; i++) {
        char c = value.charAt(i);
        if (c == '\\' && i + 1 < value.length()) {
          c = value.charAt(++i);
        }
        id.append(c);
      }
      return id.toString();
    }
    int start = i;
    while (i < value.length() && " \t;(".indexOf(value.charAt(i)) < 0) {
      i++;
    }
    return value.substring(start, i);
  }

  /** The index after white space and (nested) comments from {@code i}. */
  private static int skipCfws(String value, int i) {
    int depth = 0;
    for (; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\\' && depth > 0) {
        i++;
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && depth > 0) {
        depth--;
      } else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
        return i;
      }
    }
    return i;
  }

  private static void checkAuthservId(String authservId) {
    Objects.requireNonNull(authservId, "authservId");
    if (!TOKEN.matcher(authservId).matches()) {
      throw new IllegalArgumentException(
          "authservId must be a token such as a host name: '" + authservId + "'");
    }
  }

  private static void appendProperty(StringBuilder field, String name, String value) {
    if (value.isEmpty()) {
      return;
    }
    field.append(' ').append(name).append('=');
    field.append(TOKEN.matcher(value).matches() ? value : quoted(value));
  }

  private static String quoted(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c < ' ' || c > '~' ? '?' : c);
    }
    return out.append('"').toString();
  }
}
