package org.mta4j.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.mta4j.dns.DnsAnswer;
import org.mta4j.dns.DnsResolver;
import org.mta4j.dns.MxRecord;

/**
 * A {@link DnsResolver} that answers from maps a test fills in, and records every question.
 *
 * <pre>{@code
 * FakeDnsResolver dns = new FakeDnsResolver()
 *     .mx("example.org", new MxRecord(10, "mx1.example.org"), new MxRecord(20, "mx2.example.org"))
 *     .addresses("mx1.example.org", "192.0.2.1", "2001:db8::1")
 *     .addresses("mx2.example.org", new DnsAnswer.Failure<>("SERVFAIL"));
 * }</pre>
 *
 * <p>A question nobody configured is answered like a DNS would: {@link DnsAnswer.NoRecords}
 * (NODATA) when the name was configured for another type, {@link DnsAnswer.NoSuchDomain} (NXDOMAIN)
 * otherwise. Names are matched case-insensitively, without a final dot. Thread-safe; setters return
 * {@code this} and may be called while lookups run.
 */
public final class FakeDnsResolver implements DnsResolver {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  // Starts with a hex digit or a colon and has a colon: the JDK parses it or rejects it, and
  // never looks it up.
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*");

  private final Map<String, DnsAnswer<MxRecord>> mx = new ConcurrentHashMap<>();
  private final Map<String, DnsAnswer<InetAddress>> addresses = new ConcurrentHashMap<>();
  private final Map<String, DnsAnswer<String>> txt = new ConcurrentHashMap<>();
  private final Set<String> names = ConcurrentHashMap.newKeySet();
  private final List<String> questions = new CopyOnWriteArrayList<>();

  /** Answers MX questions for {@code domain} with {@code answer}. */
  public FakeDnsResolver mx(String domain, DnsAnswer<MxRecord> answer) {
    return put(mx, domain, answer);
  }

  /** Answers MX questions for {@code domain} with these records. */
  public FakeDnsResolver mx(String domain, MxRecord... records) {
    return mx(domain, new DnsAnswer.Records<>(Arrays.asList(records)));
  }

  /** Answers address questions for {@code host} with {@code answer}. */
  public FakeDnsResolver addresses(String host, DnsAnswer<InetAddress> answer) {
    return put(addresses, host, answer);
  }

  /**
   * Answers address questions for {@code host} with these IP literals ({@code "192.0.2.1"}, {@code
   * "2001:db8::1"}), in this order.
   */
  public FakeDnsResolver addresses(String host, String... literals) {
    List<InetAddress> parsed = new ArrayList<>();
    for (String literal : literals) {
      parsed.add(literal(literal));
    }
    return addresses(host, new DnsAnswer.Records<>(parsed));
  }

  /** Answers TXT questions for {@code name} with {@code answer}. */
  public FakeDnsResolver txt(String name, DnsAnswer<String> answer) {
    return put(txt, name, answer);
  }

  /** Answers TXT questions for {@code name} with these strings. */
  public FakeDnsResolver txt(String name, String... records) {
    return txt(name, new DnsAnswer.Records<>(Arrays.asList(records)));
  }

  /** Every question asked so far, in order, as {@code "MX example.org"}, {@code "A/AAAA host"}. */
  public List<String> questions() {
    return List.copyOf(questions);
  }

  @Override
  public DnsAnswer<MxRecord> mx(String domain) {
    return answer("MX", mx, domain);
  }

  @Override
  public DnsAnswer<InetAddress> addresses(String host) {
    return answer("A/AAAA", addresses, host);
  }

  @Override
  public DnsAnswer<String> txt(String name) {
    return answer("TXT", txt, name);
  }

  @Override
  public String toString() {
    return "FakeDnsResolver" + names;
  }

  private <T> FakeDnsResolver put(Map<String, DnsAnswer<T>> map, String name, DnsAnswer<T> answer) {
    Objects.requireNonNull(answer, "answer");
    String key = key(name);
    names.add(key);
    map.put(key, answer);
    return this;
  }

  private <T> DnsAnswer<T> answer(String type, Map<String, DnsAnswer<T>> map, String name) {
    String key = key(name);
    questions.add(type + " " + key);
    DnsAnswer<T> answer = map.get(key);
    if (answer != null) {
      return answer;
    }
    return names.contains(key) ? new DnsAnswer.NoRecords<>() : new DnsAnswer.NoSuchDomain<>();
  }

  private static String key(String name) {
    Objects.requireNonNull(name, "name");
    String bare = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (bare.isBlank()) {
      throw new IllegalArgumentException("name must not be empty: '" + name + "'");
    }
    return bare.toLowerCase(Locale.ROOT);
  }

  /** An IP literal, refused if it is a name: a fake must never ask the real DNS. */
  private static InetAddress literal(String literal) {
    Objects.requireNonNull(literal, "address");
    try {
      if (IPV4.matcher(literal).matches()) {
        String[] parts = literal.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
          int octet = Integer.parseInt(parts[i]);
          if (octet > 255) {
            throw new IllegalArgumentException("not an IP address literal: " + literal);
          }
          bytes[i] = (byte) octet;
        }
        return InetAddress.getByAddress(bytes);
      }
      if (IPV6.matcher(literal).matches() && literal.indexOf(':') >= 0) {
        return InetAddress.getByName(literal);
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address literal: " + literal, e);
    }
    throw new IllegalArgumentException("not an IP address literal: " + literal);
  }
}
