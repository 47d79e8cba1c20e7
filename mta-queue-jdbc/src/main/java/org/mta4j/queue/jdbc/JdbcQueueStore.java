package org.mta4j.queue.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.RecipientState;
import org.mta4j.queue.jdbc.internal.ChunkedContent;
import org.mta4j.queue.jdbc.internal.Dialect;
import org.mta4j.queue.jdbc.internal.RecipientCodec;
import org.mta4j.queue.jdbc.internal.Schema;
import org.mta4j.smtp.MailParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueueStore} in the application's database, on its own {@link DataSource}: H2 (embedded,
 * file or in-memory) for one node, PostgreSQL for one or several nodes sharing one queue.
 *
 * <pre>{@code
 * JdbcQueueStore store = JdbcQueueStore.builder()
 *     .dataSource(dataSource)      // required
 *     .tablePrefix("mta_")         // the default
 *     .schema("mail")              // optional
 *     .build();                    // creates or migrates the tables (createSchema(true), default)
 * Mta mta = Mta.builder().queueStore(store)...build();
 * }</pre>
 *
 * <p><b>Durability.</b> {@link #enqueue} returns after the transaction that holds the whole message
 * (envelope and every content chunk) committed: on PostgreSQL that is on disk (with its default
 * {@code synchronous_commit = on}). <b>H2 is not crash-safe</b>: it keeps a commit in memory for
 * {@code WRITE_DELAY} (500 ms by default), and even with {@code WRITE_DELAY=0} mta4j's kill test
 * ({@code kill -9} while SMTP sessions send) lost acknowledged messages in some runs. {@link
 * Builder#build} logs a WARN for every H2 database; use PostgreSQL, or the file queue, for mail
 * that must not be lost. A failed enqueue rolls back: nothing of the message remains.
 *
 * <p><b>Several nodes.</b> {@link #claimDue} locks due rows with {@code SELECT … FOR UPDATE SKIP
 * LOCKED}, so nodes claiming at once take different messages without waiting for each other, and
 * leases each to the calling node until {@code now + lease}. A node that dies loses its leases when
 * they expire, and another node claims the messages again. {@link #recordAttempt} is checked
 * against the lease in the same row lock: once another node claimed the message, the old owner's
 * outcome is refused ({@code false}), so it cannot overwrite the new owner's result; a repeated
 * call finds the lease released and changes nothing.
 *
 * <p><b>Content</b> is stored in chunks of 256 KiB in their own table, written as they are read
 * from the client and read back one chunk at a time ({@link #openContent}): a large message is
 * never whole in the heap (PostgreSQL's driver materializes a {@code bytea} value whole, so one
 * chunk is the bound).
 *
 * <p><b>Errors.</b> A transient database error (connection lost, SQLState class 08; serialization
 * failure 40001; deadlock 40P01) is retried up to {@value #ATTEMPTS} times on a new connection,
 * except in {@link #enqueue}, whose content stream cannot be read twice; then it is a {@link
 * QueueStoreException}, which the SMTP server answers with {@code 451 4.3.0} (or {@code 452 4.3.1}
 * when the database is out of space). A retried {@code recordAttempt} whose first commit did reach
 * the database returns {@code false}: the attempt was recorded once.
 *
 * <p>Thread-safe; holds no connection between calls. {@link #close} does not close the data source
 * (it is the application's); after it every other method throws {@link IllegalStateException}.
 */
public final class JdbcQueueStore implements QueueStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcQueueStore.class);

  /** How many times an operation is tried when the database fails transiently. */
  static final int ATTEMPTS = 3;

  /** The size of a content chunk (one row of the content table). */
  static final int CHUNK = 256 * 1024;

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,39}");

  private static final String COLUMNS =
      "id, reverse_path, body, declared_size, smtp_utf8, ret, envid, auth, recipients,"
          + " arrived_at, next_attempt_at, attempts, content_size, held, lease_owner, lease_expiry";

  private final DataSource dataSource;
  private final Dialect dialect;
  private final String messages;
  private final String contents;
  private volatile boolean closed;

  // SQL, built once from the table names
  private final String insertMessage;
  private final String insertChunk;
  private final String setSize;
  private final String claimSelect;
  private final String claimUpdate;

  private JdbcQueueStore(DataSource dataSource, Dialect dialect, String qualifiedPrefix) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.messages = qualifiedPrefix + "message";
    this.contents = qualifiedPrefix + "content";
    this.insertMessage =
        "INSERT INTO "
            + messages
            + " (id, reverse_path, body, declared_size, smtp_utf8, ret, envid, auth, recipients,"
            + " arrived_at, next_attempt_at, claimable_at, attempts, content_size, chunks, held)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, FALSE)";
    this.insertChunk = "INSERT INTO " + contents + " (message_id, seq, chunk) VALUES (?, ?, ?)";
    this.setSize = "UPDATE " + messages + " SET content_size = ?, chunks = ? WHERE id = ?";
    this.claimSelect =
        "SELECT "
            + COLUMNS
            + " FROM "
            + messages
            + " WHERE NOT held AND claimable_at <= ? ORDER BY claimable_at, id LIMIT ?"
            + " FOR UPDATE SKIP LOCKED";
    // Checked again in the update: correct even where the lock clause were weaker than promised.
    this.claimUpdate =
        "UPDATE "
            + messages
            + " SET lease_owner = ?, lease_expiry = ?, claimable_at = ?"
            + " WHERE id = ? AND NOT held AND claimable_at <= ?";
  }

  /** A builder; {@link Builder#dataSource} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The database this store detected: {@code "H2"} or {@code "PostgreSQL"}. */
  public String databaseName() {
    return dialect == Dialect.H2 ? "H2" : "PostgreSQL";
  }

  // ---------------------------------------------------------------------------------------------
  // enqueue and content

  @Override
  public void enqueue(NewMessage message, InputStream content) throws IOException {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(content, "content");
    checkOpen();
    // Not retried: the content stream can be read only once. One transaction: all or nothing.
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        insertMessage(c, message);
        long size = 0;
        int chunks = 0;
        byte[] buffer = new byte[CHUNK];
        try (PreparedStatement s = c.prepareStatement(insertChunk)) {
          while (true) {
            int n = content.readNBytes(buffer, 0, CHUNK);
            if (n == 0) {
              break;
            }
            s.setString(1, message.id());
            s.setInt(2, chunks);
            s.setBytes(3, n == CHUNK ? buffer : Arrays.copyOf(buffer, n));
            s.executeUpdate();
            chunks++;
            size += n;
            if (n < CHUNK) {
              break;
            }
          }
        }
        try (PreparedStatement s = c.prepareStatement(setSize)) {
          s.setLong(1, size);
          s.setInt(2, chunks);
          s.setString(3, message.id());
          s.executeUpdate();
        }
        c.commit();
      } catch (SQLException | IOException | RuntimeException e) {
        rollback(c, e);
        throw e;
      } finally {
        restore(c, autoCommit);
      }
    } catch (SQLException e) {
      if (dialect.isDuplicateKey(e)) {
        throw new IllegalArgumentException("queue id already in the store: " + message.id(), e);
      }
      throw failure("enqueue " + message.id(), e);
    }
  }

  private void insertMessage(Connection c, NewMessage m) throws SQLException {
    Instant arrived = micros(m.arrivedAt());
    MailParameters p = m.parameters();
    try (PreparedStatement s = c.prepareStatement(insertMessage)) {
      s.setString(1, m.id());
      s.setString(2, m.reversePath());
      s.setString(3, p.body().name());
      s.setLong(4, p.declaredSize());
      s.setBoolean(5, p.smtpUtf8());
      s.setString(6, p.ret() == null ? null : p.ret().name());
      s.setString(7, p.envid());
      s.setString(8, p.auth());
      s.setString(
          9, RecipientCodec.encode(m.recipients().stream().map(RecipientState::pending).toList()));
      setTime(s, 10, arrived);
      setTime(s, 11, arrived);
      setTime(s, 12, arrived);
      s.executeUpdate();
    }
  }

  @Override
  public InputStream openContent(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    checkOpen();
    record First(int chunks, byte[] chunk) {}
    First first =
        retrying(
            "openContent " + id,
            c -> {
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT m.chunks, c.chunk FROM "
                          + messages
                          + " m LEFT JOIN "
                          + contents
                          + " c ON c.message_id = m.id AND c.seq = 0 WHERE m.id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                  return r.next() ? new First(r.getInt(1), r.getBytes(2)) : null;
                }
              }
            });
    if (first == null) {
      throw new NoSuchFileException(id, null, "no such message in the JDBC queue");
    }
    return new ChunkedContent(dataSource, contents, id, first.chunks(), first.chunk());
  }

  // ---------------------------------------------------------------------------------------------
  // claim and record

  @Override
  public List<QueuedMessage> claimDue(Instant now, int max, String owner, Duration lease)
      throws IOException {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(lease, "lease");
    if (max <= 0) {
      throw new IllegalArgumentException("max must be > 0: " + max);
    }
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be > 0: " + lease);
    }
    checkOpen();
    Instant at = micros(now);
    Instant expiry = micros(now.plus(lease));
    return retrying(
        "claimDue",
        c -> {
          List<QueuedMessage> due = new ArrayList<>();
          try (PreparedStatement s = c.prepareStatement(claimSelect)) {
            setTime(s, 1, at);
            s.setInt(2, max);
            try (ResultSet r = s.executeQuery()) {
              while (r.next()) {
                due.add(row(r));
              }
            }
          }
          if (due.isEmpty()) {
            return due;
          }
          int[] counts;
          try (PreparedStatement u = c.prepareStatement(claimUpdate)) {
            for (QueuedMessage m : due) {
              u.setString(1, owner);
              setTime(u, 2, expiry);
              setTime(u, 3, later(m.nextAttemptAt(), expiry));
              u.setString(4, m.id());
              setTime(u, 5, at);
              u.addBatch();
            }
            counts = u.executeBatch();
          }
          List<QueuedMessage> claimed = new ArrayList<>(due.size());
          for (int i = 0; i < due.size(); i++) {
            if (counts[i] == 1 || counts[i] == Statement.SUCCESS_NO_INFO) {
              QueuedMessage m = due.get(i);
              claimed.add(
                  new QueuedMessage(
                      m.id(),
                      m.reversePath(),
                      m.parameters(),
                      m.recipients(),
                      m.arrivedAt(),
                      m.nextAttemptAt(),
                      m.attempts(),
                      m.size(),
                      m.held(),
                      owner,
                      expiry));
            }
          }
          return claimed;
        });
  }

  @Override
  public Optional<Instant> nextDue() throws IOException {
    checkOpen();
    return retrying(
        "nextDue",
        c -> {
          try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT MIN(claimable_at) FROM " + messages + " WHERE NOT held");
              ResultSet r = s.executeQuery()) {
            r.next();
            return Optional.ofNullable(time(r, 1));
          }
        });
  }

  @Override
  public boolean recordAttempt(
      String id, String owner, List<RecipientState> recipients, Instant nextAttempt)
      throws IOException {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(owner, "owner");
    List<RecipientState> states = List.copyOf(recipients);
    boolean allFinal = states.stream().allMatch(r -> r.status().isFinal());
    if (!allFinal) {
      Objects.requireNonNull(nextAttempt, "nextAttempt (recipients remain to be tried)");
    }
    checkOpen();
    Instant next = allFinal ? null : micros(nextAttempt);
    return retrying(
        "recordAttempt " + id,
        c -> {
          String stored;
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT recipients FROM "
                      + messages
                      + " WHERE id = ? AND lease_owner = ? FOR UPDATE")) {
            s.setString(1, id);
            s.setString(2, owner);
            try (ResultSet r = s.executeQuery()) {
              if (!r.next()) {
                return false; // gone, never claimed, or taken over by another node
              }
              stored = r.getString(1);
            }
          }
          checkSameRecipients(id, RecipientCodec.decode(stored), states);
          if (allFinal) {
            try (PreparedStatement d =
                c.prepareStatement("DELETE FROM " + messages + " WHERE id = ?")) {
              d.setString(1, id);
              d.executeUpdate();
            }
            return true;
          }
          try (PreparedStatement u =
              c.prepareStatement(
                  "UPDATE "
                      + messages
                      + " SET recipients = ?, attempts = attempts + 1, next_attempt_at = ?,"
                      + " claimable_at = ?, lease_owner = NULL, lease_expiry = NULL"
                      + " WHERE id = ? AND lease_owner = ?")) {
            u.setString(1, RecipientCodec.encode(states));
            setTime(u, 2, next);
            setTime(u, 3, next);
            u.setString(4, id);
            u.setString(5, owner);
            return u.executeUpdate() == 1;
          }
        });
  }

  private static void checkSameRecipients(
      String id, List<RecipientState> stored, List<RecipientState> given) {
    if (given.size() != stored.size()) {
      throw new IllegalArgumentException(
          "message "
              + id
              + " has "
              + stored.size()
              + " recipients, the attempt records "
              + given.size());
    }
    for (int i = 0; i < given.size(); i++) {
      if (!given.get(i).recipient().equals(stored.get(i).recipient())) {
        throw new IllegalArgumentException(
            "message "
                + id
                + " recipient "
                + i
                + " is "
                + stored.get(i).recipient().address()
                + ", the attempt records "
                + given.get(i).recipient().address());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // admin

  @Override
  public List<QueuedMessage> list(QueueFilter filter) throws IOException {
    Objects.requireNonNull(filter, "filter");
    checkOpen();
    return retrying(
        "list",
        c -> {
          List<QueuedMessage> result = new ArrayList<>();
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT " + COLUMNS + " FROM " + messages + " ORDER BY arrived_at, id")) {
            s.setFetchSize(256); // a cursor on PostgreSQL (inside a transaction): not all at once
            try (ResultSet r = s.executeQuery()) {
              while (r.next() && result.size() < filter.limit()) {
                QueuedMessage m = row(r);
                if (filter.matches(m)) {
                  result.add(m);
                }
              }
            }
          }
          return result;
        });
  }

  @Override
  public Optional<QueuedMessage> show(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    checkOpen();
    return retrying(
        "show " + id,
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("SELECT " + COLUMNS + " FROM " + messages + " WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
              return r.next() ? Optional.of(row(r)) : Optional.<QueuedMessage>empty();
            }
          }
        });
  }

  @Override
  public boolean hold(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    return update("hold " + id, "SET held = TRUE WHERE id = ?", id) == 1;
  }

  @Override
  public boolean release(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    return update(
            "release " + id,
            "SET held = FALSE, next_attempt_at = arrived_at, claimable_at = CASE WHEN"
                + " lease_expiry IS NOT NULL AND lease_expiry > arrived_at THEN lease_expiry"
                + " ELSE arrived_at END WHERE id = ? AND held",
            id)
        == 1;
  }

  @Override
  public boolean delete(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    checkOpen();
    return retrying(
        "delete " + id,
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("DELETE FROM " + messages + " WHERE id = ?")) {
            s.setString(1, id);
            return s.executeUpdate() == 1;
          }
        });
  }

  @Override
  public boolean requeue(String id, Instant now) throws IOException {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(now, "now");
    Instant at = micros(now);
    checkOpen();
    return retrying(
        "requeue " + id,
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE "
                      + messages
                      + " SET next_attempt_at = ?, claimable_at = CASE WHEN lease_expiry IS NOT"
                      + " NULL AND lease_expiry > ? THEN lease_expiry ELSE ? END"
                      + " WHERE id = ? AND NOT held")) {
            setTime(s, 1, at);
            setTime(s, 2, at);
            setTime(s, 3, at);
            s.setString(4, id);
            return s.executeUpdate() == 1;
          }
        });
  }

  @Override
  public int flush(Instant now) throws IOException {
    Objects.requireNonNull(now, "now");
    Instant at = micros(now);
    checkOpen();
    return retrying(
        "flush",
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE "
                      + messages
                      + " SET next_attempt_at = ?, claimable_at = ?"
                      + " WHERE NOT held AND attempts > 0"
                      + " AND (lease_expiry IS NULL OR lease_expiry <= ?)")) {
            setTime(s, 1, at);
            setTime(s, 2, at);
            setTime(s, 3, at);
            return s.executeUpdate();
          }
        });
  }

  /** Marks the store closed. The data source stays open: it belongs to the application. */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "JdbcQueueStore[" + databaseName() + ", " + messages + (closed ? ", closed]" : "]");
  }

  // ---------------------------------------------------------------------------------------------
  // plumbing

  private int update(String what, String setAndWhere, String id) throws IOException {
    checkOpen();
    return retrying(
        what,
        c -> {
          try (PreparedStatement s = c.prepareStatement("UPDATE " + messages + " " + setAndWhere)) {
            s.setString(1, id);
            return s.executeUpdate();
          }
        });
  }

  /** Work in one transaction. */
  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException, IOException;
  }

  /**
   * Runs {@code work} in a transaction of its own, committing at the end; a transient failure is
   * tried again on a new connection, up to {@link #ATTEMPTS} times in all.
   */
  private <T> T retrying(String what, Work<T> work) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
          T result = work.run(c);
          c.commit();
          return result;
        } catch (SQLException | IOException | RuntimeException e) {
          rollback(c, e);
          throw e;
        } finally {
          restore(c, autoCommit);
        }
      } catch (SQLException e) {
        if (attempt < ATTEMPTS && dialect.isTransient(e)) {
          log.warn(
              "{}: transient database error, trying again ({}): {}", what, attempt, e.toString());
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20L * attempt * attempt));
          continue;
        }
        throw failure(what, e);
      }
    }
  }

  private QueueStoreException failure(String what, SQLException e) {
    return new QueueStoreException(
        "JDBC queue: "
            + what
            + " failed: "
            + e.getMessage()
            + " (SQLState "
            + e.getSQLState()
            + ")",
        e,
        dialect.isInsufficientStorage(e));
  }

  private static void rollback(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private static void restore(Connection c, boolean autoCommit) {
    try {
      if (autoCommit && !c.isClosed()) {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      // the connection is broken; the pool will find out
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the JDBC queue store is closed");
    }
  }

  private static QueuedMessage row(ResultSet r) throws SQLException {
    String ret = r.getString(6);
    MailParameters parameters =
        new MailParameters(
            MailParameters.Body.valueOf(r.getString(3)),
            r.getLong(4),
            r.getBoolean(5),
            ret == null ? null : MailParameters.Ret.valueOf(ret),
            r.getString(7),
            r.getString(8));
    return new QueuedMessage(
        r.getString(1),
        r.getString(2),
        parameters,
        RecipientCodec.decode(r.getString(9)),
        time(r, 10),
        time(r, 11),
        r.getInt(12),
        r.getLong(13),
        r.getBoolean(14),
        r.getString(15),
        time(r, 16));
  }

  /** Times are kept to the microsecond, the precision of PostgreSQL's timestamps. */
  private static Instant micros(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS);
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static void setTime(PreparedStatement s, int index, Instant t) throws SQLException {
    s.setObject(index, t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
  }

  private static Instant time(ResultSet r, int index) throws SQLException {
    OffsetDateTime t = r.getObject(index, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /**
   * Configures a {@link JdbcQueueStore}. Each setter checks its value at once; {@link #build}
   * detects the database, and creates or checks the tables.
   */
  public static final class Builder {
    private DataSource dataSource;
    private String tablePrefix = "mta_";
    private String schema;
    private boolean createSchema = true;

    private Builder() {}

    /** The database, required; the store borrows a connection per operation and returns it. */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The prefix of the queue's table names ({@code <prefix>message}, {@code <prefix>content},
     * {@code <prefix>schema_version}): a letter or underscore, then letters, digits or underscores,
     * at most 40 in all. Default {@code mta_}.
     */
    public Builder tablePrefix(String tablePrefix) {
      Objects.requireNonNull(tablePrefix, "tablePrefix");
      if (!IDENTIFIER.matcher(tablePrefix).matches()) {
        throw new IllegalArgumentException(
            "tablePrefix must be a letter or _ then letters, digits or _ (at most 40): "
                + tablePrefix);
      }
      this.tablePrefix = tablePrefix;
      return this;
    }

    /**
     * The schema that holds the tables; default none (the connection's current schema). Created if
     * missing when {@link #createSchema} is on. Same rule as the table prefix.
     */
    public Builder schema(String schema) {
      Objects.requireNonNull(schema, "schema");
      if (!IDENTIFIER.matcher(schema).matches()) {
        throw new IllegalArgumentException(
            "schema must be a letter or _ then letters, digits or _ (at most 40): " + schema);
      }
      this.schema = schema;
      return this;
    }

    /**
     * Whether {@link #build} creates the tables or brings them to the latest version (default
     * true). When false, the tables must be there already at the latest version (run the scripts by
     * hand: see the module's README); {@code build} checks and fails otherwise.
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * The store, on a database whose tables are ready.
     *
     * @throws IllegalStateException no data source was set
     * @throws QueueStoreException the database is not H2 2.x or PostgreSQL, cannot be reached, or
     *     its schema is missing or at another version (with {@code createSchema(false)})
     */
    public JdbcQueueStore build() throws IOException {
      if (dataSource == null) {
        throw new IllegalStateException("dataSource is required");
      }
      String qualified = Schema.qualified(schema, tablePrefix);
      Dialect dialect;
      try (Connection c = dataSource.getConnection()) {
        dialect = Dialect.of(c);
        if (dialect == Dialect.H2) {
          h2DurabilityWarning(c).ifPresent(w -> log.warn("*** {} ***", w));
        }
        if (createSchema) {
          Schema.migrate(c, dialect, schema, tablePrefix);
        } else {
          int installed;
          try {
            installed = Schema.installedVersion(c, qualified);
          } catch (SQLException e) {
            throw new QueueStoreException(
                "JDBC queue: no table "
                    + qualified
                    + "schema_version (createSchema is off: run the scripts in db/mta4j/"
                    + dialect.name().toLowerCase(java.util.Locale.ROOT)
                    + "/ first): "
                    + e.getMessage(),
                e);
          }
          if (installed != Schema.latestVersion()) {
            throw new QueueStoreException(
                "JDBC queue: schema "
                    + qualified
                    + " is at version "
                    + installed
                    + ", this code needs "
                    + Schema.latestVersion()
                    + " (createSchema is off)",
                null);
          }
        }
      } catch (SQLException e) {
        throw new QueueStoreException(
            "JDBC queue: cannot set up " + qualified + "*: " + e.getMessage(), e);
      }
      return new JdbcQueueStore(dataSource, dialect, qualified);
    }
  }

  /**
   * What an H2 database can lose of the mail it acknowledged, or empty when the database is not H2.
   * An in-memory database loses everything when the JVM exits. A file database keeps each commit in
   * memory for {@code WRITE_DELAY} ms (500 by default) before writing it, and even with {@code
   * WRITE_DELAY=0} it did not survive {@code kill -9} reliably in mta4j's kill test (see the module
   * README), so it is for development and tests, not for mail that must not be lost.
   */
  static Optional<String> h2DurabilityWarning(Connection c) throws SQLException {
    String url = c.getMetaData().getURL();
    if (url != null && url.startsWith("jdbc:h2:mem:")) {
      return Optional.of(
          "JDBC queue on an in-memory H2 database ("
              + url
              + "): every queued message is LOST when the JVM exits. Use PostgreSQL or the file"
              + " queue (mta-queue-file) for mail that must not be lost");
    }
    int delay = -1;
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'WRITE_DELAY'")) {
      if (r.next()) {
        delay = Integer.parseInt(r.getString(1).trim());
      }
    }
    String lag =
        delay > 0
            ? " (here WRITE_DELAY="
                + delay
                + ": a commit reaches the file up to "
                + delay
                + " ms later)"
            : "";
    return Optional.of(
        "JDBC queue on H2"
            + lag
            + ": H2 can LOSE mail it acknowledged when the JVM is killed or crashes; in mta4j's"
            + " kill test it lost acknowledged messages with WRITE_DELAY=500 and, in some runs,"
            + " with WRITE_DELAY=0 too. Use PostgreSQL or the file queue (mta-queue-file) for mail"
            + " that must not be lost");
  }
}
