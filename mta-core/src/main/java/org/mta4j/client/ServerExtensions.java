package org.mta4j.client;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The SMTP service extensions a server announced in its EHLO reply (RFC 5321 §4.1.1.1), by
 * upper-case keyword with the parameters as given. A server that only answered HELO has none.
 * Immutable and thread-safe.
 *
 * @param esmtp true when the server answered EHLO, false after the HELO fallback
 * @param keywords each announced keyword (upper case) mapped to its parameters (possibly empty)
 */
public record ServerExtensions(boolean esmtp, Map<String, String> keywords) {

  /** What a server that only speaks HELO offers: nothing. */
  public static final ServerExtensions NONE = new ServerExtensions(false, Map.of());

  public ServerExtensions {
    keywords = Map.copyOf(keywords);
  }

  /**
   * The extensions in an EHLO reply: its first line is the server's name, each further line a
   * keyword and its parameters. Blank lines are skipped; the old {@code AUTH=PLAIN LOGIN} form
   * counts as AUTH.
   */
  public static ServerExtensions fromEhlo(RemoteReply ehlo) {
    Map<String, String> keywords = new LinkedHashMap<>();
    for (String line : ehlo.lines().subList(1, ehlo.lines().size())) {
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      int split = firstSeparator(trimmed);
      String keyword = (split < 0 ? trimmed : trimmed.substring(0, split)).toUpperCase(Locale.ROOT);
      String parameters = split < 0 ? "" : trimmed.substring(split + 1).strip();
      if (keywords.containsKey(keyword) && keyword.equals(Protocol.EXT_AUTH)) {
        // "AUTH PLAIN" and "AUTH=LOGIN" together: keep both lists.
        parameters = keywords.get(keyword) + " " + parameters;
      }
      keywords.put(keyword, parameters);
    }
    return new ServerExtensions(true, keywords);
  }

  private static int firstSeparator(String line) {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == ' ' || c == '=') {
        return i;
      }
    }
    return -1;
  }

  /** True when {@code keyword} (any case) was announced. */
  public boolean supports(String keyword) {
    return keywords.containsKey(keyword.toUpperCase(Locale.ROOT));
  }

  /** PIPELINING (RFC 2920). */
  public boolean pipelining() {
    return supports(Protocol.EXT_PIPELINING);
  }

  /** 8BITMIME (RFC 6152). */
  public boolean eightBitMime() {
    return supports(Protocol.EXT_8BITMIME);
  }

  /** SMTPUTF8 (RFC 6531). */
  public boolean smtpUtf8() {
    return supports(Protocol.EXT_SMTPUTF8);
  }

  /** CHUNKING: the BDAT command (RFC 3030). */
  public boolean chunking() {
    return supports(Protocol.EXT_CHUNKING);
  }

  /** BINARYMIME (RFC 3030 §3). */
  public boolean binaryMime() {
    return supports(Protocol.EXT_BINARYMIME);
  }

  /** STARTTLS (RFC 3207). */
  public boolean startTls() {
    return supports(Protocol.EXT_STARTTLS);
  }

  /** DSN (RFC 3461). */
  public boolean dsn() {
    return supports(Protocol.EXT_DSN);
  }

  /** ENHANCEDSTATUSCODES (RFC 2034). */
  public boolean enhancedStatusCodes() {
    return supports(Protocol.EXT_ENHANCEDSTATUSCODES);
  }

  /** SIZE (RFC 1870) announced at all, with or without a limit. */
  public boolean size() {
    return supports(Protocol.EXT_SIZE);
  }

  /**
   * The largest message the server takes, from {@code SIZE n}; empty when SIZE is absent, has no
   * number, is 0 ("no fixed maximum", RFC 1870 §4) or is not a number.
   */
  public OptionalLong sizeLimit() {
    String value = keywords.get(Protocol.EXT_SIZE);
    if (value == null || value.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      long limit = Long.parseLong(value.split(" ", 2)[0]);
      return limit > 0 ? OptionalLong.of(limit) : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The SASL mechanisms after AUTH (RFC 4954 §3), upper case; empty when AUTH is absent. */
  public Set<String> authMechanisms() {
    String value = keywords.get(Protocol.EXT_AUTH);
    if (value == null || value.isBlank()) {
      return Set.of();
    }
    Set<String> mechanisms = new LinkedHashSet<>();
    Arrays.stream(value.strip().split("\\s+"))
        .map(m -> m.toUpperCase(Locale.ROOT))
        .forEach(mechanisms::add);
    return Set.copyOf(mechanisms);
  }
}
