package org.mta4j.examples.nullclient;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import org.mta4j.Mta;
import org.mta4j.queue.file.FileQueueStore;
import org.mta4j.routing.Route;

/**
 * A plain Java service that sends password-reset mail through an embedded mta4j null client.
 *
 * <p>{@link #requestReset(String)} returns as soon as the mail is fsynced in the service's own file
 * queue; the queue manager then delivers it to the company's smarthost over STARTTLS with AUTH, and
 * retries when the smarthost is down. Because the queue is on disk, stopping the service (a deploy,
 * a crash) loses nothing: the next start picks up what waits. The application never blocks on the
 * mail server and never needs retry code of its own.
 *
 * <p>Thread-safe.
 */
public final class PasswordResetService implements AutoCloseable {

  /**
   * The service's mail settings.
   *
   * @param queueDir the file queue; keep it on a persistent volume
   * @param heloName this host's public name, sent with EHLO
   * @param smarthostHost the relay's host name or address
   * @param smarthostPort the relay's submission port (587)
   * @param username the AUTH user at the relay
   * @param password its password
   */
  public record Settings(
      Path queueDir,
      String heloName,
      String smarthostHost,
      int smarthostPort,
      String username,
      String password) {
    public Settings {
      Objects.requireNonNull(queueDir, "queueDir");
      Objects.requireNonNull(heloName, "heloName");
      Objects.requireNonNull(smarthostHost, "smarthostHost");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
    }
  }

  private final Mta mta;
  private final Session session = Session.getInstance(new Properties());

  private PasswordResetService(Mta mta) {
    this.mta = mta;
  }

  /**
   * Opens the queue, starts delivering, and retries at once whatever waits from before a restart.
   * {@code customize} may adjust the MTA last (tests, tuning).
   */
  public static PasswordResetService start(Settings s, Consumer<Mta.Builder> customize)
      throws IOException {
    FileQueueStore queue = FileQueueStore.builder().directory(s.queueDir()).open();
    Mta.Builder b =
        Mta.builder()
            .hostname(s.heloName())
            // A null client: no SMTP listener at all, mail comes only from submit().
            .listening(false)
            .queueStore(queue)
            // STARTTLS required (Route.Smtp.relay's default), then AUTH with the credentials
            .smarthost(
                Route.Smtp.relay(s.smarthostHost(), s.smarthostPort())
                    .withCredentials(s.username(), s.password()));
    customize.accept(b);
    Mta mta;
    try {
      mta = b.build();
    } catch (RuntimeException e) {
      queue.close();
      throw e;
    }
    try {
      mta.start();
      // Mail held while the smarthost was down or the service was stopped goes out now rather
      // than at its next scheduled retry.
      mta.queue().flush(Instant.now());
    } catch (IOException | RuntimeException e) {
      mta.close();
      throw e;
    }
    return new PasswordResetService(mta);
  }

  /**
   * Queues a password-reset mail for {@code email}; returns its queue id once it is on disk.
   *
   * @throws IOException the queue could not take it (e.g. the disk is full); nothing was queued
   */
  public String requestReset(String email) throws IOException {
    String token = UUID.randomUUID().toString();
    try {
      MimeMessage m = new MimeMessage(session);
      m.setFrom(new InternetAddress("Example App <no-reply@app.example.test>"));
      m.setRecipient(Message.RecipientType.TO, new InternetAddress(email));
      m.setSubject("Reset your password", "UTF-8");
      m.setText(
          "Someone asked to reset the password of this account.\n\n"
              + "If it was you: https://app.example.test/reset?token="
              + token
              + "\n\nIf not, ignore this mail.\n",
          "UTF-8");
      m.setHeader("X-Reset-Token", token);
      return mta.submit(m);
    } catch (MessagingException e) {
      throw new IllegalArgumentException("not a usable address: " + email, e);
    }
  }

  /** Messages still waiting in the queue. */
  public int waiting() throws IOException {
    return mta.queue().list(org.mta4j.queue.QueueFilter.all(Instant.now())).size();
  }

  /** Stops delivering and closes the queue; what is not delivered stays on disk. */
  @Override
  public void close() {
    mta.close();
  }
}
