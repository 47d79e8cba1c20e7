package org.mta4j.server.internal;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import org.mta4j.server.BareLineEndings;
import org.mta4j.server.Decision;
import org.mta4j.server.Envelope;
import org.mta4j.server.SessionInfo;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.server.TlsInfo;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One SMTP session (RFC 5321 §4.1) on its own virtual thread: reads commands, keeps the session and
 * transaction state, asks the policies, reads the content and hands each message to the handler.
 * Blocking I/O throughout; every read is bounded in size and time.
 */
final class SmtpSession {
  private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
  private static final DateTimeFormatter RFC5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

  /**
   * The input buffer while idle: small, as 10,000 idle sessions must fit in little heap; content
   * (DATA, BDAT) is read through a pooled 16 KiB buffer ({@link SmtpServer.BufferPool}).
   */
  private static final int COMMAND_BUFFER = 1024;

  private final SmtpServer server;
  private final ServerConfig config;
  private final String id;
  private Socket socket;
  private final Socket plainSocket;
  private final boolean implicitTls;

  /**
   * The read timeout while the session is plain text; with TLS the socket's {@code SO_TIMEOUT}
   * bounds reads instead (see {@link #readTimeout}).
   */
  private final ReadDeadline readDeadline;

  private SmtpInput in;
  private OutputStream out;

  // session state
  private InetSocketAddress client;
  private InetSocketAddress local;
  private InetSocketAddress proxy;
  private String heloName;
  private boolean esmtp;
  private TlsInfo tls;
  private String authIdentity;
  private int errors;
  private int messagesAccepted;
  private Instant started;
  private int authFailures;
  private volatile boolean idle;
  private boolean closing;

  // transaction state
  private MailPath reversePath;
  private MailParameters mailParameters;
  private final List<Recipient> recipients = new ArrayList<>();
  private int rejectedRecipients;
  private boolean bdatInProgress;
  private boolean bdatFailed;
  private ContentDecoder decoder;
  private final ContentBuffer content;

  SmtpSession(SmtpServer server, Socket socket, boolean implicitTls, String id) {
    this.server = server;
    this.config = server.config();
    this.socket = socket;
    this.plainSocket = socket;
    this.implicitTls = implicitTls;
    this.id = id;
    this.readDeadline = new ReadDeadline(socket, config.commandTimeout());
    // the addresses are read on the session's own thread (run), not on the acceptor
    this.content = new ContentBuffer(config.memoryPerMessage(), null, server.buffers());
  }

  String id() {
    return id;
  }

  InetSocketAddress client() {
    return client;
  }

  /** Called by the server at shutdown: a session waiting for a command is told to go at once. */
  void shutdownIfIdle() {
    if (idle) {
      try {
        plainSocket.shutdownInput();
      } catch (IOException | UnsupportedOperationException ignored) {
        // the socket is already going away
      }
    }
  }

  /** Called by the server's timeout sweeper ({@link ReadDeadline}). */
  void checkTimeout(long nanoTime) {
    readDeadline.check(nanoTime);
  }

  void forceClose() {
    try {
      plainSocket.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }

  /** The session's life: PROXY header, TLS, greeting, commands. Never throws. */
  void run(SmtpServer.ClientSlot slot) {
    MDC.put("session", id);
    try {
      started = config.clock().instant();
      client = (InetSocketAddress) plainSocket.getRemoteSocketAddress();
      local = (InetSocketAddress) plainSocket.getLocalSocketAddress();
      plainSocket.setTcpNoDelay(true);
      // bounds the PROXY header and an implicit TLS handshake; plain-text sessions then use
      // readDeadline instead
      plainSocket.setSoTimeout(timeoutMillis(config.commandTimeout()));
      if (slot.proxyExpected()) {
        try {
          ProxyProtocol.ProxyHeader header = ProxyProtocol.read(plainSocket.getInputStream());
          if (header.source() != null) {
            proxy = client;
            client = header.source();
          }
        } catch (ProxyProtocolException e) {
          log.warn("bad PROXY protocol header from {}: {}", client, e.getMessage());
          return;
        }
      }
      if (!slot.admit(client.getAddress())) {
        out = new BufferedOutputStream(plainSocket.getOutputStream(), 512);
        reply(Replies.TOO_MANY_CONNECTIONS_FROM_YOU);
        out.flush();
        return;
      }
      try {
        if (implicitTls) {
          startTls();
        } else {
          plainSocket.setSoTimeout(0);
          in = new SmtpInput(plainSocket.getInputStream(), readDeadline, COMMAND_BUFFER);
          out = new BufferedOutputStream(plainSocket.getOutputStream(), COMMAND_BUFFER);
        }
        log.debug("connect from {}", client);
        converse();
      } finally {
        slot.release(client.getAddress());
      }
    } catch (SocketTimeoutException e) {
      sendQuietly(Replies.TIMEOUT);
      log.info("timeout after {} from {}", heloName == null ? "CONNECT" : "command", client);
    } catch (EOFException e) {
      log.debug("lost connection from {}: {}", client, e.getMessage());
    } catch (IOException e) {
      log.debug("I/O error with {}: {}", client, e.toString());
    } catch (RuntimeException e) {
      log.error("session {} failed", id, e);
      sendQuietly(Replies.LOCAL_ERROR);
    } finally {
      content.close();
      if (in != null) {
        in.release(server.buffers());
      }
      forceClose();
      log.debug("disconnect from {}", client);
      sessionEnded();
      MDC.remove("session");
    }
  }

  private void sessionEnded() {
    if (config.eventListeners().isEmpty() || started == null || client == null) {
      return;
    }
    Instant now = config.clock().instant();
    org.mta4j.event.MtaEvent event =
        new org.mta4j.event.MtaEvent.Session(
            now,
            id,
            client,
            heloName,
            tls != null,
            authIdentity,
            messagesAccepted,
            java.time.Duration.between(started, now));
    for (org.mta4j.event.MtaEventListener l : config.eventListeners()) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("event listener {} failed: {}", l.getClass().getName(), e.toString());
      }
    }
  }

  private void converse() throws IOException {
    Decision connect = ask(p -> p.onConnect(info()));
    if (connect != null && !(connect instanceof Decision.Accept)) {
      reply(replyOf(connect, Replies.REJECTED));
      out.flush();
      return;
    }
    line(Replies.greeting(config.hostname()));
    while (!closing) {
      if (!in.hasBuffered()) {
        flushAndYield(); // RFC 2920: replies to a pipelined group go out together
      }
      idle = !inTransaction(); // set before the check, so close() cannot slip in between
      if (server.isShuttingDown() && idle) {
        reply(Replies.SHUTTING_DOWN);
        break;
      }
      SmtpInput.Line line;
      try {
        line = in.readLine(config.maxCommandLineLength());
      } finally {
        idle = false;
      }
      if (line == null) {
        if (server.isShuttingDown()) {
          sendQuietly(Replies.SHUTTING_DOWN);
        }
        return;
      }
      if (line.tooLong()) {
        error(Replies.LINE_TOO_LONG);
      } else if (line.ending() == SmtpInput.Ending.BARE_LF
          && config.bareLineEndings() == BareLineEndings.REJECT) {
        error(Replies.BARE_LF_COMMAND);
      } else if (line.binary()) {
        error(Replies.BINARY_COMMAND);
      } else {
        command(line.text());
      }
      if (errors >= config.maxErrors() && !closing) {
        reply(Replies.TOO_MANY_ERRORS);
        closing = true;
      }
    }
    out.flush();
  }

  private void command(String line) throws IOException {
    int sp = line.indexOf(' ');
    String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
    String args = sp < 0 ? "" : line.substring(sp + 1);
    switch (verb) {
      case "EHLO" -> helo(args, true);
      case "HELO" -> helo(args, false);
      case "MAIL" -> mail(args);
      case "RCPT" -> rcpt(args);
      case "DATA" -> data(args);
      case "BDAT" -> bdat(args);
      case "RSET" -> {
        if (!args.isBlank()) {
          error(Replies.NO_ARGUMENTS);
        } else {
          resetTransaction();
          reply(Replies.RESET_OK);
        }
      }
      case "NOOP" -> reply(Replies.NOOP_OK);
      case "QUIT" -> {
        reply(Replies.bye());
        closing = true;
      }
      case "VRFY" -> {
        if (args.isBlank()) {
          error(Replies.VRFY_SYNTAX);
        } else {
          reply(Replies.VRFY_CANNOT);
        }
      }
      case "HELP" -> reply(Replies.HELP);
      case "STARTTLS" -> starttls(args);
      case "AUTH" -> auth(args);
      case "EXPN", "TURN", "ETRN" -> error(Replies.NOT_IMPLEMENTED);
      default -> error(Replies.UNKNOWN_COMMAND);
    }
  }

  // ---- EHLO / HELO (RFC 5321 §4.1.1.1)

  private void helo(String args, boolean extended) throws IOException {
    String name = args.trim();
    if (name.isEmpty() || name.indexOf(' ') >= 0) {
      error(Replies.HELO_SYNTAX);
      return;
    }
    resetTransaction();
    Decision d = ask(p -> p.onHelo(info(), name));
    if (refused(d)) {
      return;
    }
    heloName = name;
    esmtp = extended;
    if (!extended) {
      line(Replies.helo(config.hostname()));
      return;
    }
    List<String> keywords = new ArrayList<>();
    keywords.add("PIPELINING");
    keywords.add("SIZE " + config.maxMessageSize());
    if (config.sslContext() != null && tls == null) {
      keywords.add("STARTTLS");
    }
    if (authOffered()) {
      keywords.add("AUTH PLAIN LOGIN");
    }
    keywords.add("ENHANCEDSTATUSCODES");
    keywords.add("8BITMIME");
    keywords.add("DSN");
    keywords.add("SMTPUTF8");
    keywords.add("CHUNKING");
    List<String> lines = Replies.ehlo(config.hostname(), keywords);
    for (int i = 0; i < lines.size(); i++) {
      line("250" + (i == lines.size() - 1 ? " " : "-") + lines.get(i));
    }
  }

  private boolean authOffered() {
    return config.authenticator() != null
        && authIdentity == null
        && (tls != null || config.allowAuthWithoutTls());
  }

  // ---- MAIL (RFC 5321 §4.1.1.2)

  private void mail(String args) throws IOException {
    if (heloName == null) {
      error(Replies.NEED_HELO);
      return;
    }
    if (reversePath != null) {
      error(Replies.NESTED_MAIL);
      return;
    }
    CommandParser.PathAndParams parsed = CommandParser.parsePathCommand(args, "FROM:", true);
    if (parsed == null) {
      error(
          args.regionMatches(true, 0, "FROM:", 0, 5)
              ? Replies.BAD_SENDER_SYNTAX
              : Replies.MAIL_SYNTAX);
      return;
    }
    Map<String, String> params = parsed.params();
    if (!esmtp && !params.isEmpty()) {
      error(Replies.unknownParameter(params.keySet().iterator().next()));
      return;
    }
    MailParameters.Body body = MailParameters.Body.SEVEN_BIT;
    long size = -1;
    boolean utf8 = false;
    MailParameters.Ret ret = null;
    String envid = null;
    String auth = null;
    for (Map.Entry<String, String> e : params.entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      switch (key) {
        case "SIZE" -> {
          size = CommandParser.parseSize(value);
          if (size < 0) {
            error(Replies.badParameter(key));
            return;
          }
          if (size > config.maxMessageSize()) {
            error(Replies.MESSAGE_TOO_BIG);
            return;
          }
        }
        case "BODY" -> {
          switch (value.toUpperCase(Locale.ROOT)) {
            case "7BIT" -> body = MailParameters.Body.SEVEN_BIT;
            case "8BITMIME" -> body = MailParameters.Body.EIGHT_BIT_MIME;
            default -> {
              error(Replies.badParameter(key));
              return;
            }
          }
        }
        case "SMTPUTF8" -> {
          if (!value.isEmpty()) {
            error(Replies.badParameter(key));
            return;
          }
          utf8 = true;
        }
        case "RET" -> {
          switch (value.toUpperCase(Locale.ROOT)) {
            case "FULL" -> ret = MailParameters.Ret.FULL;
            case "HDRS" -> ret = MailParameters.Ret.HDRS;
            default -> {
              error(Replies.badParameter(key));
              return;
            }
          }
        }
        case "ENVID" -> {
          if (value.length() > 100 || !CommandParser.isXtext(value)) { // RFC 3461 §4.4
            error(Replies.badParameter(key));
            return;
          }
          envid = value;
        }
        case "AUTH" -> {
          if (!CommandParser.isXtext(value)) {
            error(Replies.badParameter(key));
            return;
          }
          auth = value;
        }
        default -> {
          error(Replies.unknownParameter(key));
          return;
        }
      }
    }
    MailPath path = parsed.path();
    if (path.utf8() && !utf8) {
      error(Replies.UTF8_NEEDS_SMTPUTF8);
      return;
    }
    MailParameters mp = new MailParameters(body, size, utf8, ret, envid, auth);
    String address = path.address();
    Decision d = ask(p -> p.onMail(info(), address, mp));
    if (refused(d)) {
      return;
    }
    reversePath = path;
    mailParameters = mp;
    reply(accepted(d, Replies.SENDER_OK));
  }

  // ---- RCPT (RFC 5321 §4.1.1.3, RFC 3461 §4)

  private void rcpt(String args) throws IOException {
    if (reversePath == null) {
      error(Replies.NEED_MAIL);
      return;
    }
    CommandParser.PathAndParams parsed = CommandParser.parsePathCommand(args, "TO:", false);
    if (parsed == null) {
      error(
          args.regionMatches(true, 0, "TO:", 0, 3)
              ? Replies.BAD_RECIPIENT_SYNTAX
              : Replies.RCPT_SYNTAX);
      return;
    }
    Set<Recipient.Notify> notify = EnumSet.noneOf(Recipient.Notify.class);
    String orcpt = null;
    for (Map.Entry<String, String> e : parsed.params().entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      if (!esmtp) {
        error(Replies.unknownParameter(key));
        return;
      }
      switch (key) {
        case "NOTIFY" -> {
          for (String n : value.toUpperCase(Locale.ROOT).split(",", -1)) {
            try {
              notify.add(Recipient.Notify.valueOf(n));
            } catch (IllegalArgumentException bad) {
              error(Replies.badParameter(key));
              return;
            }
          }
          if (notify.contains(Recipient.Notify.NEVER) && notify.size() > 1) {
            error(Replies.badParameter(key)); // NEVER stands alone (RFC 3461 §4.1)
            return;
          }
        }
        case "ORCPT" -> {
          int semi = value.indexOf(';');
          if (semi <= 0
              || value.length() > 500
              || !CommandParser.isXtext(value.substring(semi + 1))) {
            error(Replies.badParameter(key));
            return;
          }
          orcpt = value;
        }
        default -> {
          error(Replies.unknownParameter(key));
          return;
        }
      }
    }
    MailPath path = parsed.path();
    if (path.utf8() && !mailParameters.smtpUtf8()) {
      error(Replies.UTF8_NEEDS_SMTPUTF8);
      return;
    }
    if (recipients.size() >= config.maxRecipients()) {
      error(Replies.TOO_MANY_RECIPIENTS);
      return;
    }
    if (!RelayControl.mayRelay(config, path, client.getAddress(), authIdentity != null)) {
      rejectedRecipients++;
      error(Replies.RELAY_DENIED);
      return;
    }
    Recipient recipient = new Recipient(path.address(), notify, orcpt);
    String from = reversePath.address();
    Decision d = ask(p -> p.onRcpt(info(), from, recipient));
    if (refused(d)) {
      rejectedRecipients++;
      return;
    }
    recipients.add(recipient);
    reply(accepted(d, Replies.RECIPIENT_OK));
  }

  // ---- DATA (RFC 5321 §4.1.1.4)

  private void data(String args) throws IOException {
    if (!args.isBlank()) {
      error(Replies.NO_ARGUMENTS);
      return;
    }
    if (bdatInProgress) {
      error(Replies.DATA_AFTER_BDAT);
      return;
    }
    if (reversePath == null) {
      error(Replies.NEED_MAIL);
      return;
    }
    if (recipients.isEmpty()) {
      error(rejectedRecipients > 0 ? Replies.NO_VALID_RECIPIENTS : Replies.NEED_RCPT);
      return;
    }
    reply(Replies.START_DATA);
    flushAndYield();
    String txId = server.nextTransactionId();
    startContent(txId, true);
    readTimeout(config.dataTimeout());
    try {
      in.readData(decoder);
    } finally {
      readTimeout(config.commandTimeout());
    }
    finishMessage(txId);
  }

  // ---- BDAT (RFC 3030 §2)

  private void bdat(String args) throws IOException {
    String[] parts = args.trim().split(" +");
    long size = parts.length >= 1 ? CommandParser.parseSize(parts[0]) : -1;
    boolean last = parts.length == 2 && parts[1].equalsIgnoreCase("LAST");
    if (size < 0 || parts.length > 2 || (parts.length == 2 && !last)) {
      // We cannot know how many octets follow, so the session cannot stay in step.
      error(Replies.BDAT_SYNTAX);
      closing = true;
      return;
    }
    SmtpReply refusal = null;
    if (reversePath == null) {
      refusal = Replies.NEED_MAIL;
    } else if (recipients.isEmpty()) {
      refusal = rejectedRecipients > 0 ? Replies.NO_VALID_RECIPIENTS : Replies.NEED_RCPT;
    }
    if (refusal != null) {
      readTimeout(config.dataTimeout());
      try {
        in.readChunk(size, null); // the chunk is read and dropped, so the next command is found
      } finally {
        readTimeout(config.commandTimeout());
      }
      error(refusal);
      return;
    }
    if (!bdatInProgress) {
      bdatInProgress = true;
      bdatFailed = false;
      startContent(server.nextTransactionId(), false);
    }
    readTimeout(config.dataTimeout());
    try {
      in.readChunk(size, bdatFailed ? null : decoder);
    } finally {
      readTimeout(config.commandTimeout());
    }
    if (!last) {
      if (decoder.tooBig() && !bdatFailed) {
        bdatFailed = true; // keep reading chunks to LAST, then refuse the message (RFC 3030 §4)
      }
      if (bdatFailed) {
        error(Replies.messageTooBig(config.maxMessageSize()));
      } else {
        reply(Replies.chunkOk(size));
      }
      return;
    }
    decoder.endOfChunks();
    finishMessage(pendingTxId);
  }

  private String pendingTxId;

  private void startContent(String txId, boolean dotStuffed) throws IOException {
    pendingTxId = txId;
    in.reserve(server.buffers());
    content.reset();
    byte[] received = receivedHeader(txId).getBytes(StandardCharsets.UTF_8);
    content.write(received);
    decoder =
        new ContentDecoder(
            dotStuffed,
            config.bareLineEndings() == BareLineEndings.NORMALIZE,
            // saturating: maxMessageSize(Long.MAX_VALUE) must not overflow into "everything is too
            // big"
            Math.min(config.maxMessageSize(), Long.MAX_VALUE - received.length) + received.length,
            config.maxTextLineLength());
    decoder.start(content, received.length);
  }

  /** After the last byte: limits, end-of-data policies, the handler, the reply. */
  private void finishMessage(String txId) throws IOException {
    try {
      content.finish();
      SmtpReply refusal = null;
      if (decoder.tooBig()) {
        refusal = Replies.messageTooBig(config.maxMessageSize());
      } else if (decoder.sawBareLineEnding()
          && config.bareLineEndings() == BareLineEndings.REJECT) {
        refusal = Replies.BARE_LINE_ENDING;
      } else if (decoder.lineTooLong()) {
        refusal = Replies.DATA_LINE_TOO_LONG;
      }
      if (refusal != null) {
        log.info("{}: reject: {} from {}", txId, refusal, client);
        error(refusal);
        return;
      }
      Envelope envelope =
          new Envelope(
              txId,
              reversePath.address(),
              recipients,
              mailParameters,
              info(),
              Instant.now(config.clock()));
      Decision d = ask(p -> p.onMessage(envelope, content));
      if (refused(d)) {
        return;
      }
      Decision handled;
      try {
        handled = config.messageHandler().handle(envelope, content);
      } catch (IOException | RuntimeException e) {
        log.warn("{}: message handler failed: {}", txId, e.toString(), e);
        error(Replies.LOCAL_ERROR);
        return;
      }
      if (handled == null || handled instanceof Decision.Continue) {
        handled = Decision.accept();
      }
      if (!refused(handled)) {
        log.info(
            "{}: from=<{}>, nrcpt={}, size={}, client={}",
            txId,
            envelope.reversePath(),
            recipients.size(),
            content.size(),
            client);
        messagesAccepted++;
        reply(accepted(handled, Replies.queued(txId)));
      }
    } finally {
      resetTransaction();
    }
  }

  private String receivedHeader(String txId) {
    // RFC 5321 §4.4; protocol names from RFC 3848 and RFC 6531 §3.7.3
    String protocol =
        (mailParameters.smtpUtf8() ? "UTF8SMTP" : esmtp ? "ESMTP" : "SMTP")
            + (tls != null ? "S" : "")
            + (authIdentity != null ? "A" : "");
    StringBuilder h = new StringBuilder(256);
    h.append("Received: from ")
        .append(headerSafe(heloName, false))
        .append(" (")
        .append(addressLiteral(client))
        .append(")\r\n\tby ")
        .append(config.hostname())
        .append(" (mta4j) with ")
        .append(protocol)
        .append(" id ")
        .append(txId);
    if (tls != null) {
      h.append("\r\n\t(using ")
          .append(tls.protocol())
          .append(" with cipher ")
          .append(tls.cipherSuite())
          .append(')');
    }
    if (recipients.size() == 1) {
      h.append("\r\n\tfor <")
          .append(headerSafe(recipients.get(0).address(), mailParameters.smtpUtf8()))
          .append('>');
    }
    h.append(";\r\n\t").append(ReceivedDate.format(Instant.now(config.clock()))).append("\r\n");
    return h.toString();
  }

  /** The date of Received headers, formatted once per second rather than once per message. */
  private static final class ReceivedDate {
    private record Cached(long second, String text) {}

    private static volatile Cached cached = new Cached(Long.MIN_VALUE, "");

    static String format(Instant now) {
      Cached c = cached;
      if (c.second() != now.getEpochSecond()) {
        c =
            new Cached(
                now.getEpochSecond(), RFC5322_DATE.format(now.atZone(ZoneId.systemDefault())));
        cached = c;
      }
      return c.text();
    }
  }

  private static String addressLiteral(InetSocketAddress a) {
    String ip = Cidr.format(a.getAddress().getAddress()); // RFC 5952 short form, no scope id
    return a.getAddress() instanceof java.net.Inet6Address ? "[IPv6:" + ip + "]" : "[" + ip + "]";
  }

  /** Header text from client input: printable, no comment breakers; UTF-8 only when SMTPUTF8. */
  private static String headerSafe(String s, boolean utf8) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length() && i < 255; i++) {
      char c = s.charAt(i);
      boolean bad =
          c < 0x20 || c == 0x7f || (c > 0x7f && !utf8) || c == '(' || c == ')' || c == '\\';
      b.append(bad ? '_' : c);
    }
    return b.toString();
  }

  // ---- STARTTLS (RFC 3207)

  private void starttls(String args) throws IOException {
    if (config.sslContext() == null) {
      error(Replies.NOT_IMPLEMENTED);
      return;
    }
    if (!args.isBlank()) {
      error(Replies.NO_ARGUMENTS);
      return;
    }
    if (tls != null) {
      error(Replies.ALREADY_TLS);
      return;
    }
    reply(Replies.READY_TLS);
    out.flush();
    startTls();
    // RFC 3207 §4.2: forget everything learned before TLS; the client must EHLO again
    heloName = null;
    esmtp = false;
    authIdentity = null;
    resetTransaction();
  }

  private void startTls() throws IOException {
    // from here on SO_TIMEOUT bounds reads (the handshake's, then the TLS session's): the current
    // timeout is the command timeout, as STARTTLS is a command
    plainSocket.setSoTimeout(timeoutMillis(config.commandTimeout()));
    SSLSocket ssl =
        (SSLSocket)
            config
                .sslContext()
                .getSocketFactory()
                .createSocket(plainSocket, client.getHostString(), client.getPort(), true);
    ssl.setUseClientMode(false);
    ssl.startHandshake();
    socket = ssl;
    tls = new TlsInfo(ssl.getSession().getProtocol(), ssl.getSession().getCipherSuite());
    if (in == null) {
      in = new SmtpInput(ssl.getInputStream(), null, COMMAND_BUFFER);
    } else {
      in.switchTo(ssl.getInputStream()); // drops plaintext pipelined after STARTTLS (CVE-2011-0411)
    }
    out = new BufferedOutputStream(ssl.getOutputStream(), COMMAND_BUFFER);
    log.debug("TLS {} {} with {}", tls.protocol(), tls.cipherSuite(), client);
  }

  // ---- AUTH (RFC 4954; PLAIN RFC 4616; LOGIN)

  private void auth(String args) throws IOException {
    if (config.authenticator() == null) {
      error(Replies.AUTH_NOT_ENABLED);
      return;
    }
    if (heloName == null || !esmtp) {
      error(Replies.NEED_HELO);
      return;
    }
    if (authIdentity != null) {
      error(Replies.ALREADY_AUTH);
      return;
    }
    if (inTransaction()) {
      error(Replies.AUTH_IN_TRANSACTION);
      return;
    }
    if (tls == null && !config.allowAuthWithoutTls()) {
      error(Replies.AUTH_REQUIRES_TLS);
      return;
    }
    String[] parts = args.trim().split(" +");
    if (parts.length < 1 || parts.length > 2 || parts[0].isEmpty()) {
      error(Replies.AUTH_SYNTAX);
      return;
    }
    String mechanism = parts[0].toUpperCase(Locale.ROOT);
    String initial = parts.length == 2 ? parts[1] : null;
    String username;
    String password;
    switch (mechanism) {
      case "PLAIN" -> {
        String response = initial != null ? initial : challenge(Replies.AUTH_CONTINUE_EMPTY);
        if (response == null) {
          return;
        }
        byte[] decoded = decode(response.equals("=") ? "" : response);
        if (decoded == null) {
          return;
        }
        String[] fields = new String(decoded, StandardCharsets.UTF_8).split("\0", -1);
        if (fields.length != 3 || (!fields[0].isEmpty() && !fields[0].equals(fields[1]))) {
          authFailed();
          return;
        }
        username = fields[1];
        password = fields[2];
      }
      case "LOGIN" -> {
        String user = initial != null ? initial : challenge(Replies.AUTH_LOGIN_USERNAME);
        if (user == null) {
          return;
        }
        byte[] u = decode(user);
        if (u == null) {
          return;
        }
        String pass = challenge(Replies.AUTH_LOGIN_PASSWORD);
        if (pass == null) {
          return;
        }
        byte[] p = decode(pass);
        if (p == null) {
          return;
        }
        username = new String(u, StandardCharsets.UTF_8);
        password = new String(p, StandardCharsets.UTF_8);
      }
      default -> {
        error(Replies.AUTH_MECHANISM);
        return;
      }
    }
    boolean ok;
    try {
      ok = config.authenticator().authenticate(username, password, info());
    } catch (IOException | RuntimeException e) {
      log.warn("authenticator failed: {}", e.toString());
      error(Replies.AUTH_TEMP_FAIL);
      return;
    }
    if (ok) {
      authIdentity = username;
      log.info("client={}, sasl_method={}, sasl_username={}", client, mechanism, username);
      reply(Replies.AUTH_OK);
    } else {
      authFailed();
    }
  }

  /** Sends a 334 challenge and reads the answer; null if the client cancelled or went away. */
  private String challenge(String prompt) throws IOException {
    line(prompt);
    out.flush();
    SmtpInput.Line answer = in.readLine(config.maxCommandLineLength());
    if (answer == null) {
      throw new EOFException("connection closed in AUTH");
    }
    if (answer.tooLong() || answer.binary()) {
      error(Replies.AUTH_BAD_BASE64);
      return null;
    }
    if (answer.text().equals("*")) {
      error(Replies.AUTH_CANCELLED);
      return null;
    }
    return answer.text();
  }

  private byte[] decode(String base64) throws IOException {
    try {
      return Base64.getDecoder().decode(base64.trim());
    } catch (IllegalArgumentException e) {
      error(Replies.AUTH_BAD_BASE64);
      return null;
    }
  }

  private void authFailed() throws IOException {
    authFailures++;
    log.info("client={}: SASL authentication failed", client);
    if (authFailures >= config.maxAuthFailures()) {
      reply(Replies.TOO_MANY_AUTH_FAILURES);
      closing = true;
      return;
    }
    error(Replies.AUTH_FAILED);
  }

  // ---- policies

  private interface Hook {
    Decision ask(SmtpPolicy policy);
  }

  /**
   * Asks each policy in turn; returns the first decision that is not Continue, or null. A policy
   * that throws is a temporary failure for this command (STYLE rule 8).
   */
  private Decision ask(Hook hook) {
    for (SmtpPolicy policy : config.policies()) {
      Decision d;
      try {
        d = hook.ask(policy);
      } catch (RuntimeException e) {
        log.warn("policy {} failed: {}", policy.getClass().getName(), e.toString(), e);
        return Decision.tempFail(Replies.POLICY_ERROR);
      }
      if (d != null && !(d instanceof Decision.Continue)) {
        return d;
      }
    }
    return null;
  }

  /** Sends the refusal if the decision refuses; true if it did. */
  private boolean refused(Decision d) throws IOException {
    switch (d) {
      case Decision.Reject r -> {
        error(r.reply());
        return true;
      }
      case Decision.TempFail t -> {
        error(t.reply());
        return true;
      }
      case Decision.Disconnect x -> {
        reply(x.reply());
        closing = true;
        return true;
      }
      case null, default -> {
        return false;
      }
    }
  }

  private static SmtpReply accepted(Decision d, SmtpReply usual) {
    if (d instanceof Decision.Accept a && a.reply() != null) {
      return a.reply();
    }
    return usual;
  }

  private static SmtpReply replyOf(Decision d, SmtpReply fallback) {
    return switch (d) {
      case Decision.Reject r -> r.reply();
      case Decision.TempFail t -> t.reply();
      case Decision.Disconnect x -> x.reply();
      default -> fallback;
    };
  }

  // ---- state and output

  private boolean inTransaction() {
    return reversePath != null;
  }

  private void resetTransaction() {
    reversePath = null;
    mailParameters = null;
    recipients.clear();
    rejectedRecipients = 0;
    bdatInProgress = false;
    bdatFailed = false;
    decoder = null;
    pendingTxId = null;
    content.reset();
  }

  SessionInfo info() {
    return new SessionInfo(id, client, local, proxy, heloName, esmtp, tls, authIdentity);
  }

  private void error(SmtpReply reply) throws IOException {
    errors++;
    reply(reply);
  }

  private void reply(SmtpReply reply) throws IOException {
    line(reply.toString());
  }

  private void line(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.write('\r');
    out.write('\n');
  }

  /**
   * Sends the pending replies, then lets other sessions run before this one reads the client's
   * answer: by then the answer has often arrived and the read does not park this virtual thread (a
   * park and its wake-up through the poller cost more than a yield).
   */
  private void flushAndYield() throws IOException {
    out.flush();
    Thread.yield();
  }

  private void sendQuietly(SmtpReply reply) {
    if (out == null) {
      return;
    }
    try {
      reply(reply);
      out.flush();
    } catch (IOException ignored) {
      // the client is gone; nothing to tell it
    }
  }

  /** The timeout of the following reads: the command or the data timeout. */
  private void readTimeout(java.time.Duration d) throws IOException {
    if (tls == null) {
      readDeadline.timeout(d);
    } else {
      socket.setSoTimeout(timeoutMillis(d));
    }
  }

  private static int timeoutMillis(java.time.Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
  }
}
