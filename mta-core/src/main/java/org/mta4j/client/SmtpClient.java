package org.mta4j.client;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * The SMTP client of the delivery stage (Postfix's {@code smtp}): opens sessions to servers and
 * runs mail transactions over them. Immutable and thread-safe; build one per application with
 * {@link #builder()} and call {@link #connect} from as many (virtual) threads as needed. Each
 * {@link SmtpConnection} it returns belongs to one thread at a time.
 *
 * <pre>{@code
 * SmtpClient client = SmtpClient.builder().heloName("mx.example.org").build();
 * SmtpTarget target = SmtpTarget.of(new InetSocketAddress(ip, 25), "mx1.example.net",
 *     TlsPolicy.OPPORTUNISTIC);
 * switch (client.connect(target)) {
 *   case SmtpConnection connection -> {
 *     try (connection) {
 *       TransactionResult result = connection.send(message);
 *       ...
 *     }
 *   }
 *   case SessionFailure failure -> ...
 * }
 * }</pre>
 *
 * <p>{@link #connect} never throws for what the network or the server does: it reads the greeting,
 * sends EHLO (HELO after a 5xx to EHLO), runs STARTTLS as the target's {@link TlsPolicy} says, EHLO
 * again, and AUTH when the target has credentials; any failure on the way comes back as a {@link
 * SessionFailure}. With {@link TlsPolicy#OPPORTUNISTIC}, a failed TLS handshake is followed, as in
 * Postfix, by a second attempt in plain text on a new connection; a STARTTLS command the server
 * refuses is followed by plain text on the same connection. {@link TlsPolicy#OPPORTUNISTIC} and
 * {@link TlsPolicy#REQUIRED} encrypt without checking the certificate; {@link
 * TlsPolicy#REQUIRED_VERIFIED} checks the chain against {@link Builder#sslContext}'s trust and the
 * target's host name (RFC 6125 rules, the JDK's {@code HTTPS} endpoint identification).
 *
 * <p>Timeouts default to RFC 5321 §4.5.3.2's; the connect timeout to Postfix's 30 seconds.
 */
public final class SmtpClient {

  private final String heloName;
  private final Duration connectTimeout;
  private final Duration greetingTimeout;
  private final Duration heloTimeout;
  private final Duration startTlsTimeout;
  private final Duration mailTimeout;
  private final Duration rcptTimeout;
  private final Duration dataInitTimeout;
  private final Duration dataBlockTimeout;
  private final Duration dataDoneTimeout;
  private final Duration rsetTimeout;
  private final Duration quitTimeout;
  private final SSLContext sslContext;
  private final SSLContext unverifiedContext;
  private final boolean pipelining;
  private final boolean chunking;
  private final int chunkSize;

  private SmtpClient(Builder b, SSLContext sslContext, SSLContext unverifiedContext) {
    this.heloName = b.heloName;
    this.connectTimeout = b.connectTimeout;
    this.greetingTimeout = b.greetingTimeout;
    this.heloTimeout = b.heloTimeout;
    this.startTlsTimeout = b.startTlsTimeout;
    this.mailTimeout = b.mailTimeout;
    this.rcptTimeout = b.rcptTimeout;
    this.dataInitTimeout = b.dataInitTimeout;
    this.dataBlockTimeout = b.dataBlockTimeout;
    this.dataDoneTimeout = b.dataDoneTimeout;
    this.rsetTimeout = b.rsetTimeout;
    this.quitTimeout = b.quitTimeout;
    this.sslContext = sslContext;
    this.unverifiedContext = unverifiedContext;
    this.pipelining = b.pipelining;
    this.chunking = b.chunking;
    this.chunkSize = b.chunkSize;
  }

  /** A builder with RFC 5321's timeouts; {@link Builder#heloName} must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this client's settings, to derive a variant. */
  public Builder newBuilder() {
    Builder b = new Builder();
    b.heloName = heloName;
    b.connectTimeout = connectTimeout;
    b.greetingTimeout = greetingTimeout;
    b.heloTimeout = heloTimeout;
    b.startTlsTimeout = startTlsTimeout;
    b.mailTimeout = mailTimeout;
    b.rcptTimeout = rcptTimeout;
    b.dataInitTimeout = dataInitTimeout;
    b.dataBlockTimeout = dataBlockTimeout;
    b.dataDoneTimeout = dataDoneTimeout;
    b.rsetTimeout = rsetTimeout;
    b.quitTimeout = quitTimeout;
    b.sslContext = sslContext;
    b.pipelining = pipelining;
    b.chunking = chunking;
    b.chunkSize = chunkSize;
    return b;
  }

  /**
   * Opens a session with {@code target}: TCP, greeting, EHLO, STARTTLS and AUTH as configured.
   * Blocks for at most the sum of the stages' timeouts.
   *
   * @return the open connection, or the failure that prevented it (the socket is then closed)
   */
  public ConnectResult connect(SmtpTarget target) {
    Objects.requireNonNull(target, "target");
    return ClientSession.open(this, target);
  }

  /** The name sent with EHLO and HELO. */
  public String heloName() {
    return heloName;
  }

  Duration connectTimeout() {
    return connectTimeout;
  }

  Duration greetingTimeout() {
    return greetingTimeout;
  }

  Duration heloTimeout() {
    return heloTimeout;
  }

  Duration startTlsTimeout() {
    return startTlsTimeout;
  }

  Duration mailTimeout() {
    return mailTimeout;
  }

  Duration rcptTimeout() {
    return rcptTimeout;
  }

  Duration dataInitTimeout() {
    return dataInitTimeout;
  }

  Duration dataBlockTimeout() {
    return dataBlockTimeout;
  }

  Duration dataDoneTimeout() {
    return dataDoneTimeout;
  }

  Duration rsetTimeout() {
    return rsetTimeout;
  }

  Duration quitTimeout() {
    return quitTimeout;
  }

  SSLContext verifiedContext() {
    return sslContext;
  }

  SSLContext unverifiedContext() {
    return unverifiedContext;
  }

  boolean pipelining() {
    return pipelining;
  }

  boolean chunking() {
    return chunking;
  }

  int chunkSize() {
    return chunkSize;
  }

  /**
   * Builds an {@link SmtpClient}. Each setter checks its value at once and names the option in the
   * exception.
   */
  public static final class Builder {
    // RFC 5321 §2.3.5 domain (LDH labels) or §4.1.3 address literal.
    private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final Pattern DOMAIN = Pattern.compile(LABEL + "(\\." + LABEL + ")*");
    private static final Pattern ADDRESS_LITERAL =
        Pattern.compile("\\[(\\d{1,3}(\\.\\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\\]");

    /** Largest BDAT chunk; each connection holds one chunk in memory while sending. */
    public static final int MAX_CHUNK_SIZE = 16 * 1024 * 1024;

    private String heloName;
    private Duration connectTimeout = Duration.ofSeconds(30); // Postfix smtp_connect_timeout
    private Duration greetingTimeout = Duration.ofMinutes(5); // RFC 5321 §4.5.3.2.1
    private Duration heloTimeout = Duration.ofMinutes(5); // Postfix smtp_helo_timeout
    private Duration startTlsTimeout = Duration.ofMinutes(5); // Postfix smtp_starttls_timeout
    private Duration mailTimeout = Duration.ofMinutes(5); // RFC 5321 §4.5.3.2.2
    private Duration rcptTimeout = Duration.ofMinutes(5); // RFC 5321 §4.5.3.2.3
    private Duration dataInitTimeout = Duration.ofMinutes(2); // RFC 5321 §4.5.3.2.4
    private Duration dataBlockTimeout = Duration.ofMinutes(3); // RFC 5321 §4.5.3.2.5
    private Duration dataDoneTimeout = Duration.ofMinutes(10); // RFC 5321 §4.5.3.2.6
    private Duration rsetTimeout = Duration.ofSeconds(20); // Postfix smtp_rset_timeout
    // Postfix waits 300 s for QUIT's reply; close() blocks its caller and the reply tells nothing.
    private Duration quitTimeout = Duration.ofSeconds(20);
    private SSLContext sslContext;
    private boolean pipelining = true;
    private boolean chunking = true;
    private int chunkSize = 64 * 1024;

    private Builder() {}

    /**
     * The name to send with EHLO/HELO: this host's public DNS name, or an address literal such as
     * {@code [192.0.2.1]}. Required, and never taken from the local host name (in a container that
     * is a random id that receiving servers reject or score down).
     */
    public Builder heloName(String heloName) {
      Objects.requireNonNull(heloName, "heloName");
      if (heloName.length() > 253
          || !(DOMAIN.matcher(heloName).matches() || ADDRESS_LITERAL.matcher(heloName).matches())) {
        throw new IllegalArgumentException(
            "heloName must be a domain name or an address literal: " + heloName);
      }
      this.heloName = heloName;
      return this;
    }

    /** How long to wait for the TCP connection. Default 30 seconds (Postfix). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /** How long to wait for the 220 greeting. Default 5 minutes (RFC 5321 §4.5.3.2.1). */
    public Builder greetingTimeout(Duration timeout) {
      this.greetingTimeout = positive("greetingTimeout", timeout);
      return this;
    }

    /** How long to wait for the replies to EHLO, HELO and AUTH. Default 5 minutes. */
    public Builder heloTimeout(Duration timeout) {
      this.heloTimeout = positive("heloTimeout", timeout);
      return this;
    }

    /** How long STARTTLS's reply and the TLS handshake may each take. Default 5 minutes. */
    public Builder startTlsTimeout(Duration timeout) {
      this.startTlsTimeout = positive("startTlsTimeout", timeout);
      return this;
    }

    /** How long to wait for the reply to MAIL. Default 5 minutes (RFC 5321 §4.5.3.2.2). */
    public Builder mailTimeout(Duration timeout) {
      this.mailTimeout = positive("mailTimeout", timeout);
      return this;
    }

    /** How long to wait for each reply to RCPT. Default 5 minutes (RFC 5321 §4.5.3.2.3). */
    public Builder rcptTimeout(Duration timeout) {
      this.rcptTimeout = positive("rcptTimeout", timeout);
      return this;
    }

    /** How long to wait for the 354 to DATA. Default 2 minutes (RFC 5321 §4.5.3.2.4). */
    public Builder dataInitTimeout(Duration timeout) {
      this.dataInitTimeout = positive("dataInitTimeout", timeout);
      return this;
    }

    /**
     * How long each write of content, and the reply to a BDAT chunk that is not the last, may take.
     * Default 3 minutes (RFC 5321 §4.5.3.2.5).
     */
    public Builder dataBlockTimeout(Duration timeout) {
      this.dataBlockTimeout = positive("dataBlockTimeout", timeout);
      return this;
    }

    /**
     * How long to wait for the reply after the final dot or the last BDAT chunk. Default 10 minutes
     * (RFC 5321 §4.5.3.2.6).
     */
    public Builder dataDoneTimeout(Duration timeout) {
      this.dataDoneTimeout = positive("dataDoneTimeout", timeout);
      return this;
    }

    /** How long to wait for the reply to RSET. Default 20 seconds (Postfix). */
    public Builder rsetTimeout(Duration timeout) {
      this.rsetTimeout = positive("rsetTimeout", timeout);
      return this;
    }

    /** How long {@link SmtpConnection#close()} waits for QUIT's reply. Default 20 seconds. */
    public Builder quitTimeout(Duration timeout) {
      this.quitTimeout = positive("quitTimeout", timeout);
      return this;
    }

    /**
     * The TLS context whose trust verifies certificates under {@link TlsPolicy#REQUIRED_VERIFIED}
     * (and whose key managers, if any, give a client certificate). Default: the JDK's default
     * context and trust store.
     */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /** Use PIPELINING (RFC 2920) when the server offers it. Default true. */
    public Builder pipelining(boolean pipelining) {
      this.pipelining = pipelining;
      return this;
    }

    /** Use BDAT (RFC 3030) when the server offers CHUNKING. Default true. */
    public Builder chunking(boolean chunking) {
      this.chunking = chunking;
      return this;
    }

    /**
     * The largest BDAT chunk in bytes; a smaller message goes in one chunk. Default 64 KiB; 1 to
     * {@value #MAX_CHUNK_SIZE}.
     */
    public Builder chunkSize(int bytes) {
      if (bytes < 1 || bytes > MAX_CHUNK_SIZE) {
        throw new IllegalArgumentException("chunkSize must be 1.." + MAX_CHUNK_SIZE + ": " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /** Checks that a HELO name is set and builds the client. */
    public SmtpClient build() {
      if (heloName == null) {
        throw new IllegalStateException("heloName is required");
      }
      SSLContext verified = sslContext;
      try {
        if (verified == null) {
          verified = SSLContext.getDefault();
        }
        return new SmtpClient(this, verified, UnverifiedTls.context());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("this JVM has no default TLS context", e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
      }
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be > 0: " + value);
      }
      if (value.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + " must be at most 24 days: " + value);
      }
      return value;
    }
  }
}
