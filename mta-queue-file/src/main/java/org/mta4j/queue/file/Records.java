package org.mta4j.queue.file;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/**
 * The two record bodies of the file queue, the envelope and the state, as bytes (layout in the
 * module's README). Enums are written by name so that reordering a constant cannot change what an
 * old file means; a record that does not parse is a {@link CorruptFileException}, never a runtime
 * exception.
 */
final class Records {
  static final int ENVELOPE_VERSION = 1;
  static final int STATE_VERSION = 1;

  private Records() {}

  /** The state a message can be in besides its envelope: what the state file holds. */
  record State(int attempts, Instant nextAttemptAt, boolean held, List<RecipientState> recipients) {
    State {
      recipients = List.copyOf(recipients);
    }
  }

  static byte[] envelope(NewMessage m) {
    Out out = new Out();
    out.u8(ENVELOPE_VERSION);
    out.string(m.id());
    out.string(m.reversePath());
    out.instant(m.arrivedAt());
    MailParameters p = m.parameters();
    out.string(p.body().name());
    out.i64(p.declaredSize());
    out.bool(p.smtpUtf8());
    out.nullableString(p.ret() == null ? null : p.ret().name());
    out.nullableString(p.envid());
    out.nullableString(p.auth());
    out.i32(m.recipients().size());
    for (Recipient r : m.recipients()) {
      out.string(r.address());
      // sorted, so that the same recipient always gives the same bytes
      Set<Recipient.Notify> notify =
          r.dsnNotify().isEmpty() ? Set.of() : EnumSet.copyOf(r.dsnNotify());
      out.i32(notify.size());
      for (Recipient.Notify n : notify) {
        out.string(n.name());
      }
      out.nullableString(r.orcpt());
    }
    return out.bytes();
  }

  static NewMessage parseEnvelope(byte[] bytes) throws CorruptFileException {
    In in = new In(bytes, "envelope");
    try {
      int version = in.u8();
      if (version != ENVELOPE_VERSION) {
        throw new CorruptFileException("unknown envelope version " + version);
      }
      String id = in.string();
      String reversePath = in.string();
      Instant arrivedAt = in.instant();
      MailParameters.Body body = MailParameters.Body.valueOf(in.string());
      long declaredSize = in.i64();
      boolean smtpUtf8 = in.bool();
      String ret = in.nullableString();
      String envid = in.nullableString();
      String auth = in.nullableString();
      MailParameters parameters =
          new MailParameters(
              body,
              declaredSize,
              smtpUtf8,
              ret == null ? null : MailParameters.Ret.valueOf(ret),
              envid,
              auth);
      int count = in.count();
      List<Recipient> recipients = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String address = in.string();
        int notifyCount = in.count();
        Set<Recipient.Notify> notify = EnumSet.noneOf(Recipient.Notify.class);
        for (int j = 0; j < notifyCount; j++) {
          notify.add(Recipient.Notify.valueOf(in.string()));
        }
        recipients.add(new Recipient(address, notify, in.nullableString()));
      }
      in.end();
      return new NewMessage(id, reversePath, recipients, parameters, arrivedAt);
    } catch (IllegalArgumentException | NullPointerException | DateTimeException e) {
      throw new CorruptFileException("envelope does not parse: " + e.getMessage());
    }
  }

  static byte[] state(String id, State s) {
    Out out = new Out();
    out.u8(STATE_VERSION);
    out.string(id);
    out.i32(s.attempts());
    out.instant(s.nextAttemptAt());
    out.bool(s.held());
    out.i32(s.recipients().size());
    for (RecipientState r : s.recipients()) {
      out.string(r.status().name());
      out.string(r.diagnostic());
      out.string(r.dsnCode());
      out.string(r.relay());
      out.bool(r.lastAttempt() != null);
      if (r.lastAttempt() != null) {
        out.instant(r.lastAttempt());
      }
      out.bool(r.delayNotified());
    }
    return out.bytes();
  }

  /** The state for {@code envelope}, whose id and recipient count it must match. */
  static State parseState(byte[] bytes, NewMessage envelope) throws CorruptFileException {
    In in = new In(bytes, "state");
    try {
      int version = in.u8();
      if (version != STATE_VERSION) {
        throw new CorruptFileException("unknown state version " + version);
      }
      String id = in.string();
      if (!id.equals(envelope.id())) {
        throw new CorruptFileException("state of " + id + " next to the message " + envelope.id());
      }
      int attempts = in.i32();
      if (attempts < 0) {
        throw new CorruptFileException("negative attempt count " + attempts);
      }
      Instant next = in.instant();
      boolean held = in.bool();
      int count = in.count();
      if (count != envelope.recipients().size()) {
        throw new CorruptFileException(
            count + " recipient states for " + envelope.recipients().size() + " recipients");
      }
      List<RecipientState> states = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        RecipientState.Status status = RecipientState.Status.valueOf(in.string());
        String diagnostic = in.string();
        String dsnCode = in.string();
        String relay = in.string();
        Instant last = in.bool() ? in.instant() : null;
        boolean delayNotified = in.bool();
        states.add(
            new RecipientState(
                envelope.recipients().get(i),
                status,
                diagnostic,
                dsnCode,
                relay,
                last,
                delayNotified));
      }
      in.end();
      return new State(attempts, next, held, states);
    } catch (IllegalArgumentException | NullPointerException | DateTimeException e) {
      throw new CorruptFileException("state does not parse: " + e.getMessage());
    }
  }

  /** Big-endian primitives and length-prefixed UTF-8 strings (-1 for null). */
  private static final class Out {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    private final DataOutputStream data = new DataOutputStream(bytes);

    void u8(int v) {
      run(() -> data.writeByte(v));
    }

    void bool(boolean v) {
      run(() -> data.writeBoolean(v));
    }

    void i32(int v) {
      run(() -> data.writeInt(v));
    }

    void i64(long v) {
      run(() -> data.writeLong(v));
    }

    void instant(Instant t) {
      i64(t.getEpochSecond());
      i32(t.getNano());
    }

    void string(String s) {
      byte[] b = s.getBytes(UTF_8);
      i32(b.length);
      run(() -> data.write(b));
    }

    void nullableString(String s) {
      if (s == null) {
        i32(-1);
      } else {
        string(s);
      }
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }

    /** A ByteArrayOutputStream does not fail; DataOutputStream just says it might. */
    private static void run(IoAction a) {
      try {
        a.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @FunctionalInterface
    private interface IoAction {
      void run() throws IOException;
    }
  }

  /** Reads what {@link Out} wrote, checking every length against what is left. */
  private static final class In {
    private final ByteBuffer buf;
    private final String what;

    In(byte[] bytes, String what) {
      this.buf = ByteBuffer.wrap(bytes);
      this.what = what;
    }

    int u8() throws CorruptFileException {
      return get(() -> buf.get() & 0xff);
    }

    boolean bool() throws CorruptFileException {
      int b = u8();
      if (b > 1) {
        throw new CorruptFileException(what + ": bad boolean " + b);
      }
      return b == 1;
    }

    int i32() throws CorruptFileException {
      return get(buf::getInt);
    }

    long i64() throws CorruptFileException {
      return get(buf::getLong);
    }

    Instant instant() throws CorruptFileException {
      long seconds = i64();
      int nanos = i32();
      if (nanos < 0 || nanos > 999_999_999) {
        throw new CorruptFileException(what + ": bad nanoseconds " + nanos);
      }
      return Instant.ofEpochSecond(seconds, nanos);
    }

    /** A count of things that take at least one byte each. */
    int count() throws CorruptFileException {
      int n = i32();
      if (n < 0 || n > buf.remaining()) {
        throw new CorruptFileException(what + ": bad count " + n);
      }
      return n;
    }

    String string() throws CorruptFileException {
      String s = nullableString();
      if (s == null) {
        throw new CorruptFileException(what + ": missing string");
      }
      return s;
    }

    String nullableString() throws CorruptFileException {
      int n = i32();
      if (n == -1) {
        return null;
      }
      if (n < 0 || n > buf.remaining()) {
        throw new CorruptFileException(what + ": bad string length " + n);
      }
      byte[] b = new byte[n];
      buf.get(b);
      return new String(b, UTF_8);
    }

    void end() throws CorruptFileException {
      if (buf.hasRemaining()) {
        throw new CorruptFileException(what + ": " + buf.remaining() + " bytes after the record");
      }
    }

    private <T> T get(java.util.function.Supplier<T> read) throws CorruptFileException {
      try {
        return read.get();
      } catch (BufferUnderflowException e) {
        throw new CorruptFileException(what + ": record ends early");
      }
    }
  }
}
