package org.mta4j.dkim.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Feeds the header fields named by an {@code h=} list to a hash in canonical form (RFC 6376
 * §5.4.2): a name listed n times takes the n last fields of that name, bottom up; a name listed
 * more often than the message has such fields contributes nothing for the extra entries (that is
 * what makes over-signing refuse added fields).
 */
public final class SignedHeaders {

  private SignedHeaders() {}

  /** Canonicalizes and passes to {@code sink} the fields {@code names} select, in h= order. */
  public static void feed(
      List<HeaderField> fields, List<String> names, boolean relaxed, Consumer<byte[]> sink) {
    Map<String, Integer> nextFromBottom = new HashMap<>();
    for (String name : names) {
      String key = name.toLowerCase(Locale.ROOT);
      int start = nextFromBottom.getOrDefault(key, fields.size() - 1);
      int i = start;
      while (i >= 0 && !fields.get(i).key().equals(key)) {
        i--;
      }
      if (i < 0) {
        nextFromBottom.put(key, -1);
        continue;
      }
      sink.accept(HeaderCanonicalizer.canonicalize(fields.get(i).raw(), relaxed, true));
      nextFromBottom.put(key, i - 1);
    }
  }

  /**
   * The {@code h=} list for a message: each of {@code names} as often as the message has it, and
   * the names in {@code overSigned} once more.
   */
  public static List<String> choose(
      List<HeaderField> fields, List<String> names, java.util.Set<String> overSigned) {
    List<String> chosen = new ArrayList<>();
    for (String name : names) {
      String key = name.toLowerCase(Locale.ROOT);
      for (HeaderField field : fields) {
        if (field.key().equals(key)) {
          chosen.add(key);
        }
      }
      if (overSigned.contains(key)) {
        chosen.add(key);
      }
    }
    return chosen;
  }
}
