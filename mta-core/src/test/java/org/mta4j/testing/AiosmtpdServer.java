package org.mta4j.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assertions;

/**
 * A real aiosmtpd 1.4 server (Debian's {@code python3-aiosmtpd}, run with {@code /usr/bin/python3})
 * on 127.0.0.1 and a free port, for one test: optional STARTTLS with {@link TestCertificates}, AUTH
 * PLAIN and LOGIN for one user, SMTPUTF8; every message it accepts is written to a directory, which
 * {@link #messages()} reads back.
 *
 * <pre>{@code
 * try (AiosmtpdServer server = AiosmtpdServer.builder().startTls().auth("u", "pw").start()) {
 *   ... send to 127.0.0.1:server.port() ...
 *   AiosmtpdServer.Message m = server.awaitMessages(1, Duration.ofSeconds(10)).get(0);
 * }
 * }</pre>
 *
 * <p>aiosmtpd offers SIZE, 8BITMIME, SMTPUTF8 (unless turned off), STARTTLS (when enabled) and AUTH
 * (after TLS unless {@link Builder#authRequireTls(boolean)} is false); no PIPELINING, no CHUNKING,
 * no DSN. It keeps the content byte for byte (CRLF, dot-unstuffed, without the final dot). A
 * missing aiosmtpd skips the test, or fails it under {@value Peers#REQUIRE_PEERS_ENV}=1. {@link
 * #close()} kills the process. Methods are thread-safe.
 */
public final class AiosmtpdServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(50);

  // The server: argv = port, out dir, cert or "", key or "", user or "", password,
  // auth_require_tls (0/1), smtputf8 (0/1). Each message becomes NNNNNN.eml (content) and then
  // NNNNNN.env (envelope, one "key value" per line), both renamed into place when complete.
  private static final String SCRIPT =
      """
      import os, ssl, sys, threading
      from aiosmtpd.controller import Controller
      from aiosmtpd.smtp import AuthResult, LoginPassword

      port, out, cert, key, user, password, require_tls, utf8 = sys.argv[1:9]

      class Handler:
          def __init__(self):
              self.count = 0
              self.lock = threading.Lock()

          async def handle_DATA(self, server, session, envelope):
              with self.lock:
                  self.count += 1
                  base = os.path.join(out, "%06d" % self.count)
              content = envelope.original_content
              with open(base + ".eml.tmp", "wb") as f:
                  f.write(content)
              os.rename(base + ".eml.tmp", base + ".eml")
              lines = ["mail_from " + envelope.mail_from]
              lines += ["mail_option " + o for o in envelope.mail_options]
              lines += ["rcpt_to " + r for r in envelope.rcpt_tos]
              lines += ["rcpt_option " + o for o in envelope.rcpt_options]
              lines.append("tls " + ("1" if session.ssl else "0"))
              if session.authenticated:
                  lines.append("auth " + str(session.auth_data))
              with open(base + ".env.tmp", "w", encoding="utf-8") as f:
                  f.write("\\n".join(lines) + "\\n")
              os.rename(base + ".env.tmp", base + ".env")
              return "250 2.0.0 Ok: queued as %06d" % self.count

      def authenticator(server, session, envelope, mechanism, auth_data):
          if (isinstance(auth_data, LoginPassword)
                  and auth_data.login == user.encode() and auth_data.password == password.encode()):
              return AuthResult(success=True, auth_data=user)
          return AuthResult(success=False, handled=False)

      kwargs = dict(enable_SMTPUTF8=(utf8 == "1"), server_hostname="aiosmtpd.test")
      if cert:
          context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
          context.load_cert_chain(cert, key)
          kwargs["tls_context"] = context
      if user:
          kwargs["authenticator"] = authenticator
          kwargs["auth_require_tls"] = (require_tls == "1")
      controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), **kwargs)
      controller.start()
      print("ready", flush=True)
      threading.Event().wait()
      """;

  /**
   * One message as aiosmtpd received it.
   *
   * @param mailFrom the MAIL FROM address (empty for {@code <>})
   * @param mailOptions the MAIL parameters, upper-cased by aiosmtpd
   * @param rcptTos the RCPT TO addresses in order
   * @param rcptOptions the RCPT parameters of all recipients, in order
   * @param tls true when the message came over TLS
   * @param authUser the AUTH user, or {@code null}
   * @param content the content as received (the array is a copy)
   */
  public record Message(
      String mailFrom,
      List<String> mailOptions,
      List<String> rcptTos,
      List<String> rcptOptions,
      boolean tls,
      String authUser,
      byte[] content) {

    public Message {
      mailOptions = List.copyOf(mailOptions);
      rcptTos = List.copyOf(rcptTos);
      rcptOptions = List.copyOf(rcptOptions);
      content = content.clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }

    @Override
    public String toString() {
      return "Message[from=<"
          + mailFrom
          + ">, to="
          + rcptTos
          + ", tls="
          + tls
          + ", auth="
          + authUser
          + ", "
          + content.length
          + " bytes]";
    }
  }

  private final Process process;
  private final Path directory;
  private final Path messages;
  private final Path log;
  private final int port;

  private AiosmtpdServer(Process process, Path directory, int port) {
    this.process = process;
    this.directory = directory;
    this.messages = directory.resolve("messages");
    this.log = directory.resolve("server.log");
    this.port = port;
  }

  /** A builder for a plain server with SMTPUTF8 and no TLS or AUTH. */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of the server. */
  public static final class Builder {
    private boolean startTls;
    private String user;
    private String password;
    private boolean authRequireTls = true;
    private boolean smtpUtf8 = true;

    private Builder() {}

    /** Offer STARTTLS with {@link TestCertificates}' certificate for localhost and 127.0.0.1. */
    public Builder startTls() {
      this.startTls = true;
      return this;
    }

    /** Offer AUTH PLAIN and LOGIN, accepting only this user and password. */
    public Builder auth(String user, String password) {
      this.user = Objects.requireNonNull(user, "user");
      this.password = Objects.requireNonNull(password, "password");
      if (user.isEmpty()) {
        throw new IllegalArgumentException("user must not be empty");
      }
      return this;
    }

    /** Offer AUTH only after STARTTLS (aiosmtpd's default, true). */
    public Builder authRequireTls(boolean required) {
      this.authRequireTls = required;
      return this;
    }

    /** Offer SMTPUTF8 (default true). */
    public Builder smtpUtf8(boolean offered) {
      this.smtpUtf8 = offered;
      return this;
    }

    /** Starts the server and waits (bounded) until it accepts connections. */
    public AiosmtpdServer start() {
      Path python = Peers.python3With("aiosmtpd");
      try {
        Path directory = Files.createTempDirectory("mta4j-aiosmtpd");
        Files.createDirectory(directory.resolve("messages"));
        Path script = directory.resolve("server.py");
        Files.writeString(script, SCRIPT, UTF_8);
        int port = Peers.freePort();
        List<String> command =
            List.of(
                python.toString(),
                script.toString(),
                Integer.toString(port),
                directory.resolve("messages").toString(),
                startTls ? TestCertificates.certificatePem().toString() : "",
                startTls ? TestCertificates.privateKeyPem().toString() : "",
                user == null ? "" : user,
                password == null ? "" : password,
                authRequireTls ? "1" : "0",
                smtpUtf8 ? "1" : "0");
        Process process =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("server.log").toFile())
                .start();
        AiosmtpdServer server = new AiosmtpdServer(process, directory, port);
        server.awaitListening();
        return server;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start aiosmtpd", e);
      }
    }
  }

  private void awaitListening() {
    try {
      await("aiosmtpd listening on 127.0.0.1:" + port)
          .atMost(START_TIMEOUT)
          .pollInterval(POLL)
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IllegalStateException(
                      "aiosmtpd exited with " + process.exitValue() + ":\n" + log());
                }
                return accepts(port);
              });
    } catch (ConditionTimeoutException | IllegalStateException e) {
      String output = log();
      close();
      Assertions.fail("aiosmtpd did not start: " + e.getMessage() + "\n" + output, e);
    }
  }

  static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The address to connect to. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** What the server printed so far (its log, Python tracebacks). */
  public String log() {
    try {
      return Files.exists(log) ? Files.readString(log, UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** The messages received so far, in order of arrival. */
  public List<Message> messages() {
    List<Message> result = new ArrayList<>();
    try (Stream<Path> files = Files.list(messages)) {
      for (Path env : files.filter(p -> p.toString().endsWith(".env")).sorted().toList()) {
        result.add(read(env));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read aiosmtpd's messages in " + messages, e);
    }
    return result;
  }

  private static Message read(Path env) throws IOException {
    String base = env.getFileName().toString().replace(".env", "");
    byte[] content = Files.readAllBytes(env.resolveSibling(base + ".eml"));
    String from = null;
    List<String> mailOptions = new ArrayList<>();
    List<String> rcptTos = new ArrayList<>();
    List<String> rcptOptions = new ArrayList<>();
    boolean tls = false;
    String auth = null;
    for (String line : Files.readAllLines(env, UTF_8)) {
      int space = line.indexOf(' ');
      String key = space < 0 ? line : line.substring(0, space);
      String value = space < 0 ? "" : line.substring(space + 1);
      switch (key) {
        case "mail_from" -> from = value;
        case "mail_option" -> mailOptions.add(value);
        case "rcpt_to" -> rcptTos.add(value);
        case "rcpt_option" -> rcptOptions.add(value);
        case "tls" -> tls = value.equals("1");
        case "auth" -> auth = value;
        default -> throw new IOException("unexpected line in " + env + ": " + line);
      }
    }
    return new Message(from, mailOptions, rcptTos, rcptOptions, tls, auth, content);
  }

  /**
   * Waits until at least {@code count} messages have arrived and returns them all; fails the test,
   * with the server's log, when they do not within {@code timeout}.
   */
  public List<Message> awaitMessages(int count, Duration timeout) {
    try {
      await("aiosmtpd receiving " + count + " messages")
          .atMost(timeout)
          .pollInterval(POLL)
          .until(() -> messages().size() >= count);
    } catch (ConditionTimeoutException e) {
      Assertions.fail(
          "expected " + count + " messages, got " + messages().size() + "; log:\n" + log(), e);
    }
    return messages();
  }

  /** Kills the server and deletes its directory. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteRecursively(directory);
  }

  static void deleteRecursively(Path directory) {
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temp directory is not worth failing a test for
    }
  }
}
