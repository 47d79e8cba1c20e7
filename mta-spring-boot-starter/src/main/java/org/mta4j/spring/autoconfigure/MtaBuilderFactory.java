package org.mta4j.spring.autoconfigure;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.mta4j.Mta;
import org.mta4j.delivery.RetryPolicy;
import org.mta4j.routing.Route;
import org.mta4j.server.Authenticator;
import org.mta4j.server.Listener;
import org.mta4j.spring.MtaProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.ssl.SslBundles;

/**
 * Turns {@link MtaProperties} into an {@link Mta.Builder}. Every value goes through the builder's
 * own checks; a rejected value becomes an {@link InvalidConfigurationPropertyValueException} that
 * names the property, so startup fails with a message a user can act on.
 */
final class MtaBuilderFactory {
  private MtaBuilderFactory() {}

  /** The builder with every property applied; beans are added by the caller. */
  static Mta.Builder fromProperties(
      MtaProperties p, Supplier<SslBundles> sslBundles, boolean authenticatorBean) {
    Mta.Builder b = Mta.builder();
    if (p.getHostname() != null) {
      apply("mta.hostname", p.getHostname(), () -> b.hostname(p.getHostname()));
    }
    if (p.getShutdownGrace() != null) {
      apply(
          "mta.shutdown-grace", p.getShutdownGrace(), () -> b.shutdownGrace(p.getShutdownGrace()));
    }
    server(b, p.getServer(), sslBundles, authenticatorBean);
    relay(b, p.getRelay());
    limits(b, p.getLimits());
    b.retryPolicy(retry(p.getRetry()));
    return b;
  }

  private static void server(
      Mta.Builder b,
      MtaProperties.Server s,
      Supplier<SslBundles> sslBundles,
      boolean authenticatorBean) {
    apply(
        "mta.server.local-domains",
        s.getLocalDomains(),
        () -> b.localDomains(array(s.getLocalDomains())));
    if (s.getTrustedNetworks() != null) {
      apply(
          "mta.server.trusted-networks",
          s.getTrustedNetworks(),
          () -> b.trustedNetworks(array(s.getTrustedNetworks())));
    }
    boolean tls = tls(b, s.getTls(), sslBundles);
    if (!s.getAuth().getUsers().isEmpty() && !authenticatorBean) {
      Map<String, String> users = Map.copyOf(s.getAuth().getUsers());
      b.authenticator(usersAuthenticator(users));
    }
    b.allowAuthWithoutTls(s.getAuth().isAllowWithoutTls());
    if ((authenticatorBean || !s.getAuth().getUsers().isEmpty())
        && !tls
        && !s.getAuth().isAllowWithoutTls()) {
      throw new InvalidConfigurationPropertyValueException(
          "mta.server.auth.users",
          s.getAuth().getUsers().keySet(),
          "AUTH sends passwords, so it needs TLS: set mta.server.tls.certificate and"
              + " mta.server.tls.private-key (or mta.server.tls.bundle), or"
              + " mta.server.auth.allow-without-tls=true for a loopback-only test rig");
    }
    if (!s.isEnabled()) {
      b.listening(false);
      return;
    }
    Listener smtp =
        apply("mta.server.port", s.getPort(), () -> Listener.smtp(s.getBindAddress(), s.getPort()));
    apply("mta.server.bind-address", s.getBindAddress(), () -> Mta.builder().listener(smtp));
    List<String> proxies = s.getProxyProtocolFrom();
    Listener plain =
        proxies.isEmpty()
            ? smtp
            : apply(
                "mta.server.proxy-protocol-from",
                proxies,
                () -> {
                  Listener l = smtp.withProxyProtocolFrom(array(proxies));
                  Mta.builder().listener(l);
                  return l;
                });
    b.listener(plain);
    Integer implicitPort = s.getImplicitTlsPort();
    if (implicitPort != null) {
      if (!tls) {
        throw new InvalidConfigurationPropertyValueException(
            "mta.server.implicit-tls-port",
            implicitPort,
            "an implicit-TLS port needs mta.server.tls.certificate and mta.server.tls.private-key"
                + " (or mta.server.tls.bundle)");
      }
      Listener implicit =
          apply(
              "mta.server.implicit-tls-port",
              implicitPort,
              () -> {
                Listener l = Listener.implicitTls(s.getBindAddress(), implicitPort);
                return proxies.isEmpty() ? l : l.withProxyProtocolFrom(array(proxies));
              });
      b.listener(implicit);
    }
  }

  /** Applies the TLS settings; true when the server has TLS. */
  private static boolean tls(Mta.Builder b, MtaProperties.Tls t, Supplier<SslBundles> sslBundles) {
    boolean pem = t.getCertificate() != null || t.getPrivateKey() != null;
    if (t.getBundle() != null && pem) {
      throw new InvalidConfigurationPropertyValueException(
          "mta.server.tls.bundle",
          t.getBundle(),
          "set either mta.server.tls.bundle or mta.server.tls.certificate and private-key, not"
              + " both");
    }
    if (t.getBundle() != null) {
      SslBundles bundles = sslBundles.get();
      if (bundles == null) {
        throw new InvalidConfigurationPropertyValueException(
            "mta.server.tls.bundle", t.getBundle(), "no SslBundles bean in the context");
      }
      SSLContext ctx =
          apply(
              "mta.server.tls.bundle",
              t.getBundle(),
              () -> bundles.getBundle(t.getBundle()).createSslContext());
      b.tls(ctx);
      return true;
    }
    if (!pem) {
      return false;
    }
    if (t.getCertificate() == null) {
      throw new InvalidConfigurationPropertyValueException(
          "mta.server.tls.certificate", null, "required with mta.server.tls.private-key");
    }
    if (t.getPrivateKey() == null) {
      throw new InvalidConfigurationPropertyValueException(
          "mta.server.tls.private-key", null, "required with mta.server.tls.certificate");
    }
    apply(
        "mta.server.tls.certificate",
        t.getCertificate(),
        () -> b.tlsFromPem(t.getCertificate(), t.getPrivateKey()));
    return true;
  }

  private static void relay(Mta.Builder b, MtaProperties.Relay r) {
    if (r.getHost() == null || r.getHost().isBlank()) {
      if (r.getUsername() != null) {
        throw new InvalidConfigurationPropertyValueException(
            "mta.relay.host", r.getHost(), "required with mta.relay.username");
      }
      return;
    }
    if ((r.getUsername() == null) != (r.getPassword() == null)) {
      boolean userMissing = r.getUsername() == null;
      throw new InvalidConfigurationPropertyValueException(
          userMissing ? "mta.relay.username" : "mta.relay.password",
          null,
          userMissing ? "required with mta.relay.password" : "required with mta.relay.username");
    }
    Route.Smtp route =
        apply("mta.relay.port", r.getPort(), () -> Route.Smtp.relay(r.getHost(), r.getPort()));
    route = route.withTls(r.getTls());
    if (r.isImplicitTls()) {
      route = route.withImplicitTls();
    }
    if (r.getUsername() != null) {
      route = route.withCredentials(r.getUsername(), r.getPassword());
    }
    b.smarthost(route);
  }

  private static void limits(Mta.Builder b, MtaProperties.Limits l) {
    if (l.getMaxConnections() != null) {
      apply(
          "mta.limits.max-connections",
          l.getMaxConnections(),
          () -> b.maxConnections(l.getMaxConnections()));
    }
    if (l.getMaxConnectionsPerClient() != null) {
      apply(
          "mta.limits.max-connections-per-client",
          l.getMaxConnectionsPerClient(),
          () -> b.maxConnectionsPerClient(l.getMaxConnectionsPerClient()));
    }
    if (l.getMaxRecipients() != null) {
      apply(
          "mta.limits.max-recipients",
          l.getMaxRecipients(),
          () -> b.maxRecipients(l.getMaxRecipients()));
    }
    if (l.getMaxMessageSize() != null) {
      apply(
          "mta.limits.max-message-size",
          l.getMaxMessageSize(),
          () -> b.maxMessageSize(l.getMaxMessageSize().toBytes()));
    }
    if (l.getMaxErrors() != null) {
      apply("mta.limits.max-errors", l.getMaxErrors(), () -> b.maxErrors(l.getMaxErrors()));
    }
    if (l.getMaxAuthFailures() != null) {
      apply(
          "mta.limits.max-auth-failures",
          l.getMaxAuthFailures(),
          () -> b.maxAuthFailures(l.getMaxAuthFailures()));
    }
    if (l.getCommandTimeout() != null) {
      apply(
          "mta.limits.command-timeout",
          l.getCommandTimeout(),
          () -> b.commandTimeout(l.getCommandTimeout()));
    }
    if (l.getDataTimeout() != null) {
      apply("mta.limits.data-timeout", l.getDataTimeout(), () -> b.dataTimeout(l.getDataTimeout()));
    }
    if (l.getDeliveryConcurrency() != null) {
      apply(
          "mta.limits.delivery-concurrency",
          l.getDeliveryConcurrency(),
          () -> b.deliveryConcurrency(l.getDeliveryConcurrency()));
    }
    if (l.getDestinationConcurrency() != null) {
      apply(
          "mta.limits.destination-concurrency",
          l.getDestinationConcurrency(),
          () -> b.destinationConcurrency(l.getDestinationConcurrency()));
    }
  }

  /**
   * The retry policy; the record names the bad component ({@code "maxBackoff must be ..."}), which
   * maps onto its property.
   */
  static RetryPolicy retry(MtaProperties.Retry r) {
    try {
      return new RetryPolicy(
          r.getFirstRetry(),
          r.getMaxBackoff(),
          r.getMaxLifetime(),
          r.getJitter(),
          r.getDelayWarning());
    } catch (IllegalArgumentException | NullPointerException e) {
      String message = String.valueOf(e.getMessage());
      String component = message.split("[ :]", 2)[0];
      String property = "mta.retry." + kebab(component);
      Object value =
          switch (component) {
            case "firstRetry" -> r.getFirstRetry();
            case "maxBackoff" -> r.getMaxBackoff();
            case "maxLifetime" -> r.getMaxLifetime();
            case "jitter" -> r.getJitter();
            case "delayWarning" -> r.getDelayWarning();
            default -> null;
          };
      throw new InvalidConfigurationPropertyValueException(
          value == null && !component.matches("[a-zA-Z]+") ? "mta.retry" : property,
          value,
          message);
    }
  }

  /** An authenticator over a fixed user table; compares in constant time. */
  private static Authenticator usersAuthenticator(Map<String, String> users) {
    return (username, password, session) -> {
      String expected = users.get(username);
      byte[] given = password.getBytes(StandardCharsets.UTF_8);
      byte[] wanted = (expected == null ? "" : expected).getBytes(StandardCharsets.UTF_8);
      return MessageDigest.isEqual(given, wanted) && expected != null;
    };
  }

  static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  private static String[] array(List<String> list) {
    return list.stream().map(String::trim).toArray(String[]::new);
  }

  /** Runs a builder step; a rejected value fails naming {@code property}. */
  static <T> T apply(String property, Object value, Supplier<T> action) {
    try {
      return action.get();
    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
      throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
    }
  }
}
