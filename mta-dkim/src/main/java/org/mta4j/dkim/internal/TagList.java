package org.mta4j.dkim.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A DKIM tag=value list (RFC 6376 §3.2), as used by the DKIM-Signature field and the key record.
 * Values are returned with the whitespace at both ends removed; {@link #compact} also removes the
 * folding whitespace inside (base64 values).
 */
public final class TagList {

  private final Map<String, String> tags;

  private TagList(Map<String, String> tags) {
    this.tags = Collections.unmodifiableMap(tags);
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the problem: a tag without '=', a bad tag name, a
   *     duplicate tag
   */
  public static TagList parse(String text) {
    Map<String, String> tags = new LinkedHashMap<>();
    String[] specs = text.split(";", -1);
    for (int i = 0; i < specs.length; i++) {
      String spec = specs[i];
      if (spec.isBlank()) {
        if (i == specs.length - 1) {
          break; // a final ';' is allowed
        }
        throw new IllegalArgumentException("empty tag in tag list");
      }
      int equals = spec.indexOf('=');
      if (equals < 0) {
        throw new IllegalArgumentException("tag without '=': '" + spec.strip() + "'");
      }
      String name = spec.substring(0, equals).strip();
      if (!name.matches("[A-Za-z][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException("bad tag name: '" + name + "'");
      }
      String value = spec.substring(equals + 1).strip();
      if (tags.putIfAbsent(name, value) != null) {
        throw new IllegalArgumentException("duplicate tag: " + name);
      }
    }
    return new TagList(tags);
  }

  /** The value of {@code name}, or null when the tag is absent. */
  public String get(String name) {
    return tags.get(name);
  }

  /** Whether {@code name} is present. */
  public boolean has(String name) {
    return tags.containsKey(name);
  }

  /** The first tag's name, or null for an empty list. */
  public String firstName() {
    return tags.isEmpty() ? null : tags.keySet().iterator().next();
  }

  /** {@code value} without any whitespace (folding inside base64 values). */
  public static String compact(String value) {
    return value == null ? null : value.replaceAll("[ \t\r\n]", "");
  }
}
