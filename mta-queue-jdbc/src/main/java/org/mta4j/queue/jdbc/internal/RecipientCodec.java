package org.mta4j.queue.jdbc.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.mta4j.queue.RecipientState;
import org.mta4j.smtp.Recipient;

/**
 * The recipients column: one line per recipient, in the message's order, nine tab-separated fields
 * (address, NOTIFY values joined by commas, ORCPT, status, diagnostic, DSN code, relay, last
 * attempt as ISO-8601, delay-notified {@code 0|1}). A field is percent-escaped ({@code %}, tab, CR,
 * LF, {@code ~}); a single {@code ~} stands for null. A message's recipients are always read and
 * written together, so they live in its row: a claim or an attempt is one row.
 */
public final class RecipientCodec {
  private static final String NULL = "~";

  private RecipientCodec() {}

  public static String encode(List<RecipientState> recipients) {
    StringBuilder b = new StringBuilder(recipients.size() * 64);
    for (RecipientState r : recipients) {
      Recipient rcpt = r.recipient();
      field(b, rcpt.address()).append('\t');
      List<String> notify = new ArrayList<>();
      for (Recipient.Notify n : Recipient.Notify.values()) {
        if (rcpt.dsnNotify().contains(n)) {
          notify.add(n.name());
        }
      }
      field(b, String.join(",", notify)).append('\t');
      field(b, rcpt.orcpt()).append('\t');
      b.append(r.status().name()).append('\t');
      field(b, r.diagnostic()).append('\t');
      field(b, r.dsnCode()).append('\t');
      field(b, r.relay()).append('\t');
      field(b, r.lastAttempt() == null ? null : r.lastAttempt().toString()).append('\t');
      b.append(r.delayNotified() ? '1' : '0').append('\n');
    }
    return b.toString();
  }

  public static List<RecipientState> decode(String column) {
    List<RecipientState> out = new ArrayList<>();
    int start = 0;
    while (start < column.length()) {
      int end = column.indexOf('\n', start);
      if (end < 0) {
        end = column.length();
      }
      String[] f = column.substring(start, end).split("\t", -1);
      if (f.length != 9) {
        throw new IllegalStateException(
            "recipients column: a line has " + f.length + " fields, not 9");
      }
      Set<Recipient.Notify> notify = EnumSet.noneOf(Recipient.Notify.class);
      String notifyField = unescape(f[1]);
      if (!notifyField.isEmpty()) {
        for (String n : notifyField.split(",")) {
          notify.add(Recipient.Notify.valueOf(n));
        }
      }
      String last = unescape(f[7]);
      out.add(
          new RecipientState(
              new Recipient(unescape(f[0]), notify, unescape(f[2])),
              RecipientState.Status.valueOf(f[3]),
              unescape(f[4]),
              unescape(f[5]),
              unescape(f[6]),
              last == null ? null : Instant.parse(last),
              f[8].equals("1")));
      start = end + 1;
    }
    return out;
  }

  private static StringBuilder field(StringBuilder b, String value) {
    if (value == null) {
      return b.append(NULL);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '%' -> b.append("%25");
        case '\t' -> b.append("%09");
        case '\n' -> b.append("%0A");
        case '\r' -> b.append("%0D");
        case '~' -> b.append("%7E");
        default -> b.append(c);
      }
    }
    return b;
  }

  private static String unescape(String field) {
    if (field.equals(NULL)) {
      return null;
    }
    if (field.indexOf('%') < 0) {
      return field;
    }
    StringBuilder b = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '%' && i + 2 < field.length()) {
        b.append((char) Integer.parseInt(field.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
