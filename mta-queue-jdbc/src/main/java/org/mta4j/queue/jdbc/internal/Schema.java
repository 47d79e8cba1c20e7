package org.mta4j.queue.jdbc.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Creates or checks the queue's tables from the versioned scripts {@code
 * db/mta4j/<dialect>/V<n>__<what>.sql} and the {@code schema_version} table that records which ran.
 * Each script runs in its own transaction with its version row, under the dialect's migration lock,
 * so nodes starting at once apply it once.
 */
public final class Schema {
  /** The scripts, in order; a new version appends one and never edits an old one. */
  public static final List<String> SCRIPTS = List.of("V1__queue.sql");

  private static final ReentrantLock IN_THIS_JVM = new ReentrantLock();

  private Schema() {}

  /** The latest schema version this code knows. */
  public static int latestVersion() {
    return SCRIPTS.size();
  }

  /**
   * The script for {@code version} with its placeholders filled in, as it runs: {@code ${table}} is
   * the qualified table prefix, {@code ${index}} the index name prefix.
   */
  public static String script(Dialect dialect, int version, String schema, String tablePrefix)
      throws IOException {
    String name = dialect.scriptDirectory() + SCRIPTS.get(version - 1);
    try (InputStream in = Schema.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("schema script missing from the jar: " + name);
      }
      String qualified = qualified(schema, tablePrefix);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("${table}", qualified)
          .replace("${index}", dialect.indexPrefix(qualified, tablePrefix));
    }
  }

  /** {@code schema.prefix}, or the prefix alone. */
  public static String qualified(String schema, String tablePrefix) {
    return schema == null ? tablePrefix : schema + "." + tablePrefix;
  }

  /** Brings the schema to the latest version, creating it if need be. */
  public static void migrate(Connection c, Dialect dialect, String schema, String tablePrefix)
      throws SQLException, IOException {
    String qualified = qualified(schema, tablePrefix);
    IN_THIS_JVM.lock();
    boolean autoCommit = c.getAutoCommit();
    try {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        dialect.lockForMigration(c, qualified);
        if (schema != null) {
          s.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
        }
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + qualified
                + "schema_version (version INTEGER NOT NULL PRIMARY KEY,"
                + " script VARCHAR(200) NOT NULL, installed_at TIMESTAMP WITH TIME ZONE NOT NULL)");
        c.commit();
      }
      for (int version = installedVersion(c, qualified) + 1;
          version <= latestVersion();
          version++) {
        dialect.lockForMigration(c, qualified);
        if (installedVersion(c, qualified) >= version) {
          c.commit(); // another node ran it while we waited for the lock
          continue;
        }
        try (Statement s = c.createStatement()) {
          for (String statement : statements(script(dialect, version, schema, tablePrefix))) {
            s.execute(statement);
          }
        }
        try (PreparedStatement p =
            c.prepareStatement(
                "INSERT INTO "
                    + qualified
                    + "schema_version (version, script, installed_at) VALUES (?, ?, ?)")) {
          p.setInt(1, version);
          p.setString(2, SCRIPTS.get(version - 1));
          p.setObject(3, OffsetDateTime.now(ZoneOffset.UTC));
          p.executeUpdate();
        }
        c.commit();
      }
    } catch (SQLException | IOException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
      IN_THIS_JVM.unlock();
    }
  }

  /** The highest version in {@code schema_version}; 0 when the table is empty. */
  public static int installedVersion(Connection c, String qualified) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT MAX(version) FROM " + qualified + "schema_version")) {
      r.next();
      return r.getInt(1);
    }
  }

  /** The statements of a script: split at semicolons that end a line; comment lines dropped. */
  static List<String> statements(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      if (trimmed.endsWith(";")) {
        current.append(trimmed, 0, trimmed.length() - 1);
        out.add(current.toString());
        current.setLength(0);
      } else {
        current.append(trimmed).append('\n');
      }
    }
    if (!current.toString().isBlank()) {
      out.add(current.toString());
    }
    return out;
  }
}
