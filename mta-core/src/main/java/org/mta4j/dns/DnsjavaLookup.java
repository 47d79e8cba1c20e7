package org.mta4j.dns;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mta4j.dns.DnsjavaResolver.Cached;
import org.mta4j.dns.DnsjavaResolver.Question;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * One uncached question: sends it with dnsjava, follows CNAMEs, and reads the response into a
 * {@link DnsAnswer} with its cache lifetime. Kept apart from the cache so the DNS rules (RFC 1034
 * §3.6.2 CNAMEs, RFC 2308 negative answers) read on their own.
 */
final class DnsjavaLookup {

  private static final Logger log = LoggerFactory.getLogger(DnsjavaResolver.class);

  // RFC 2181 §8: a TTL is at most 2^31 - 1 seconds.
  private static final Duration MAX_DNS_TTL = Duration.ofSeconds(Integer.MAX_VALUE);

  private static final Set<Integer> TRY_NEXT_SERVER =
      Set.of(Rcode.SERVFAIL, Rcode.REFUSED, Rcode.NOTIMP, Rcode.FORMERR);

  private final List<Resolver> servers;
  private final int maxCnameHops;
  private final Duration maxTtl;
  private final Duration minNegativeTtl;
  private final Duration maxNegativeTtl;
  private final Duration failureTtl;

  DnsjavaLookup(
      List<Resolver> servers,
      int maxCnameHops,
      Duration maxTtl,
      Duration minNegativeTtl,
      Duration maxNegativeTtl,
      Duration failureTtl) {
    this.servers = List.copyOf(servers);
    this.maxCnameHops = maxCnameHops;
    this.maxTtl = maxTtl;
    this.minNegativeTtl = minNegativeTtl;
    this.maxNegativeTtl = maxNegativeTtl;
    this.failureTtl = failureTtl;
  }

  /**
   * {@code name} as a lower-case ASCII DNS name without the final dot, or {@code null} when it
   * cannot be one (empty label, label over 63 octets, name over 255, not convertible to A-labels).
   *
   * @throws IllegalArgumentException if {@code name} is empty or only a dot
   */
  static String toAscii(String name) {
    String bare = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (bare.isBlank()) {
      throw new IllegalArgumentException("name must not be empty: '" + name + "'");
    }
    String ascii = bare;
    if (!bare.chars().allMatch(c -> c < 0x80)) {
      try {
        // IDNA2003, the only IDNA in the JDK: it maps a few characters (sharp s, final sigma)
        // that IDNA2008 keeps. Good enough until an IDNA2008 library is a dependency.
        ascii = IDN.toASCII(bare, IDN.ALLOW_UNASSIGNED);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    try {
      Name parsed = Name.fromString(ascii, Name.root);
      if (parsed.equals(Name.root)) {
        return null;
      }
      return parsed.toString(true).toLowerCase(Locale.ROOT);
    } catch (TextParseException e) {
      return null;
    }
  }

  /** Asks {@code question}, following CNAMEs; never throws for DNS trouble. */
  Cached lookup(Question question) {
    Name current;
    try {
      current = Name.fromString(question.name(), Name.root);
    } catch (TextParseException e) {
      throw new IllegalStateException("not a parsed name: " + question, e);
    }
    int type = question.type();
    Duration chainTtl = MAX_DNS_TTL; // the shortest TTL of the CNAMEs followed
    int hops = 0;
    while (true) {
      Name asked = current;
      Message response;
      try {
        response = send(Message.newQuery(Record.newRecord(asked, type, DClass.IN)));
      } catch (IOException e) {
        return failure(question, asked + "/" + Type.string(type) + ": " + e.getMessage());
      }
      int rcode = response.getRcode();
      if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
        return failure(
            question,
            "server answered " + Rcode.string(rcode) + " for " + asked + "/" + Type.string(type));
      }
      List<Record> answers = response.getSection(Section.ANSWER);
      // RFC 1034 §3.6.2: the answer may hold the CNAME chain and the records at its end.
      while (true) {
        List<Record> found = matching(answers, current, type);
        if (!found.isEmpty()) {
          Duration ttl = min(chainTtl, maxTtl);
          List<Object> converted = new ArrayList<>(found.size());
          for (Record record : found) {
            ttl = min(ttl, record.getTTL());
            converted.add(convert(record));
          }
          return new Cached(new DnsAnswer.Records<>(converted), ttl);
        }
        List<Record> cnames = matching(answers, current, Type.CNAME);
        if (cnames.isEmpty()) {
          break;
        }
        if (++hops > maxCnameHops) {
          return failure(question, "more than " + maxCnameHops + " CNAMEs from " + question);
        }
        chainTtl = min(chainTtl, cnames.getFirst().getTTL());
        current = ((CNAMERecord) cnames.getFirst()).getTarget();
      }
      // RFC 6604: after a CNAME the rcode speaks of the chain's last name.
      SOARecord soa = soa(response);
      if (rcode == Rcode.NXDOMAIN) {
        return new Cached(new DnsAnswer.NoSuchDomain<>(), min(chainTtl, negativeTtl(soa)));
      }
      if (soa != null) {
        return new Cached(new DnsAnswer.NoRecords<>(), min(chainTtl, negativeTtl(soa)));
      }
      if (!current.equals(asked)) {
        continue; // the chain leaves this server's answer (another zone): ask for its end
      }
      if (!response.getHeader().getFlag(Flags.AA)
          && !response.getSection(Section.AUTHORITY).isEmpty()) {
        return failure(question, "referral for " + asked + ": the server does not recurse");
      }
      return new Cached(new DnsAnswer.NoRecords<>(), Duration.ZERO); // no SOA: RFC 2308 §5
    }
  }

  @Override
  public String toString() {
    return servers.toString();
  }

  /**
   * Sends {@code query} to each server in turn until one answers other than SERVFAIL, REFUSED,
   * NOTIMP or FORMERR; the last answer or error when none does.
   */
  private Message send(Message query) throws IOException {
    Message last = null;
    IOException error = null;
    for (Resolver server : servers) {
      try {
        last = server.send(query);
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e; // dnsjava turns an interrupt into an IOException: stop, do not try the next
        }
        error = e;
        continue;
      } catch (RuntimeException e) {
        error = new IOException("dnsjava failed: " + e, e);
        continue;
      }
      if (!TRY_NEXT_SERVER.contains(last.getRcode())) {
        return last;
      }
    }
    if (last != null) {
      return last;
    }
    throw error;
  }

  private Cached failure(Question question, String reason) {
    log.debug("DNS lookup {} failed: {}", question, reason);
    // An interrupted asker's failure says nothing about the DNS: do not hand it to others.
    Duration ttl = Thread.currentThread().isInterrupted() ? Duration.ZERO : failureTtl;
    return new Cached(new DnsAnswer.Failure<>(reason), ttl);
  }

  /** RFC 2308 §5: the smaller of the SOA's TTL and its MINIMUM, within the configured bounds. */
  private Duration negativeTtl(SOARecord soa) {
    if (soa == null) {
      return Duration.ZERO; // RFC 2308 §5: negative answers without an SOA are not cached
    }
    Duration ttl = Duration.ofSeconds(Math.min(soa.getTTL(), soa.getMinimum()));
    if (ttl.compareTo(minNegativeTtl) < 0) {
      return minNegativeTtl;
    }
    return ttl.compareTo(maxNegativeTtl) > 0 ? maxNegativeTtl : ttl;
  }

  private static SOARecord soa(Message response) {
    for (Record record : response.getSection(Section.AUTHORITY)) {
      if (record instanceof SOARecord soa) {
        return soa;
      }
    }
    return null;
  }

  private static List<Record> matching(List<Record> records, Name name, int type) {
    List<Record> found = new ArrayList<>();
    for (Record record : records) {
      if (record.getType() == type
          && record.getDClass() == DClass.IN
          && record.getName().equals(name)) {
        found.add(record);
      }
    }
    return found;
  }

  private static Duration min(Duration ttl, long seconds) {
    return min(ttl, Duration.ofSeconds(seconds));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Object convert(Record record) {
    return switch (record) {
      case MXRecord mx -> new MxRecord(mx.getPriority(), exchange(mx.getTarget()));
      case ARecord a -> plainAddress(a.getAddress());
      case AAAARecord aaaa -> plainAddress(aaaa.getAddress());
      case TXTRecord txt -> text(txt);
      default -> throw new IllegalStateException("unexpected record type: " + record);
    };
  }

  /** The exchange without the final dot; {@code ""} for the root, the null MX of RFC 7505. */
  private static String exchange(Name target) {
    return target.equals(Name.root) ? "" : target.toString(true);
  }

  /** The address without the host name dnsjava attaches, so that it prints as just the address. */
  private static InetAddress plainAddress(InetAddress address) {
    try {
      return InetAddress.getByAddress(address.getAddress());
    } catch (UnknownHostException e) {
      throw new IllegalStateException("not an address: " + address, e);
    }
  }

  /** RFC 7208 §3.3, RFC 6376 §3.6.2.2: the character-strings joined with nothing between. */
  private static String text(TXTRecord txt) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (byte[] part : txt.getStringsAsByteArrays()) {
      bytes.writeBytes(part);
    }
    return bytes.toString(UTF_8);
  }
}
