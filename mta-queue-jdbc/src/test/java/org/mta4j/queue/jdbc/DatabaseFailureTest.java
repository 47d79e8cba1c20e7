package org.mta4j.queue.jdbc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.server.Listener;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.SmtpClientWire;

/**
 * The database fails under the store, for real: PostgreSQL terminates the session behind a
 * connection ({@code pg_terminate_backend}, what a server restart or failover does to a pool's
 * connections), or refuses new connections altogether. A dead connection is retried on a new one; a
 * database that stays away is a {@link QueueStoreException}, which the SMTP server answers with
 * {@code 451 4.3.0}, and the client's retry later succeeds.
 */
class DatabaseFailureTest {

  @Test
  void aConnectionWhoseSessionWasTerminatedIsRetriedOnANewOne() throws Exception {
    String url = PostgresServer.shared().newDatabase("failure");
    TerminatingDataSource ds = new TerminatingDataSource(url);
    JdbcQueueStore store = JdbcQueueStore.builder().dataSource(ds).build();
    store.enqueue(message("Q1"), new ByteArrayInputStream(content("Q1")));

    ds.terminateNext.set(JdbcQueueStore.ATTEMPTS - 1);
    int before = ds.handedOut.get();
    assertThat(store.show("Q1")).as("found on the last try").isPresent();
    assertThat(ds.handedOut.get() - before).isEqualTo(JdbcQueueStore.ATTEMPTS);
  }

  @Test
  void aDatabaseThatStaysAwayIsAQueueStoreExceptionThatSaysTryAgainLater() throws Exception {
    String url = PostgresServer.shared().newDatabase("failure");
    TerminatingDataSource ds = new TerminatingDataSource(url);
    JdbcQueueStore store = JdbcQueueStore.builder().dataSource(ds).build();

    ds.terminateNext.set(Integer.MAX_VALUE);
    assertThatThrownBy(() -> store.claimDue(Instant.now(), 10, "node-a", Duration.ofMinutes(1)))
        .isInstanceOfSatisfying(
            QueueStoreException.class, e -> assertThat(e.isInsufficientStorage()).isFalse());
    assertThatThrownBy(() -> store.enqueue(message("Q2"), new ByteArrayInputStream(content("Q2"))))
        .isInstanceOf(QueueStoreException.class);

    ds.terminateNext.set(0);
    assertThat(store.show("Q2")).as("nothing half-enqueued").isEmpty();
  }

  @Test
  void theSmtpServerAnswers451AndAcceptsTheRetryOnceTheDatabaseIsBack() throws Exception {
    PostgresServer pg = PostgresServer.shared();
    String url = pg.newDatabase("failure");
    String database = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
    TerminatingDataSource ds = new TerminatingDataSource(url);
    JdbcQueueStore store = JdbcQueueStore.builder().dataSource(ds).build();
    Mta mta =
        Mta.builder()
            .hostname("mx.example.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .localDomains("example.test")
            .queueStore(store)
            .localDelivery(d -> {})
            .build();
    mta.start();
    try (SmtpClientWire smtp = SmtpClientWire.connect(mta.port(), Duration.ofSeconds(30))) {
      smtp.expect(smtp.command("EHLO client.test"), "250");

      admin(pg, "ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
      try {
        String reply = smtp.send("driver@client.test", "sink@example.test", content("S1"));
        assertThat(reply).startsWith("451 4.3.0");
      } finally {
        admin(pg, "ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
      }

      assertThat(smtp.send("driver@client.test", "sink@example.test", content("S1")))
          .startsWith("250");
    } finally {
      mta.close();
    }
  }

  private static void admin(PostgresServer pg, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.url("postgres"));
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static NewMessage message(String id) {
    return new NewMessage(
        id,
        "driver@client.test",
        List.of(Recipient.of("sink@example.test")),
        MailParameters.NONE,
        Instant.parse("2026-03-02T10:00:00Z"));
  }

  private static byte[] content(String id) {
    return ("Subject: " + id + "\r\n\r\nbody\r\n").getBytes(US_ASCII);
  }

  /**
   * Opens a new PostgreSQL connection per request; the next {@code terminateNext} connections it
   * hands out have had their server session terminated first, as a pool's stale connections do
   * after a database restart.
   */
  static final class TerminatingDataSource implements DataSource {
    final AtomicInteger terminateNext = new AtomicInteger();
    final AtomicInteger handedOut = new AtomicInteger();
    private final String url;

    TerminatingDataSource(String url) {
      this.url = url;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection c = DriverManager.getConnection(url);
      handedOut.incrementAndGet();
      if (terminateNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        int pid;
        try (Statement s = c.createStatement();
            ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
          r.next();
          pid = r.getInt(1);
        }
        try (Connection admin = DriverManager.getConnection(url);
            PreparedStatement s = admin.prepareStatement("SELECT pg_terminate_backend(?, 10000)")) {
          s.setInt(1, pid);
          s.execute();
        }
      }
      return c;
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
