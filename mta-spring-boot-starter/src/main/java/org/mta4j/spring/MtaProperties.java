package org.mta4j.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mta4j.client.TlsPolicy;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code mta.*} properties: everything an application needs to be its own relay with no code.
 *
 * <p>Values are checked when the {@link org.mta4j.Mta} is built, by the same rules as {@link
 * org.mta4j.Mta.Builder}; a bad value fails startup with an {@code
 * InvalidConfigurationPropertyValueException} naming the property. An unset value means mta4j's own
 * default (given in each property's description).
 */
@ConfigurationProperties("mta")
public class MtaProperties {

  /** Whether to auto-configure an embedded MTA at all. */
  private boolean enabled = true;

  /**
   * The name in the greeting, the EHLO reply and Received headers (default "localhost"): set it to
   * the host's public name.
   */
  private String hostname;

  /**
   * How long shutdown lets SMTP sessions and delivery attempts under way finish before they are cut
   * off (default 10s).
   */
  private Duration shutdownGrace;

  private final Server server = new Server();
  private final Relay relay = new Relay();
  private final Queue queue = new Queue();
  private final Dkim dkim = new Dkim();
  private final Limits limits = new Limits();
  private final Retry retry = new Retry();
  private final Health health = new Health();
  private final Metrics metrics = new Metrics();
  private final MailSender mailSender = new MailSender();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getHostname() {
    return hostname;
  }

  public void setHostname(String hostname) {
    this.hostname = hostname;
  }

  public Duration getShutdownGrace() {
    return shutdownGrace;
  }

  public void setShutdownGrace(Duration shutdownGrace) {
    this.shutdownGrace = shutdownGrace;
  }

  public Server getServer() {
    return server;
  }

  public Relay getRelay() {
    return relay;
  }

  public Queue getQueue() {
    return queue;
  }

  public Dkim getDkim() {
    return dkim;
  }

  public Limits getLimits() {
    return limits;
  }

  public Retry getRetry() {
    return retry;
  }

  public Health getHealth() {
    return health;
  }

  public Metrics getMetrics() {
    return metrics;
  }

  public MailSender getMailSender() {
    return mailSender;
  }

  /** The SMTP server: where it listens and whom it serves. */
  public static class Server {

    /**
     * Whether to run an SMTP server. False makes a null client: mail comes only from the
     * JavaMailSender or Mta.submit, and goes out through the relay or MX.
     */
    private boolean enabled = true;

    /** The SMTP port; 0 binds a free port. */
    private int port = 25;

    /** The address to listen on, an IP literal such as 0.0.0.0, :: or 127.0.0.1. */
    private String bindAddress = "0.0.0.0";

    /** A second port with implicit TLS (RFC 8314, port-465 style); needs TLS. Unset for none. */
    private Integer implicitTlsPort;

    /**
     * Networks (CIDR) whose connections start with a PROXY protocol header (HAProxy, a cloud load
     * balancer).
     */
    private List<String> proxyProtocolFrom = new ArrayList<>();

    /** Domains this server accepts mail for from anyone (Postfix's mydestination). */
    private List<String> localDomains = new ArrayList<>();

    /**
     * Networks (CIDR) whose clients may relay anywhere (Postfix's mynetworks). Unset: loopback only
     * (127.0.0.0/8 and ::1/128); an empty value trusts nobody.
     */
    private List<String> trustedNetworks;

    private final Tls tls = new Tls();
    private final Auth auth = new Auth();

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public String getBindAddress() {
      return bindAddress;
    }

    public void setBindAddress(String bindAddress) {
      this.bindAddress = bindAddress;
    }

    public Integer getImplicitTlsPort() {
      return implicitTlsPort;
    }

    public void setImplicitTlsPort(Integer implicitTlsPort) {
      this.implicitTlsPort = implicitTlsPort;
    }

    public List<String> getProxyProtocolFrom() {
      return proxyProtocolFrom;
    }

    public void setProxyProtocolFrom(List<String> proxyProtocolFrom) {
      this.proxyProtocolFrom = proxyProtocolFrom;
    }

    public List<String> getLocalDomains() {
      return localDomains;
    }

    public void setLocalDomains(List<String> localDomains) {
      this.localDomains = localDomains;
    }

    public List<String> getTrustedNetworks() {
      return trustedNetworks;
    }

    public void setTrustedNetworks(List<String> trustedNetworks) {
      this.trustedNetworks = trustedNetworks;
    }

    public Tls getTls() {
      return tls;
    }

    public Auth getAuth() {
      return auth;
    }
  }

  /** TLS for STARTTLS and the implicit-TLS port: PEM files, or a Spring Boot SSL bundle. */
  public static class Tls {

    /** The certificate chain in PEM, leaf first (e.g. Let's Encrypt's fullchain.pem). */
    private Path certificate;

    /** The private key in PEM (PKCS#8, PKCS#1 RSA or EC; e.g. privkey.pem). */
    private Path privateKey;

    /** The name of a Spring Boot SSL bundle (spring.ssl.bundle.*), instead of PEM files. */
    private String bundle;

    public Path getCertificate() {
      return certificate;
    }

    public void setCertificate(Path certificate) {
      this.certificate = certificate;
    }

    public Path getPrivateKey() {
      return privateKey;
    }

    public void setPrivateKey(Path privateKey) {
      this.privateKey = privateKey;
    }

    public String getBundle() {
      return bundle;
    }

    public void setBundle(String bundle) {
      this.bundle = bundle;
    }
  }

  /** SMTP AUTH (PLAIN and LOGIN, RFC 4954). An Authenticator bean replaces the users below. */
  public static class Auth {

    /** Users allowed to authenticate, name to password. Empty: no AUTH (unless a bean). */
    private Map<String, String> users = new LinkedHashMap<>();

    /**
     * Offer AUTH without TLS too. Passwords then cross the network in clear text: only for
     * loopback-only servers and test rigs.
     */
    private boolean allowWithoutTls;

    public Map<String, String> getUsers() {
      return users;
    }

    public void setUsers(Map<String, String> users) {
      this.users = users;
    }

    public boolean isAllowWithoutTls() {
      return allowWithoutTls;
    }

    public void setAllowWithoutTls(boolean allowWithoutTls) {
      this.allowWithoutTls = allowWithoutTls;
    }
  }

  /** A smarthost (Postfix's relayhost): all non-local mail goes there instead of to MX hosts. */
  public static class Relay {

    /** The smarthost's name or IP address. Unset: deliver to the recipients' MX hosts. */
    private String host;

    /** The smarthost's port. */
    private int port = 587;

    /** STARTTLS toward the smarthost. */
    private TlsPolicy tls = TlsPolicy.REQUIRED;

    /** TLS from the first byte (RFC 8314, usually port 465) instead of STARTTLS. */
    private boolean implicitTls;

    /** The AUTH user at the smarthost; set together with the password. */
    private String username;

    /** The AUTH password at the smarthost. */
    private String password;

    public String getHost() {
      return host;
    }

    public void setHost(String host) {
      this.host = host;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public TlsPolicy getTls() {
      return tls;
    }

    public void setTls(TlsPolicy tls) {
      this.tls = tls;
    }

    public boolean isImplicitTls() {
      return implicitTls;
    }

    public void setImplicitTls(boolean implicitTls) {
      this.implicitTls = implicitTls;
    }

    public String getUsername() {
      return username;
    }

    public void setUsername(String username) {
      this.username = username;
    }

    public String getPassword() {
      return password;
    }

    public void setPassword(String password) {
      this.password = password;
    }
  }

  /** Where queued mail waits. A QueueStore bean replaces this. */
  public static class Queue {

    /** The kind of queue store. */
    private QueueType type = QueueType.MEMORY;

    private final FileQueue file = new FileQueue();
    private final JdbcQueue jdbc = new JdbcQueue();

    public QueueType getType() {
      return type;
    }

    public void setType(QueueType type) {
      this.type = type;
    }

    public FileQueue getFile() {
      return file;
    }

    public JdbcQueue getJdbc() {
      return jdbc;
    }
  }

  /** The kinds of queue store. */
  public enum QueueType {
    /** In the heap: fast, lost on restart. */
    MEMORY,
    /** A durable directory (needs org.mta4j:mta-queue-file). */
    FILE,
    /** Tables in the application's DataSource (needs org.mta4j:mta-queue-jdbc). */
    JDBC
  }

  /** The file queue (mta.queue.type=file). */
  public static class FileQueue {

    /** The queue directory, created if missing; one store per directory. Required. */
    private Path directory;

    /** How writes are made durable (default group-commit; "none" is for tests only). */
    private String durability;

    public Path getDirectory() {
      return directory;
    }

    public void setDirectory(Path directory) {
      this.directory = directory;
    }

    public String getDurability() {
      return durability;
    }

    public void setDurability(String durability) {
      this.durability = durability;
    }
  }

  /** The JDBC queue (mta.queue.type=jdbc) on the application's DataSource. */
  public static class JdbcQueue {

    /** The prefix of the queue's table names (default the store's own). */
    private String tablePrefix;

    /** The database schema of the tables; unset for the connection's default. */
    private String schema;

    /** Whether to create the tables when they are missing. */
    private boolean createSchema = true;

    public String getTablePrefix() {
      return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
      this.tablePrefix = tablePrefix;
    }

    public String getSchema() {
      return schema;
    }

    public void setSchema(String schema) {
      this.schema = schema;
    }

    public boolean isCreateSchema() {
      return createSchema;
    }

    public void setCreateSchema(boolean createSchema) {
      this.createSchema = createSchema;
    }
  }

  /** DKIM signing of outgoing mail (needs org.mta4j:mta-dkim). */
  public static class Dkim {

    /** One signing key per domain (the From domain of the mail it signs). */
    private List<DkimKey> keys = new ArrayList<>();

    public List<DkimKey> getKeys() {
      return keys;
    }

    public void setKeys(List<DkimKey> keys) {
      this.keys = keys;
    }
  }

  /** One DKIM key. */
  public static class DkimKey {

    /** The signing domain (d=). */
    private String domain;

    /** The selector (s=): the key's DNS record is selector._domainkey.domain. */
    private String selector;

    /** The private key in PEM (RSA or Ed25519). */
    private Path privateKey;

    public String getDomain() {
      return domain;
    }

    public void setDomain(String domain) {
      this.domain = domain;
    }

    public String getSelector() {
      return selector;
    }

    public void setSelector(String selector) {
      this.selector = selector;
    }

    public Path getPrivateKey() {
      return privateKey;
    }

    public void setPrivateKey(Path privateKey) {
      this.privateKey = privateKey;
    }
  }

  /** Limits of the server and of delivery; unset means mta4j's default (RFC 5321 / Postfix). */
  public static class Limits {

    /** Most SMTP sessions open at once (default 1000). */
    private Integer maxConnections;

    /** Most sessions from one client address (default 50). */
    private Integer maxConnectionsPerClient;

    /** Most recipients per message (default 100). */
    private Integer maxRecipients;

    /** Largest message, advertised as SIZE (default 10240000B, as Postfix). */
    private DataSize maxMessageSize;

    /** Errors a session may make before it is closed (default 20). */
    private Integer maxErrors;

    /** Failed AUTH attempts per session before it is closed (default 3). */
    private Integer maxAuthFailures;

    /** How long to wait for a command (default 5m, RFC 5321 4.5.3.2.7). */
    private Duration commandTimeout;

    /** How long to wait for each block of message data (default 3m, RFC 5321 4.5.3.2.5). */
    private Duration dataTimeout;

    /** Most delivery attempts under way at once (default 100). */
    private Integer deliveryConcurrency;

    /** Most delivery attempts under way to one destination (default 20). */
    private Integer destinationConcurrency;

    public Integer getMaxConnections() {
      return maxConnections;
    }

    public void setMaxConnections(Integer maxConnections) {
      this.maxConnections = maxConnections;
    }

    public Integer getMaxConnectionsPerClient() {
      return maxConnectionsPerClient;
    }

    public void setMaxConnectionsPerClient(Integer maxConnectionsPerClient) {
      this.maxConnectionsPerClient = maxConnectionsPerClient;
    }

    public Integer getMaxRecipients() {
      return maxRecipients;
    }

    public void setMaxRecipients(Integer maxRecipients) {
      this.maxRecipients = maxRecipients;
    }

    public DataSize getMaxMessageSize() {
      return maxMessageSize;
    }

    public void setMaxMessageSize(DataSize maxMessageSize) {
      this.maxMessageSize = maxMessageSize;
    }

    public Integer getMaxErrors() {
      return maxErrors;
    }

    public void setMaxErrors(Integer maxErrors) {
      this.maxErrors = maxErrors;
    }

    public Integer getMaxAuthFailures() {
      return maxAuthFailures;
    }

    public void setMaxAuthFailures(Integer maxAuthFailures) {
      this.maxAuthFailures = maxAuthFailures;
    }

    public Duration getCommandTimeout() {
      return commandTimeout;
    }

    public void setCommandTimeout(Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
    }

    public Duration getDataTimeout() {
      return dataTimeout;
    }

    public void setDataTimeout(Duration dataTimeout) {
      this.dataTimeout = dataTimeout;
    }

    public Integer getDeliveryConcurrency() {
      return deliveryConcurrency;
    }

    public void setDeliveryConcurrency(Integer deliveryConcurrency) {
      this.deliveryConcurrency = deliveryConcurrency;
    }

    public Integer getDestinationConcurrency() {
      return destinationConcurrency;
    }

    public void setDestinationConcurrency(Integer destinationConcurrency) {
      this.destinationConcurrency = destinationConcurrency;
    }
  }

  /** The retry schedule (Postfix's backoff and queue lifetime). */
  public static class Retry {

    /** The wait after the first failed attempt; doubled per attempt up to max-backoff. */
    private Duration firstRetry = Duration.ofMinutes(5);

    /** The longest wait between attempts. */
    private Duration maxBackoff = Duration.ofHours(1);

    /** How long a message may stay deferred before it bounces. */
    private Duration maxLifetime = Duration.ofDays(5);

    /** The fraction by which each wait varies at random, 0 to 0.5. */
    private double jitter = 0.1;

    /** Send a delay notice once a message is this old; 0 for never. */
    private Duration delayWarning = Duration.ZERO;

    public Duration getFirstRetry() {
      return firstRetry;
    }

    public void setFirstRetry(Duration firstRetry) {
      this.firstRetry = firstRetry;
    }

    public Duration getMaxBackoff() {
      return maxBackoff;
    }

    public void setMaxBackoff(Duration maxBackoff) {
      this.maxBackoff = maxBackoff;
    }

    public Duration getMaxLifetime() {
      return maxLifetime;
    }

    public void setMaxLifetime(Duration maxLifetime) {
      this.maxLifetime = maxLifetime;
    }

    public double getJitter() {
      return jitter;
    }

    public void setJitter(double jitter) {
      this.jitter = jitter;
    }

    public Duration getDelayWarning() {
      return delayWarning;
    }

    public void setDelayWarning(Duration delayWarning) {
      this.delayWarning = delayWarning;
    }
  }

  /** The Actuator health indicator "mta". */
  public static class Health {

    /** The queue depth above which health is DOWN. */
    private int maxQueueDepth = 10_000;

    /** The age of the oldest deferred message above which health is DOWN. */
    private Duration maxDeferredAge = Duration.ofHours(4);

    public int getMaxQueueDepth() {
      return maxQueueDepth;
    }

    public void setMaxQueueDepth(int maxQueueDepth) {
      this.maxQueueDepth = maxQueueDepth;
    }

    public Duration getMaxDeferredAge() {
      return maxDeferredAge;
    }

    public void setMaxDeferredAge(Duration maxDeferredAge) {
      this.maxDeferredAge = maxDeferredAge;
    }
  }

  /** The Micrometer metrics. */
  public static class Metrics {

    /**
     * Most distinct recipient domains used as the "domain" tag; later domains are tagged "other",
     * so a mailing to many domains cannot blow up the registry.
     */
    private int maxDomainTags = 50;

    /**
     * How long a reading of the queue (depth, oldest deferred message) is reused by the gauges and
     * the health indicator before the store is asked again.
     */
    private Duration queueScanInterval = Duration.ofSeconds(5);

    /** Most messages counted by one reading of the queue depth; a deeper queue reads as this. */
    private int queueScanLimit = 100_000;

    public int getMaxDomainTags() {
      return maxDomainTags;
    }

    public void setMaxDomainTags(int maxDomainTags) {
      this.maxDomainTags = maxDomainTags;
    }

    public Duration getQueueScanInterval() {
      return queueScanInterval;
    }

    public void setQueueScanInterval(Duration queueScanInterval) {
      this.queueScanInterval = queueScanInterval;
    }

    public int getQueueScanLimit() {
      return queueScanLimit;
    }

    public void setQueueScanLimit(int queueScanLimit) {
      this.queueScanLimit = queueScanLimit;
    }
  }

  /** The JavaMailSender that submits into the embedded queue. */
  public static class MailSender {

    /**
     * Whether to provide a JavaMailSender that submits in-process. It backs off anyway when the
     * application defines its own JavaMailSender (or sets spring.mail.host).
     */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }
}
