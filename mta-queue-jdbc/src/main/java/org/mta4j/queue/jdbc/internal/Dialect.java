package org.mta4j.queue.jdbc.internal;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Locale;

/**
 * What differs between the databases the JDBC queue runs on, in one place: where the schema scripts
 * are, how an index is named, how a migration is serialized across nodes, and how errors are
 * classified. Every query the store runs is the same SQL on each of them.
 */
public enum Dialect {
  /**
   * H2 2.x, embedded (file or in-memory). {@code SELECT … FOR UPDATE SKIP LOCKED} is supported, but
   * H2 applies {@code LIMIT} before skipping locked rows, so a claimer racing another may see fewer
   * rows than are due; the conditional claim update keeps it correct either way.
   */
  H2("h2", true),

  /** PostgreSQL 12 and later: the scale-out engine; several nodes share one database. */
  POSTGRESQL("postgresql", false);

  private final String resourceDirectory;
  private final boolean qualifiedIndexNames;

  Dialect(String resourceDirectory, boolean qualifiedIndexNames) {
    this.resourceDirectory = resourceDirectory;
    this.qualifiedIndexNames = qualifiedIndexNames;
  }

  /** The dialect of the database behind {@code c}, from its metadata. */
  public static Dialect of(Connection c) throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    String product = meta.getDatabaseProductName();
    String name = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (name.equals("h2")) {
      if (meta.getDatabaseMajorVersion() < 2) {
        throw new SQLException(
            "the JDBC queue needs H2 2.x; this database is H2 " + meta.getDatabaseProductVersion());
      }
      return H2;
    }
    if (name.equals("postgresql")) {
      return POSTGRESQL;
    }
    throw new SQLException(
        "the JDBC queue supports H2 and PostgreSQL; this DataSource is "
            + product
            + " "
            + meta.getDatabaseProductVersion());
  }

  /** The classpath directory of this dialect's versioned schema scripts. */
  public String scriptDirectory() {
    return "/db/mta4j/" + resourceDirectory + "/";
  }

  /** The prefix for index names in the schema scripts ({@code ${index}}). */
  public String indexPrefix(String qualifiedPrefix, String tablePrefix) {
    return qualifiedIndexNames ? qualifiedPrefix : tablePrefix;
  }

  /**
   * Serializes schema creation among nodes that start at once, until the transaction ends.
   * PostgreSQL: a transaction-scoped advisory lock keyed on the table prefix. H2 is embedded in one
   * JVM: the caller's lock is enough.
   */
  public void lockForMigration(Connection c, String qualifiedPrefix) throws SQLException {
    if (this == POSTGRESQL) {
      try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        s.setLong(1, 0x6d74613400000000L | (qualifiedPrefix.hashCode() & 0xffffffffL));
        s.execute();
      }
    }
  }

  /** True for a unique-key violation (SQLState 23505 on both databases). */
  public boolean isDuplicateKey(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  /**
   * True for an error that may pass if the same work is tried again on a new connection: a lost or
   * refused connection (SQLState class 08), a serialization failure (40001) or deadlock (40P01),
   * H2's lock timeout, or an error the driver itself calls transient or recoverable.
   */
  public boolean isTransient(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if (state != null
            && (state.startsWith("08")
                || state.equals("40001")
                || state.equals("40P01")
                || state.equals("57P01") // admin_shutdown: the server is going away
                || state.equals("57P03"))) { // cannot_connect_now (starting up)
          return true;
        }
        if (this == H2 && (s.getErrorCode() == 50200 || s.getErrorCode() == 40001)) {
          return true; // LOCK_TIMEOUT_1, DEADLOCK_1
        }
      }
    }
    return false;
  }

  /** True when the database is out of space (SQLState class 53; H2's "file system full"). */
  public boolean isInsufficientStorage(SQLException e) {
    String state = e.getSQLState();
    return (state != null && state.startsWith("53")) || (this == H2 && e.getErrorCode() == 90100);
  }
}
