package org.mta4j.intake.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.util.MimeUtil;
import org.mta4j.intake.ContentStep;
import org.mta4j.intake.IntakeMessage;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueStore;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Postfix's {@code cleanup}: the only writer to the queue, for mail from the SMTP server, from
 * {@code submit()} and for bounces. Adds {@code Message-ID} and {@code Date} when missing (after
 * the existing headers, as Postfix does), drops duplicate recipients, enforces the size limit, and
 * returns only once the store has the message.
 */
public final class Intake {
  private static final Logger log = LoggerFactory.getLogger(Intake.class);
  private static final DateTimeFormatter RFC5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

  /** A header block larger than this is not searched; missing headers then go on top. */
  private static final int HEADER_SCAN_LIMIT = 256 * 1024;

  /** Opens the content again from its first byte. */
  @FunctionalInterface
  public interface ContentOpener {
    InputStream open() throws IOException;
  }

  /** Told after each message is queued (the scheduler wakes up). */
  @FunctionalInterface
  public interface QueuedListener {
    void queued(NewMessage message, long size);
  }

  private final QueueStore store;
  private final String hostname;
  private final Clock clock;
  private final QueueIds ids;
  private final long maxMessageSize;
  private final QueuedListener listener;
  private final List<ContentStep> steps;

  /** The steps that may remove arriving header fields (those that override {@code removes}). */
  private final List<ContentStep> removers;

  public Intake(
      QueueStore store,
      String hostname,
      Clock clock,
      QueueIds ids,
      long maxMessageSize,
      List<ContentStep> steps,
      QueuedListener listener) {
    this.store = store;
    this.hostname = hostname;
    this.clock = clock;
    this.ids = ids;
    this.maxMessageSize = maxMessageSize;
    this.listener = listener;
    this.steps = List.copyOf(steps);
    this.removers = this.steps.stream().filter(Intake::overridesRemoves).toList();
  }

  /** A new queue id, for a server transaction that wants it before the content arrives. */
  public String newId() {
    return ids.next();
  }

  /**
   * Queues one message and returns when it is durable.
   *
   * @param id the queue id ({@link #newId()})
   * @param size the content size, for the limit
   * @throws MessageTooBigException the content is over the size limit; nothing was queued
   * @throws IOException the store failed; nothing was queued
   */
  public String accept(
      String id,
      String reversePath,
      List<Recipient> recipients,
      MailParameters parameters,
      long size,
      ContentOpener content)
      throws IOException {
    if (size > maxMessageSize) {
      throw new MessageTooBigException(size, maxMessageSize);
    }
    List<Recipient> unique = dedup(recipients);
    NewMessage message = new NewMessage(id, reversePath, unique, parameters, clock.instant());
    HeaderBlock arrived;
    try (InputStream in = content.open()) {
      arrived = HeaderBlock.read(in, HEADER_SCAN_LIMIT);
    }
    long consumed = arrived.length();
    HeaderBlock head = withoutRemovedFields(arrived, id);
    byte[] added = missingHeaders(head, id);
    IntakeMessage.Content composed =
        () -> {
          InputStream in = content.open();
          in.skipNBytes(consumed);
          return compose(head, added, in);
        };
    byte[] stepHeaders = runSteps(new IntakeMessage(id, reversePath, unique, parameters, composed));
    try (InputStream in = composed.open()) {
      store.enqueue(message, new SequenceInputStream(new ByteArrayInputStream(stepHeaders), in));
    }
    log.info(
        "{}: from=<{}>, size={}, nrcpt={} (queue active)", id, reversePath, size, unique.size());
    listener.queued(message, size);
    return id;
  }

  /** Header block, intake's added fields after it, then the rest of the content. */
  private static InputStream compose(HeaderBlock head, byte[] added, InputStream rest) {
    if (!head.found()) {
      return new SequenceInputStream(
          new ByteArrayInputStream(added),
          new SequenceInputStream(new ByteArrayInputStream(head.bytes(), 0, head.length()), rest));
    }
    return new SequenceInputStream(
        new SequenceInputStream(
            new ByteArrayInputStream(head.bytes(), 0, head.headerLength()),
            new ByteArrayInputStream(added)),
        new SequenceInputStream(
            new ByteArrayInputStream(
                head.bytes(), head.headerLength(), head.length() - head.headerLength()),
            rest));
  }

  /** Runs the content steps; their header fields, in step order, CRLF-terminated. */
  private byte[] runSteps(IntakeMessage message) throws IOException {
    if (steps.isEmpty()) {
      return new byte[0];
    }
    StringBuilder b = new StringBuilder();
    for (ContentStep step : steps) {
      List<String> fields;
      try {
        fields = step.headersToPrepend(message);
      } catch (RuntimeException e) {
        throw new IOException("content step " + step.getClass().getName() + " failed: " + e, e);
      }
      for (String f : fields) {
        if (f.isEmpty() || f.indexOf(':') <= 0 || f.endsWith("\r\n")) {
          throw new IOException(
              "content step " + step.getClass().getName() + " gave a bad field: " + f);
        }
        b.append(f).append("\r\n");
      }
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private byte[] missingHeaders(HeaderBlock head, String id) {
    Set<String> present = head.found() ? fieldNames(head) : Set.of();
    StringBuilder b = new StringBuilder();
    if (!present.contains("message-id")) {
      b.append("Message-ID: <").append(id).append('@').append(hostname).append(">\r\n");
    }
    if (!present.contains("date")) {
      b.append("Date: ")
          .append(RFC5322_DATE.format(clock.instant().atZone(clock.getZone())))
          .append("\r\n");
    }
    return b.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The header block without the fields a step removes ({@link ContentStep#removes}). The block is
   * rebuilt only when a field goes, and only when mime4j's fields account for every byte of it;
   * otherwise it is kept as it arrived (with a WARN), never shortened by a misread.
   */
  private HeaderBlock withoutRemovedFields(HeaderBlock head, String id) {
    if (!head.found() || removers.isEmpty()) {
      return head;
    }
    List<RawField> fields = rawFields(head);
    ByteArrayOutputStream kept = new ByteArrayOutputStream(head.length());
    long accounted = 0;
    int removed = 0;
    for (RawField f : fields) {
      accounted += f.raw.length + 2;
      if (stepsRemove(f)) {
        removed++;
      } else {
        kept.write(f.raw, 0, f.raw.length);
        kept.write('\r');
        kept.write('\n');
      }
    }
    if (removed == 0) {
      return head;
    }
    if (accounted != head.headerLength()) {
      log.warn(
          "{}: not removing {} header field(s): the header did not parse cleanly", id, removed);
      return head;
    }
    log.info("{}: removed {} header field(s) at intake", id, removed);
    int headerLength = kept.size();
    kept.write(head.bytes(), head.headerLength(), head.length() - head.headerLength());
    byte[] bytes = kept.toByteArray();
    return new HeaderBlock(bytes, bytes.length, headerLength, true);
  }

  private static boolean overridesRemoves(ContentStep step) {
    try {
      return step.getClass().getMethod("removes", String.class, String.class).getDeclaringClass()
          != ContentStep.class;
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }

  private boolean stepsRemove(RawField f) {
    for (ContentStep step : removers) {
      if (step.removes(f.name, f.value)) {
        return true;
      }
    }
    return false;
  }

  /** A header field as it arrived: name, unfolded body, and its bytes without the final CRLF. */
  private record RawField(String name, String value, byte[] raw) {}

  /** The fields of the header block, in order, as mime4j reads them. */
  private static List<RawField> rawFields(HeaderBlock head) {
    List<RawField> fields = new ArrayList<>();
    forEachField(
        head,
        f -> {
          String body = f.getBody() == null ? "" : f.getBody();
          fields.add(
              new RawField(f.getName(), MimeUtil.unfold(body).strip(), f.getRaw().toByteArray()));
        });
    return fields;
  }

  /** The header field names present, lower-cased, as mime4j reads them. */
  private static Set<String> fieldNames(HeaderBlock head) {
    Set<String> names = new HashSet<>();
    forEachField(head, f -> names.add(f.getName().toLowerCase(Locale.ROOT)));
    return names;
  }

  /** Hands each field of the header block to {@code action}, in order, as mime4j reads them. */
  private static void forEachField(HeaderBlock head, Consumer<Field> action) {
    ByteArrayOutputStream header = new ByteArrayOutputStream(head.headerLength() + 2);
    header.write(head.bytes(), 0, head.headerLength());
    header.write('\r');
    header.write('\n');
    MimeTokenStream tokens = new MimeTokenStream(MimeConfig.PERMISSIVE);
    tokens.parse(new ByteArrayInputStream(header.toByteArray()));
    try {
      for (EntityState s = tokens.getState();
          s != EntityState.T_END_HEADER && s != EntityState.T_END_OF_STREAM;
          s = tokens.next()) {
        if (s == EntityState.T_FIELD) {
          action.accept(tokens.getField());
        }
      }
    } catch (MimeException | IOException e) {
      log.debug("header scan stopped: {}", e.toString());
    }
  }

  /** Drops repeated recipients (same local part, same domain ignoring case); the first wins. */
  static List<Recipient> dedup(List<Recipient> recipients) {
    Map<String, Recipient> seen = new LinkedHashMap<>();
    for (Recipient r : recipients) {
      String a = r.address();
      int at = a.lastIndexOf('@');
      String key = at < 0 ? a.toLowerCase(Locale.ROOT) : a.substring(0, at) + "@" + r.domain();
      seen.putIfAbsent(key, r);
    }
    return new ArrayList<>(seen.values());
  }

  /**
   * The start of a message, read far enough to find the end of the header block (the first empty
   * line), within a limit.
   *
   * @param headerLength bytes of header lines, each with its CRLF, before the empty line
   * @param found true when the empty line was found within the limit
   */
  record HeaderBlock(byte[] bytes, int length, int headerLength, boolean found) {
    static HeaderBlock read(InputStream in, int limit) throws IOException {
      byte[] buf = new byte[Math.min(limit, 8192)];
      int n = 0;
      int scanned = 0;
      while (n < limit) {
        if (n == buf.length) {
          buf = java.util.Arrays.copyOf(buf, Math.min(limit, buf.length * 2));
        }
        int r = in.read(buf, n, buf.length - n);
        if (r < 0) {
          break;
        }
        n += r;
        int end = headerEnd(buf, scanned, n);
        if (end >= 0) {
          return new HeaderBlock(buf, n, end, true);
        }
        scanned = Math.max(0, n - 3);
      }
      int end = headerEnd(buf, 0, n);
      return end >= 0 ? new HeaderBlock(buf, n, end, true) : new HeaderBlock(buf, n, n, false);
    }

    /** Index just after the CRLF that ends the last header line, or -1. */
    private static int headerEnd(byte[] b, int from, int to) {
      if (from == 0 && to >= 2 && b[0] == '\r' && b[1] == '\n') {
        return 0; // no header at all, body follows at once
      }
      for (int i = Math.max(from, 0); i + 3 < to; i++) {
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
          return i + 2;
        }
      }
      return -1;
    }
  }
}
