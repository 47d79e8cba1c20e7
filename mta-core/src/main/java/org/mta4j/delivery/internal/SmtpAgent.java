package org.mta4j.delivery.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.mta4j.client.ConnectResult;
import org.mta4j.client.Credentials;
import org.mta4j.client.OutgoingMessage;
import org.mta4j.client.SessionFailure;
import org.mta4j.client.SmtpClient;
import org.mta4j.client.SmtpConnection;
import org.mta4j.client.SmtpTarget;
import org.mta4j.client.TransactionResult;
import org.mta4j.dns.DnsAnswer;
import org.mta4j.dns.DnsResolver;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.routing.MxHost;
import org.mta4j.routing.MxPlan;
import org.mta4j.routing.MxResolver;
import org.mta4j.routing.Route;
import org.mta4j.server.internal.InetLiterals;
import org.mta4j.smtp.Recipient;

/**
 * Postfix's {@code smtp} delivery agent: finds the hosts of a route (MX by preference, or the
 * smarthost's addresses), tries them in order until one takes the transaction (the next host on a
 * connection failure or a 4xx greeting, RFC 5321 §5.1), and reuses connections through the
 * connection cache.
 */
public final class SmtpAgent implements QueueManager.SmtpDeliveryAgent {
  /** Postfix's {@code smtp_mx_address_limit}: the most addresses tried for one delivery. */
  private static final int MAX_ADDRESSES = 5;

  private final SmtpClient client;
  private final MxResolver mx;
  private final DnsResolver dns;
  private final ConnectionCache cache;

  public SmtpAgent(SmtpClient client, MxResolver mx, DnsResolver dns, ConnectionCache cache) {
    this.client = client;
    this.mx = mx;
    this.dns = dns;
    this.cache = cache;
  }

  private record Candidate(String hostName, InetAddress address) {}

  @Override
  public void closeIdle() {
    cache.closeIdle();
  }

  @Override
  public void close() {
    cache.close();
  }

  @Override
  public List<Outcome> deliver(
      QueuedMessage message,
      List<Recipient> recipients,
      Route.Smtp route,
      DeliveryAgent.Content content) {
    List<Candidate> candidates = new ArrayList<>();
    Outcome dnsTrouble = candidates(route, candidates);
    if (dnsTrouble != null) {
      return Collections.nCopies(recipients.size(), dnsTrouble);
    }
    OutgoingMessage outgoing =
        new OutgoingMessage(
            message.reversePath(), recipients, message.parameters(), message.size(), content::open);
    Credentials credentials =
        route.username() == null ? null : new Credentials(route.username(), route.password());
    Outcome last = null;
    int tried = 0;
    for (Candidate c : candidates) {
      if (tried++ >= MAX_ADDRESSES) {
        break;
      }
      SmtpTarget target =
          new SmtpTarget(
              new InetSocketAddress(c.address(), route.port()),
              c.hostName(),
              route.tls(),
              route.implicitTls(),
              credentials,
              false);
      String relay = relay(c, route.port());
      SmtpConnection connection = cache.take(target);
      boolean cached = connection != null;
      if (connection == null) {
        ConnectResult result = client.connect(target);
        if (result instanceof SessionFailure failure) {
          last = Outcomes.session(failure, relay);
          continue; // RFC 5321 §5.1: on to the next host
        }
        connection = (SmtpConnection) result;
      }
      TransactionResult t = connection.send(outgoing);
      if (cached && nothingHappened(t)) {
        // the server closed the idle connection under us: once more on a fresh one
        connection.close();
        ConnectResult result = client.connect(target);
        if (result instanceof SessionFailure failure) {
          last = Outcomes.session(failure, relay);
          continue;
        }
        connection = (SmtpConnection) result;
        t = connection.send(outgoing);
      }
      if (connection.isReusable()) {
        cache.put(connection);
      } else {
        connection.close();
      }
      if (nothingHappened(t)) {
        last = Outcomes.session(t.sessionFailure(), relay);
        continue;
      }
      return Outcomes.transaction(t, recipients, relay);
    }
    if (last == null) {
      last = Outcomes.ioFailure(route.destination(), "no address to connect to");
    }
    return Collections.nCopies(recipients.size(), last);
  }

  /** The session broke before the server answered MAIL: nothing was decided for this message. */
  private static boolean nothingHappened(TransactionResult t) {
    return t.mailReply() == null && t.localFailure() == null && t.sessionFailure() != null;
  }

  private static String relay(Candidate c, int port) {
    return c.hostName() + "[" + InetLiterals.format(c.address()) + "]:" + port;
  }

  /** Fills {@code out} with the hosts to try, or returns the DNS outcome for every recipient. */
  private Outcome candidates(Route.Smtp route, List<Candidate> out) {
    if (route.mxLookup()) {
      MxPlan plan = mx.resolve(route.host());
      switch (plan) {
        case MxPlan.PermanentFailure p -> {
          return Outcomes.dnsPermanent(p.enhancedStatus(), p.reason());
        }
        case MxPlan.TemporaryFailure t -> {
          return Outcomes.dnsTemporary(t.enhancedStatus(), t.reason());
        }
        case MxPlan.Hosts h -> {
          for (MxHost host : h.hosts()) {
            for (InetAddress a : host.addresses()) {
              out.add(new Candidate(host.name(), a));
            }
          }
          return null;
        }
      }
    }
    String host = route.host();
    String literal =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (InetLiterals.isLiteral(literal)) {
      out.add(new Candidate(literal, InetLiterals.parse(literal)));
      return null;
    }
    DnsAnswer<InetAddress> answer = dns.addresses(host);
    return switch (answer) {
      case DnsAnswer.Records<InetAddress> r -> {
        for (InetAddress a : r.records()) {
          out.add(new Candidate(host, a));
        }
        yield null;
      }
      case DnsAnswer.NoRecords<InetAddress> n ->
          Outcomes.dnsPermanent(
              "5.4.4", "Host or domain name not found: " + host + " has no address");
      case DnsAnswer.NoSuchDomain<InetAddress> n ->
          Outcomes.dnsPermanent("5.4.4", "Host or domain name not found: " + host);
      case DnsAnswer.Failure<InetAddress> f ->
          Outcomes.dnsTemporary(
              "4.4.3", "Host or domain name lookup failed: " + host + ": " + f.reason());
    };
  }
}
