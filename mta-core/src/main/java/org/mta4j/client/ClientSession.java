package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.mta4j.client.SessionFailure.NetworkError;
import org.mta4j.client.SessionFailure.ProtocolViolation;
import org.mta4j.client.SessionFailure.ServerReply;
import org.mta4j.client.SessionFailure.Unmet;
import org.mta4j.client.TransactionResult.LocalFailure;
import org.mta4j.client.TransactionResult.RecipientReply;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMTP client's state machine for one connection: the session set-up ({@link #open}) and the
 * mail transactions ({@link #send}). Replies and I/O errors become values here; nothing below
 * decides delivery policy.
 */
final class ClientSession implements SmtpConnection {
  private static final Logger log = LoggerFactory.getLogger(SmtpConnection.class);
  private static final AtomicLong IDS = new AtomicLong();

  /**
   * Most commands in one pipelined write. Replies to a batch sit in the socket buffers until read;
   * bounding the batch keeps them well inside those buffers, so client and server can never both
   * block on a full buffer (RFC 2920 §3.1 deadlock).
   */
  static final int PIPELINE_WINDOW = 100;

  private final SmtpClient client;
  private final SmtpTarget target;
  private final SmtpChannel channel;
  private RemoteReply greeting;
  private ServerExtensions extensions = ServerExtensions.NONE;
  private SSLSession tlsSession;
  private boolean authenticated;
  private boolean usable;
  private boolean closed;
  private int transactions;
  private Stage setupStage = Stage.GREETING; // where the session set-up is, for failures

  private ClientSession(SmtpClient client, SmtpTarget target, SmtpChannel channel) {
    this.client = client;
    this.target = target;
    this.channel = channel;
  }

  // ---- session set-up ------------------------------------------------------------------------

  static ConnectResult open(SmtpClient client, SmtpTarget target) {
    ConnectResult result = attempt(client, target, target.tls() != TlsPolicy.NONE);
    if (result instanceof SessionFailure failure
        && failure.stage() == Stage.TLS_HANDSHAKE
        && target.tls() == TlsPolicy.OPPORTUNISTIC
        && !target.implicitTls()) {
      // Postfix's "may" level does the same: a server whose TLS is broken still gets the mail.
      log.info(
          "{}: TLS handshake failed ({}); opportunistic TLS, retrying in plain text",
          target.describe(),
          failure.describe());
      result = attempt(client, target, false);
    }
    return result;
  }

  private static ConnectResult attempt(SmtpClient client, SmtpTarget target, boolean startTls) {
    String id = "c" + IDS.incrementAndGet() + " " + target.describe();
    SmtpChannel channel;
    try {
      channel = SmtpChannel.connect(id, target.address(), client.connectTimeout());
    } catch (IOException e) {
      log.debug("{} connect failed: {}", id, e.toString());
      return networkError(Stage.CONNECT, e);
    }
    ClientSession session = new ClientSession(client, target, channel);
    SessionFailure failure = session.handshake(startTls);
    if (failure != null) {
      log.debug("{} session failed: {}", id, failure.describe());
      return failure;
    }
    session.usable = true;
    return session;
  }

  /** Greeting, EHLO, STARTTLS, EHLO, AUTH; null when all went well, else the failure (closed). */
  private SessionFailure handshake(boolean tryStartTls) {
    try {
      if (target.implicitTls()) {
        setupStage = Stage.TLS_HANDSHAKE;
        startTls();
      }
      setupStage = Stage.GREETING;
      greeting = channel.readReply(client.greetingTimeout());
      if (!greeting.isPositive()) {
        return quitAndFail(new ServerReply(Stage.GREETING, greeting));
      }
      setupStage = Stage.EHLO;
      SessionFailure failure = ehlo(true);
      if (failure != null) {
        return failure;
      }
      if (tryStartTls && tlsSession == null) {
        if (extensions.startTls()) {
          setupStage = Stage.STARTTLS;
          channel.command(Protocol.STARTTLS);
          channel.flush(client.startTlsTimeout());
          RemoteReply reply = channel.readReply(client.startTlsTimeout());
          if (reply.isPositive()) {
            // RFC 3207 §5: nothing read before the handshake may be trusted; a server (or a
            // man in the middle) that sends data here is trying to inject replies.
            int early = channel.bufferedInput();
            if (early > 0) {
              channel.close();
              return new ProtocolViolation(Stage.STARTTLS, Protocol.startTlsInjection(early));
            }
            setupStage = Stage.TLS_HANDSHAKE;
            startTls();
            setupStage = Stage.EHLO;
            failure = ehlo(false);
            if (failure != null) {
              return failure;
            }
          } else if (reply.isClosing() || target.tls() != TlsPolicy.OPPORTUNISTIC) {
            return quitAndFail(new ServerReply(Stage.STARTTLS, reply));
          } else {
            log.info(
                "{}: STARTTLS refused ({}); opportunistic TLS, going on in plain text",
                target.describe(),
                reply);
          }
        } else if (target.tls() != TlsPolicy.OPPORTUNISTIC) {
          return quitAndFail(
              new Unmet(
                  Stage.STARTTLS, Unmet.Requirement.TLS, Protocol.tlsNotOffered(serverName())));
        }
      }
      if (target.credentials() != null) {
        setupStage = Stage.AUTH;
        return authenticate();
      }
      return null;
    } catch (MalformedReplyException e) {
      channel.close();
      return new ProtocolViolation(setupStage, e.getMessage());
    } catch (IOException e) {
      channel.close();
      return networkError(setupStage, e);
    }
  }

  private void startTls() throws IOException {
    boolean verify = target.tls() == TlsPolicy.REQUIRED_VERIFIED;
    SSLContext context = verify ? client.verifiedContext() : client.unverifiedContext();
    String host = tlsHostName(target.hostName());
    SSLParameters parameters = context.getDefaultSSLParameters();
    if (!isIpAddress(host)) {
      try {
        parameters.setServerNames(List.of(new SNIHostName(host)));
      } catch (IllegalArgumentException e) {
        log.debug("{} no SNI for {}: {}", channel.id(), host, e.getMessage());
      }
    }
    if (verify) {
      // RFC 6125 host name rules; the JDK's HTTPS identification checks DNS and IP SANs.
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
    }
    tlsSession =
        channel.startTls(context.getSocketFactory(), host, parameters, client.startTlsTimeout());
  }

  private SessionFailure ehlo(boolean heloFallback) throws IOException {
    channel.command(Protocol.EHLO + client.heloName());
    channel.flush(client.heloTimeout());
    RemoteReply reply = channel.readReply(client.heloTimeout());
    if (reply.isPositive()) {
      extensions = ServerExtensions.fromEhlo(reply);
      return null;
    }
    if (reply.isPermanentFailure() && heloFallback) {
      // RFC 5321 §3.2: a server that does not know EHLO answers 5xx; try the old greeting.
      setupStage = Stage.HELO;
      channel.command(Protocol.HELO + client.heloName());
      channel.flush(client.heloTimeout());
      RemoteReply helo = channel.readReply(client.heloTimeout());
      if (helo.isPositive()) {
        extensions = ServerExtensions.NONE;
        return null;
      }
      return quitAndFail(new ServerReply(Stage.HELO, helo));
    }
    return quitAndFail(new ServerReply(Stage.EHLO, reply));
  }

  private SessionFailure authenticate() throws IOException {
    Credentials credentials = target.credentials();
    if (tlsSession == null && !target.allowPlaintextAuth()) {
      return quitAndFail(
          new Unmet(
              Stage.AUTH, Unmet.Requirement.TLS_FOR_AUTH, Protocol.authNeedsTls(serverName())));
    }
    Set<String> mechanisms = extensions.authMechanisms();
    if (mechanisms.isEmpty()) {
      return quitAndFail(
          new Unmet(Stage.AUTH, Unmet.Requirement.AUTH, Protocol.authNotOffered(serverName())));
    }
    RemoteReply reply;
    if (mechanisms.contains(Protocol.MECH_PLAIN)) {
      // RFC 4616 §2: [authzid] NUL authcid NUL passwd, sent as the initial response (RFC 4954 §4).
      String response = base64("\0" + credentials.username() + "\0" + credentials.password());
      channel.command(
          Protocol.AUTH + Protocol.MECH_PLAIN + " " + response,
          Protocol.AUTH + Protocol.MECH_PLAIN + " ****");
      channel.flush(client.heloTimeout());
      reply = channel.readReply(client.heloTimeout());
    } else if (mechanisms.contains(Protocol.MECH_LOGIN)) {
      channel.command(Protocol.AUTH + Protocol.MECH_LOGIN);
      channel.flush(client.heloTimeout());
      reply = channel.readReply(client.heloTimeout());
      if (reply.code() == Protocol.AUTH_CHALLENGE) {
        channel.command(base64(credentials.username()), "****");
        channel.flush(client.heloTimeout());
        reply = channel.readReply(client.heloTimeout());
        if (reply.code() == Protocol.AUTH_CHALLENGE) {
          channel.command(base64(credentials.password()), "****");
          channel.flush(client.heloTimeout());
          reply = channel.readReply(client.heloTimeout());
        }
      }
    } else {
      return quitAndFail(
          new Unmet(
              Stage.AUTH,
              Unmet.Requirement.AUTH_MECHANISM,
              Protocol.noCommonMechanism(serverName(), mechanisms)));
    }
    if (reply.isPositive()) {
      authenticated = true;
      return null;
    }
    if (reply.isIntermediate()) {
      // Another challenge where none is due: cancel the exchange (RFC 4954 §4) and give up.
      channel.command(Protocol.AUTH_CANCEL);
      channel.flush(client.heloTimeout());
      channel.readReply(client.heloTimeout());
      return quitAndFail(
          new ProtocolViolation(Stage.AUTH, Protocol.unexpectedReply("AUTH", reply)));
    }
    return quitAndFail(new ServerReply(Stage.AUTH, reply));
  }

  /** Ends a session the server refused: QUIT (not after a 421), then close. */
  private SessionFailure quitAndFail(SessionFailure failure) {
    if (!(failure instanceof ServerReply r && r.reply().isClosing())) {
      quitQuietly();
    }
    channel.close();
    return failure;
  }

  private void quitQuietly() {
    try {
      channel.command(Protocol.QUIT);
      channel.flush(client.quitTimeout());
      channel.readReply(client.quitTimeout());
    } catch (IOException e) {
      log.debug("{} QUIT: {}", channel.id(), e.toString());
    }
  }

  // ---- transactions --------------------------------------------------------------------------

  @Override
  public TransactionResult send(OutgoingMessage message) {
    Objects.requireNonNull(message, "message");
    if (!isReusable()) {
      throw new IllegalStateException(
          "connection to " + target.describe() + (closed ? " is closed" : " is broken"));
    }
    transactions++;
    LocalFailure refusal = precheck(message);
    if (refusal != null) {
      log.debug("{} not sent: {}", channel.id(), refusal.reply());
      return TransactionResult.refused(message.recipients(), refusal);
    }
    InputStream content;
    try {
      content = message.content().get();
      if (content == null) {
        throw new IOException("the content supplier returned null");
      }
    } catch (IOException | RuntimeException e) {
      // The supplier is the caller's code: whatever it throws, nothing was sent.
      return TransactionResult.refused(
          message.recipients(),
          new LocalFailure(
              LocalFailure.Reason.CONTENT_UNREADABLE,
              Protocol.contentUnreadable(e.getMessage() == null ? e.toString() : e.getMessage())));
    }
    try {
      return new Transaction(message, content).run();
    } finally {
      try {
        content.close();
      } catch (IOException e) {
        log.debug("{} closing the content: {}", channel.id(), e.toString());
      }
    }
  }

  /** What this side can tell before sending anything (RFC 1870, RFC 6531, RFC 3030). */
  private LocalFailure precheck(OutgoingMessage message) {
    if (message.parameters().body() == MailParameters.Body.BINARY_MIME
        && !(client.chunking() && extensions.chunking() && extensions.binaryMime())) {
      return new LocalFailure(
          LocalFailure.Reason.BINARYMIME_NOT_OFFERED, Protocol.binaryMimeNotOffered(serverName()));
    }
    if (message.needsSmtpUtf8() && !extensions.smtpUtf8()) {
      return new LocalFailure(
          LocalFailure.Reason.SMTPUTF8_NOT_OFFERED, Protocol.smtpUtf8NotOffered(serverName()));
    }
    OptionalLong limit = extensions.sizeLimit();
    if (limit.isPresent() && message.size() > limit.getAsLong()) {
      return new LocalFailure(
          LocalFailure.Reason.MESSAGE_TOO_BIG,
          Protocol.messageTooBig(message.size(), limit.getAsLong(), serverName()));
    }
    return null;
  }

  /** One mail transaction's progress and replies. */
  private final class Transaction {
    private final OutgoingMessage message;
    private final InputStream content;
    private final boolean bdat;
    private final RemoteReply[] rcpt;
    private RemoteReply mail;
    private RemoteReply data;
    private RemoteReply end;
    private Stage stage = Stage.MAIL;
    private boolean needsReset;
    private boolean streaming; // DATA content is going out: an error now cannot be undone by RSET

    Transaction(OutgoingMessage message, InputStream content) {
      this.message = message;
      this.content = content;
      this.bdat =
          message.parameters().body() == MailParameters.Body.BINARY_MIME
              || (client.chunking() && extensions.chunking());
      this.rcpt = new RemoteReply[message.recipients().size()];
    }

    TransactionResult run() {
      SessionFailure failure;
      try {
        failure = exchange();
      } catch (ContentReadException e) {
        LocalFailure local =
            new LocalFailure(
                LocalFailure.Reason.CONTENT_UNREADABLE, Protocol.contentUnreadable(e.getMessage()));
        log.debug("{} content unreadable: {}", channel.id(), e.getMessage());
        if (streaming) {
          // Mid-DATA there is no way to abort but to drop the connection before the final dot.
          breakConnection();
        } else {
          reset();
        }
        return result(local, null);
      } catch (MalformedReplyException e) {
        failure = new ProtocolViolation(stage, e.getMessage());
      } catch (IOException e) {
        failure = networkError(stage, e);
      }
      if (failure != null) {
        log.debug("{} session failed: {}", channel.id(), failure.describe());
        breakConnection();
        return result(null, failure);
      }
      if (needsReset) {
        reset();
      }
      return result(null, null);
    }

    private TransactionResult result(LocalFailure local, SessionFailure failure) {
      List<Recipient> recipients = message.recipients();
      List<RecipientReply> replies = new ArrayList<>(recipients.size());
      for (int i = 0; i < recipients.size(); i++) {
        replies.add(new RecipientReply(recipients.get(i), rcpt[i]));
      }
      return new TransactionResult(mail, replies, data, end, local, failure);
    }

    /** The commands and replies; a non-null return is a session failure (421 anywhere). */
    private SessionFailure exchange() throws IOException {
      List<String> commands = new ArrayList<>(rcpt.length + 2);
      commands.add(mailCommand());
      for (Recipient r : message.recipients()) {
        commands.add(rcptCommand(r));
      }
      needsReset = true; // until the server has given its verdict on the content
      if (client.pipelining() && extensions.pipelining()) {
        // RFC 2920 §3.1: MAIL, the RCPTs and DATA in one go, then the replies in order.
        if (!bdat) {
          commands.add(Protocol.DATA);
        }
        for (int from = 0; from < commands.size(); from += PIPELINE_WINDOW) {
          int to = Math.min(commands.size(), from + PIPELINE_WINDOW);
          for (int i = from; i < to; i++) {
            channel.command(commands.get(i));
          }
          stage = from == 0 ? Stage.MAIL : Stage.RCPT;
          channel.flush(from == 0 ? client.mailTimeout() : client.rcptTimeout());
          for (int i = from; i < to; i++) {
            RemoteReply reply = readNth(i);
            if (reply.isClosing()) {
              return new ServerReply(stage, reply);
            }
          }
        }
      } else {
        for (int i = 0; i < commands.size(); i++) {
          stage = i == 0 ? Stage.MAIL : Stage.RCPT;
          channel.command(commands.get(i));
          channel.flush(i == 0 ? client.mailTimeout() : client.rcptTimeout());
          RemoteReply reply = readNth(i);
          if (reply.isClosing()) {
            return new ServerReply(stage, reply);
          }
          if (i == 0 && !reply.isPositive()) {
            return null; // no transaction: the recipients are not sent
          }
        }
        if (noRecipientAccepted()) {
          return null;
        }
        if (!bdat) {
          stage = Stage.DATA;
          channel.command(Protocol.DATA);
          channel.flush(client.dataInitTimeout());
          data = channel.readReply(client.dataInitTimeout());
          if (data.isClosing()) {
            return new ServerReply(stage, data);
          }
        }
      }
      return bdat ? sendChunks() : sendData();
    }

    /** Reads the reply to the i-th command of [MAIL, RCPT..., DATA] and files it. */
    private RemoteReply readNth(int i) throws IOException {
      if (i == 0) {
        stage = Stage.MAIL;
        mail = channel.readReply(client.mailTimeout());
        return mail;
      }
      if (i <= rcpt.length) {
        stage = Stage.RCPT;
        rcpt[i - 1] = channel.readReply(client.rcptTimeout());
        return rcpt[i - 1];
      }
      stage = Stage.DATA;
      data = channel.readReply(client.dataInitTimeout());
      return data;
    }

    private SessionFailure sendData() throws IOException {
      if (data == null || data.code() != Protocol.START_MAIL_INPUT) {
        if (data != null && (data.isPositive() || data.isIntermediate())) {
          return new ProtocolViolation(Stage.DATA, Protocol.unexpectedReply("DATA", data));
        }
        return null; // DATA refused, or never sent because MAIL or every RCPT was refused
      }
      if (noRecipientAccepted()) {
        // RFC 2920 §3.1: DATA was pipelined, every RCPT failed, yet the server says 354: end the
        // (empty) data at once; the result shows no accepted recipient.
        stage = Stage.END_OF_DATA;
        channel.content(Protocol.END_OF_DATA, 0, Protocol.END_OF_DATA.length, blockTimeout());
        channel.flush(blockTimeout());
        end = channel.readReply(client.dataDoneTimeout());
        return end.isClosing() ? new ServerReply(stage, end) : null;
      }
      stage = Stage.MESSAGE_CONTENT;
      streaming = true;
      Duration timeout = blockTimeout();
      ContentWriter.writeData(
          new CrlfNormalizer(ContentWriter.guarded(content)),
          (bytes, off, len) -> channel.content(bytes, off, len, timeout));
      channel.flush(timeout);
      streaming = false;
      stage = Stage.END_OF_DATA;
      end = channel.readReply(client.dataDoneTimeout());
      if (end.isClosing()) {
        return new ServerReply(stage, end);
      }
      needsReset = false; // the transaction is over whatever the verdict
      return null;
    }

    private SessionFailure sendChunks() throws IOException {
      if (mail == null || !mail.isPositive() || noRecipientAccepted()) {
        return null;
      }
      boolean binary = message.parameters().body() == MailParameters.Body.BINARY_MIME;
      InputStream source = ContentWriter.guarded(content);
      ContentWriter.ChunkReader chunks =
          new ContentWriter.ChunkReader(binary ? source : new CrlfNormalizer(source));
      byte[] buffer = new byte[chunkBufferSize(message.size())];
      while (true) {
        stage = Stage.MESSAGE_CONTENT;
        // The whole chunk is read before its BDAT goes out, so a content error never leaves a
        // partial chunk on the wire and RSET can still abort the transaction.
        ContentWriter.Chunk chunk = chunks.next(buffer);
        channel.command(Protocol.BDAT + chunk.length() + (chunk.last() ? Protocol.BDAT_LAST : ""));
        channel.content(buffer, 0, chunk.length(), blockTimeout());
        channel.flush(blockTimeout());
        if (chunk.last()) {
          stage = Stage.END_OF_DATA;
        }
        RemoteReply reply =
            channel.readReply(chunk.last() ? client.dataDoneTimeout() : blockTimeout());
        if (reply.isClosing()) {
          end = reply;
          return new ServerReply(stage, reply);
        }
        if (!reply.isPositive() || chunk.last()) {
          // RFC 3030 §2: after a refused chunk no further chunk may be sent; RSET then.
          end = reply;
          needsReset = !chunk.last();
          return null;
        }
      }
    }

    private int chunkBufferSize(long size) {
      // Room for the whole message plus normalisation slack when it is small: one BDAT LAST.
      long wanted = size + size / 8 + 64;
      return (int) Math.min(client.chunkSize(), wanted);
    }

    private boolean noRecipientAccepted() {
      for (RemoteReply r : rcpt) {
        if (r != null && r.isPositive()) {
          return false;
        }
      }
      return true;
    }

    private Duration blockTimeout() {
      return client.dataBlockTimeout();
    }

    private String mailCommand() {
      MailParameters p = message.parameters();
      StringBuilder command =
          new StringBuilder(Protocol.MAIL_FROM)
              .append(message.reversePath())
              .append(Protocol.PATH_END);
      if (extensions.size()) {
        command.append(Protocol.PARAM_SIZE).append(message.size());
      }
      switch (p.body()) {
        case EIGHT_BIT_MIME -> {
          // Without 8BITMIME the content goes as is, without BODY (Postfix's default).
          if (extensions.eightBitMime()) {
            command.append(Protocol.PARAM_BODY_8BITMIME);
          }
        }
        case BINARY_MIME -> command.append(Protocol.PARAM_BODY_BINARYMIME);
        case SEVEN_BIT -> {}
      }
      if (message.needsSmtpUtf8()) {
        command.append(Protocol.PARAM_SMTPUTF8);
      }
      if (extensions.dsn()) {
        if (p.ret() != null) {
          command
              .append(Protocol.PARAM_RET)
              .append(p.ret() == MailParameters.Ret.FULL ? "FULL" : "HDRS");
        }
        if (p.envid() != null) {
          command.append(Protocol.PARAM_ENVID).append(p.envid());
        }
      }
      if (authenticated && p.auth() != null) {
        command.append(Protocol.PARAM_AUTH).append(p.auth());
      }
      return command.toString();
    }

    private String rcptCommand(Recipient recipient) {
      StringBuilder command =
          new StringBuilder(Protocol.RCPT_TO).append(recipient.address()).append(Protocol.PATH_END);
      if (extensions.dsn()) {
        if (!recipient.dsnNotify().isEmpty()) {
          command
              .append(Protocol.PARAM_NOTIFY)
              .append(
                  recipient.dsnNotify().stream()
                      .sorted(Comparator.naturalOrder())
                      .map(Enum::name)
                      .collect(Collectors.joining(",")));
        }
        if (recipient.orcpt() != null) {
          command.append(Protocol.PARAM_ORCPT).append(recipient.orcpt());
        }
      }
      return command.toString();
    }
  }

  /** RSET after a transaction that did not finish; a failure makes the connection unusable. */
  private void reset() {
    try {
      channel.command(Protocol.RSET);
      channel.flush(client.rsetTimeout());
      RemoteReply reply = channel.readReply(client.rsetTimeout());
      if (!reply.isPositive()) {
        log.debug("{} RSET refused ({}); not reusing the connection", channel.id(), reply);
        if (!reply.isClosing()) {
          quitQuietly();
        }
        breakConnection();
      }
    } catch (IOException e) {
      log.debug("{} RSET failed ({}); not reusing the connection", channel.id(), e.toString());
      breakConnection();
    }
  }

  private void breakConnection() {
    usable = false;
    channel.close();
  }

  // ---- state ---------------------------------------------------------------------------------

  @Override
  public boolean isReusable() {
    return usable && !closed;
  }

  @Override
  public SmtpTarget target() {
    return target;
  }

  @Override
  public RemoteReply greeting() {
    return greeting;
  }

  @Override
  public ServerExtensions extensions() {
    return extensions;
  }

  @Override
  public Optional<SSLSession> tlsSession() {
    return Optional.ofNullable(tlsSession);
  }

  @Override
  public boolean isAuthenticated() {
    return authenticated;
  }

  @Override
  public int transactions() {
    return transactions;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (usable) {
      usable = false;
      quitQuietly();
    }
    channel.close();
  }

  @Override
  public String toString() {
    return "SmtpConnection[" + channel.id() + (tlsSession != null ? ", TLS" : "") + "]";
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** {@code host[ip]}, as Postfix names a server in texts. */
  private String serverName() {
    return target.hostName() + "[" + target.address().getAddress().getHostAddress() + "]";
  }

  static NetworkError networkError(Stage stage, IOException e) {
    NetworkError.Kind kind;
    if (stage == Stage.CONNECT) {
      kind = NetworkError.Kind.CONNECT;
    } else if (e instanceof SocketTimeoutException) {
      kind = NetworkError.Kind.TIMEOUT;
    } else if (e instanceof SSLException || stage == Stage.TLS_HANDSHAKE) {
      kind = NetworkError.Kind.TLS;
    } else if (e instanceof EOFException || e instanceof SocketException) {
      kind = NetworkError.Kind.CONNECTION_LOST;
    } else {
      kind = NetworkError.Kind.OTHER;
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return new NetworkError(stage, kind, message, e);
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
  }

  /** The host name without address-literal brackets, for SNI and certificate checks. */
  private static String tlsHostName(String hostName) {
    if (hostName.startsWith("[") && hostName.endsWith("]")) {
      String inner = hostName.substring(1, hostName.length() - 1);
      return inner.regionMatches(true, 0, "IPv6:", 0, 5) ? inner.substring(5) : inner;
    }
    return hostName;
  }

  private static boolean isIpAddress(String host) {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
  }
}
