package org.mta4j.dkim.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.mta4j.dkim.internal.KeyCodec.KeyType;
import org.mta4j.dns.DnsAnswer;
import org.mta4j.dns.DnsResolver;

/**
 * Verifies the DKIM signatures of a message (RFC 6376 §6): parses each DKIM-Signature, fetches its
 * key record, hashes the body once per distinct canonicalization while it streams, and checks each
 * signature. Thread-safe.
 */
public final class VerifyEngine {

  /** The outcome of one signature, in RFC 8601 terms. */
  public enum Verdict {
    PASS,
    FAIL,
    NEUTRAL,
    TEMPERROR,
    PERMERROR
  }

  /** What is known about one signature once it has been checked. */
  public record Outcome(
      Verdict verdict,
      String domain,
      String selector,
      String algorithm,
      String identity,
      String signature,
      String reason) {

    Outcome withVerdict(Verdict verdict, String reason) {
      return new Outcome(verdict, domain, selector, algorithm, identity, signature, reason);
    }
  }

  /** At most this many signatures of a message are checked (each costs a DNS lookup). */
  public static final int MAX_SIGNATURES = 8;

  private static final Pattern DOMAIN =
      Pattern.compile("(?i)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\\.?");
  private static final Pattern NUMBER = Pattern.compile("[0-9]{1,12}");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");

  private final DnsResolver dns;
  private final Clock clock;

  public VerifyEngine(DnsResolver dns, Clock clock) {
    this.dns = dns;
    this.clock = clock;
  }

  // A signature whose tags and key are fine, waiting for the body hash.
  private record Candidate(
      int index,
      HeaderField field,
      KeyType type,
      boolean relaxedHeader,
      String bodyKey,
      List<String> signedNames,
      byte[] bodyHash,
      byte[] b,
      PublicKey key) {}

  private static final class Problem extends Exception {
    private static final long serialVersionUID = 1L;
    final Verdict verdict;

    Problem(Verdict verdict, String reason) {
      super(reason, null, false, false);
      this.verdict = verdict;
    }
  }

  /**
   * The outcome of every DKIM-Signature field of {@code message}, top first (at most {@link
   * #MAX_SIGNATURES}); empty when it has none.
   */
  public List<Outcome> verify(InputStream message) throws IOException {
    MessageReader reader = new MessageReader(message);
    List<HeaderField> fields = reader.readHeader();
    Outcome[] outcomes = new Outcome[countSignatures(fields)];
    List<Candidate> candidates = new ArrayList<>();
    Map<String, BodyHasher> hashers = new LinkedHashMap<>();
    int index = 0;
    for (HeaderField field : fields) {
      if (!field.is("DKIM-Signature")) {
        continue;
      }
      if (index == outcomes.length) {
        break;
      }
      try {
        Candidate candidate = prepare(index, field);
        candidates.add(candidate);
        hashers.computeIfAbsent(candidate.bodyKey(), VerifyEngine::hasher);
      } catch (Problem problem) {
        outcomes[index] = lastKnown(field).withVerdict(problem.verdict, problem.getMessage());
      }
      index++;
    }
    if (!candidates.isEmpty()) {
      reader.transferBody(new Tee(hashers.values()));
    }
    for (Candidate candidate : candidates) {
      outcomes[candidate.index()] = finish(candidate, fields, hashers.get(candidate.bodyKey()));
    }
    return List.of(outcomes);
  }

  private static int countSignatures(List<HeaderField> fields) {
    int count = 0;
    for (HeaderField field : fields) {
      if (field.is("DKIM-Signature")) {
        count++;
      }
    }
    return Math.min(count, MAX_SIGNATURES);
  }

  private static BodyHasher hasher(String bodyKey) {
    String[] parts = bodyKey.split("/");
    return new BodyHasher(parts[0].equals("relaxed"), Long.parseLong(parts[1]));
  }

  // What can be read from a field even when it is broken, for the result's d= and s=.
  private static Outcome lastKnown(HeaderField field) {
    try {
      TagList tags = TagList.parse(field.unfoldedValue());
      return new Outcome(
          null,
          nonNull(tags.get("d")),
          nonNull(tags.get("s")),
          nonNull(tags.get("a")),
          nonNull(tags.get("i")),
          nonNull(TagList.compact(tags.get("b"))),
          "");
    } catch (IllegalArgumentException e) {
      return new Outcome(null, "", "", "", "", "", "");
    }
  }

  private static String nonNull(String value) {
    return value == null ? "" : value;
  }

  private Candidate prepare(int index, HeaderField field) throws Problem {
    TagList tags;
    try {
      tags = TagList.parse(field.unfoldedValue());
    } catch (IllegalArgumentException e) {
      throw new Problem(Verdict.NEUTRAL, "signature syntax: " + e.getMessage());
    }
    for (String required : List.of("v", "a", "b", "bh", "d", "h", "s")) {
      if (!tags.has(required)) {
        throw new Problem(Verdict.NEUTRAL, "signature lacks the required tag " + required + "=");
      }
    }
    if (!tags.get("v").equals("1")) {
      throw new Problem(Verdict.NEUTRAL, "unsupported signature version v=" + tags.get("v"));
    }
    String algorithm = tags.get("a").toLowerCase(Locale.ROOT);
    KeyType type =
        switch (algorithm) {
          case "rsa-sha256" -> KeyType.RSA;
          case "ed25519-sha256" -> KeyType.ED25519;
          case "rsa-sha1" ->
              throw new Problem(
                  Verdict.NEUTRAL, "rsa-sha1 signatures are not accepted (RFC 8301 §3.1)");
          default -> throw new Problem(Verdict.NEUTRAL, "unsupported algorithm a=" + algorithm);
        };
    String[] canon = canonicalization(tags.get("c"));
    if (tags.has("q") && !Arrays.asList(tags.get("q").split(":")).contains("dns/txt")) {
      throw new Problem(Verdict.NEUTRAL, "unsupported query method q=" + tags.get("q"));
    }
    String domain = tags.get("d").toLowerCase(Locale.ROOT);
    String selector = tags.get("s").toLowerCase(Locale.ROOT);
    if (!DOMAIN.matcher(domain).matches() || !DOMAIN.matcher(selector).matches()) {
      throw new Problem(Verdict.NEUTRAL, "malformed d= or s=");
    }
    if (domain.endsWith(".")) {
      domain = domain.substring(0, domain.length() - 1);
    }
    List<String> names = new ArrayList<>();
    for (String name : tags.get("h").split(":")) {
      String trimmed = name.strip();
      if (trimmed.isEmpty()) {
        throw new Problem(Verdict.NEUTRAL, "empty name in h=");
      }
      names.add(trimmed.toLowerCase(Locale.ROOT));
    }
    if (!names.contains("from")) {
      throw new Problem(Verdict.PERMERROR, "h= does not include From (RFC 6376 §6.1.1)");
    }
    String identity = tags.has("i") ? tags.get("i") : "@" + domain;
    int at = identity.lastIndexOf('@');
    String identityDomain = at < 0 ? "" : identity.substring(at + 1).toLowerCase(Locale.ROOT);
    if (at < 0 || !(identityDomain.equals(domain) || identityDomain.endsWith("." + domain))) {
      throw new Problem(
          Verdict.PERMERROR, "i= " + identity + " is not in d= " + domain + " (RFC 6376 §6.1.1)");
    }
    long length = -1;
    if (tags.has("l")) {
      if (!NUMBER.matcher(tags.get("l")).matches()) {
        throw new Problem(Verdict.NEUTRAL, "malformed l=");
      }
      length = Long.parseLong(tags.get("l"));
    }
    long now = clock.instant().getEpochSecond();
    Long signed = number(tags, "t");
    Long expires = number(tags, "x");
    if (expires != null && signed != null && expires < signed) {
      throw new Problem(Verdict.NEUTRAL, "x= is before t=");
    }
    if (expires != null && expires < now) {
      throw new Problem(Verdict.FAIL, "signature expired (x=" + expires + ")");
    }
    byte[] bodyHash = base64(tags.get("bh"), "bh=");
    byte[] b = base64(tags.get("b"), "b=");
    PublicKey key = fetchKey(selector, domain, type, identityDomain);
    return new Candidate(
        index,
        field,
        type,
        canon[0].equals("relaxed"),
        canon[1] + "/" + length,
        names,
        bodyHash,
        b,
        key);
  }

  private static String[] canonicalization(String c) throws Problem {
    if (c == null) {
      return new String[] {"simple", "simple"};
    }
    String[] parts = c.toLowerCase(Locale.ROOT).split("/", -1);
    String header = parts[0];
    String body = parts.length > 1 ? parts[1] : "simple";
    if (parts.length > 2 || !isCanon(header) || !isCanon(body)) {
      throw new Problem(Verdict.NEUTRAL, "unsupported canonicalization c=" + c);
    }
    return new String[] {header, body};
  }

  private static boolean isCanon(String name) {
    return name.equals("simple") || name.equals("relaxed");
  }

  private static Long number(TagList tags, String name) throws Problem {
    if (!tags.has(name)) {
      return null;
    }
    if (!NUMBER.matcher(tags.get(name)).matches()) {
      throw new Problem(Verdict.NEUTRAL, "malformed " + name + "=");
    }
    return Long.parseLong(tags.get(name));
  }

  private static byte[] base64(String value, String what) throws Problem {
    String compact = TagList.compact(value);
    if (!BASE64.matcher(compact).matches()) {
      throw new Problem(Verdict.NEUTRAL, "malformed " + what);
    }
    try {
      return Base64.getDecoder().decode(compact);
    } catch (IllegalArgumentException e) {
      throw new Problem(Verdict.NEUTRAL, "malformed " + what);
    }
  }

  // RFC 6376 §6.1.2 and §3.6.1
  private PublicKey fetchKey(String selector, String domain, KeyType type, String identityDomain)
      throws Problem {
    String name = selector + "._domainkey." + domain;
    DnsAnswer<String> answer = dns.txt(name);
    List<String> records =
        switch (answer) {
          case DnsAnswer.Records<String> r -> r.records();
          case DnsAnswer.NoRecords<String> n ->
              throw new Problem(Verdict.PERMERROR, "no key record at " + name);
          case DnsAnswer.NoSuchDomain<String> n ->
              throw new Problem(Verdict.PERMERROR, "no key record at " + name + " (NXDOMAIN)");
          case DnsAnswer.Failure<String> f ->
              throw new Problem(
                  Verdict.TEMPERROR, "key lookup of " + name + " failed: " + f.reason());
        };
    Problem first = null;
    for (String record : records) {
      try {
        return key(record, name, type, identityDomain);
      } catch (Problem problem) {
        if (first == null) {
          first = problem;
        }
      }
    }
    throw first;
  }

  private static PublicKey key(String record, String name, KeyType type, String identityDomain)
      throws Problem {
    TagList tags;
    try {
      tags = TagList.parse(record);
    } catch (IllegalArgumentException e) {
      throw new Problem(Verdict.PERMERROR, "key record at " + name + ": " + e.getMessage());
    }
    if (tags.has("v") && !("v".equals(tags.firstName()) && "DKIM1".equals(tags.get("v")))) {
      throw new Problem(Verdict.PERMERROR, "key record at " + name + " is not v=DKIM1 first");
    }
    if (tags.has("h")
        && !Arrays.stream(tags.get("h").split(":"))
            .map(String::strip)
            .toList()
            .contains("sha256")) {
      throw new Problem(Verdict.PERMERROR, "key record h=" + tags.get("h") + " excludes sha256");
    }
    String k = tags.has("k") ? tags.get("k").toLowerCase(Locale.ROOT) : "rsa";
    if (!k.equals(type.tag())) {
      throw new Problem(
          Verdict.PERMERROR, "key record k=" + k + " does not fit a=" + type.algorithm());
    }
    if (tags.has("s")) {
      List<String> services = Arrays.stream(tags.get("s").split(":")).map(String::strip).toList();
      if (!services.contains("*") && !services.contains("email")) {
        throw new Problem(Verdict.PERMERROR, "key record s=" + tags.get("s") + " excludes email");
      }
    }
    if (tags.has("t")) {
      List<String> flags = Arrays.stream(tags.get("t").split(":")).map(String::strip).toList();
      String domain = name.substring(name.indexOf("._domainkey.") + "._domainkey.".length());
      if (flags.contains("s") && !identityDomain.equals(domain)) {
        throw new Problem(
            Verdict.PERMERROR, "key record t=s forbids the subdomain identity " + identityDomain);
      }
    }
    if (!tags.has("p")) {
      throw new Problem(Verdict.PERMERROR, "key record at " + name + " has no p=");
    }
    String p = TagList.compact(tags.get("p"));
    if (p.isEmpty()) {
      throw new Problem(Verdict.PERMERROR, "key revoked (empty p= at " + name + ")");
    }
    PublicKey key;
    try {
      key = KeyCodec.decodePublicKey(type, Base64.getDecoder().decode(p));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new Problem(Verdict.PERMERROR, "malformed key at " + name + ": " + e.getMessage());
    }
    if (type == KeyType.RSA && KeyCodec.rsaBits(key) < 1024) {
      throw new Problem(
          Verdict.PERMERROR, "RSA key of " + KeyCodec.rsaBits(key) + " bits (RFC 8301: >= 1024)");
    }
    return key;
  }

  private Outcome finish(Candidate candidate, List<HeaderField> fields, BodyHasher body) {
    Outcome known = lastKnown(candidate.field());
    if (!MessageDigest.isEqual(body.hash(), candidate.bodyHash())) {
      return known.withVerdict(Verdict.FAIL, "body hash mismatch");
    }
    byte[] self =
        HeaderCanonicalizer.canonicalize(
            BTag.withoutValue(candidate.field().raw()), candidate.relaxedHeader(), false);
    try {
      boolean valid;
      if (candidate.type() == KeyType.RSA) {
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initVerify(candidate.key());
        SignedHeaders.feed(
            fields,
            candidate.signedNames(),
            candidate.relaxedHeader(),
            bytes -> update(rsa, bytes));
        rsa.update(self);
        valid = rsa.verify(candidate.b());
      } else {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        SignedHeaders.feed(
            fields, candidate.signedNames(), candidate.relaxedHeader(), sha256::update);
        sha256.update(self);
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initVerify(candidate.key());
        ed25519.update(sha256.digest());
        valid = ed25519.verify(candidate.b());
      }
      return valid
          ? known.withVerdict(Verdict.PASS, "")
          : known.withVerdict(Verdict.FAIL, "signature did not verify");
    } catch (GeneralSecurityException | IllegalStateException e) {
      return known.withVerdict(Verdict.FAIL, "signature did not verify: " + e.getMessage());
    }
  }

  private static void update(Signature signature, byte[] bytes) {
    try {
      signature.update(bytes);
    } catch (java.security.SignatureException e) {
      throw new IllegalStateException("signature not initialized", e);
    }
  }

  /** Writes the body to every hasher at once: the body is read only once. */
  private static final class Tee extends OutputStream {
    private final List<BodyHasher> sinks;

    Tee(java.util.Collection<BodyHasher> sinks) {
      this.sinks = List.copyOf(sinks);
    }

    @Override
    public void write(int b) {
      for (BodyHasher sink : sinks) {
        sink.write(b);
      }
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      for (BodyHasher sink : sinks) {
        sink.write(bytes, offset, length);
      }
    }
  }
}
