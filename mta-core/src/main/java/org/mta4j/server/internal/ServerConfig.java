package org.mta4j.server.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.mta4j.server.Authenticator;
import org.mta4j.server.BareLineEndings;
import org.mta4j.server.Listener;
import org.mta4j.server.MessageHandler;
import org.mta4j.server.SmtpPolicy;

/** The server's settings, validated by {@code Mta.Builder}; immutable. */
public record ServerConfig(
    String hostname,
    List<Listener> listeners,
    SSLContext sslContext,
    Authenticator authenticator,
    boolean allowAuthWithoutTls,
    Set<String> localDomains,
    List<Cidr> trustedNetworks,
    int maxConnections,
    int maxConnectionsPerClient,
    int maxRecipients,
    long maxMessageSize,
    int maxCommandLineLength,
    int maxTextLineLength,
    int maxErrors,
    int maxAuthFailures,
    Duration commandTimeout,
    Duration dataTimeout,
    BareLineEndings bareLineEndings,
    List<SmtpPolicy> policies,
    MessageHandler messageHandler,
    Duration shutdownGrace,
    Clock clock,
    int memoryPerMessage,
    java.util.function.Supplier<String> transactionIds,
    List<org.mta4j.event.MtaEventListener> eventListeners) {

  public ServerConfig {
    listeners = List.copyOf(listeners);
    localDomains = Set.copyOf(localDomains);
    trustedNetworks = List.copyOf(trustedNetworks);
    policies = List.copyOf(policies);
    eventListeners = List.copyOf(eventListeners);
  }
}
