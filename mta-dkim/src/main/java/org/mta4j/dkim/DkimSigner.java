package org.mta4j.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.mta4j.dkim.internal.KeyCodec;
import org.mta4j.dkim.internal.KeyCodec.KeyType;
import org.mta4j.dkim.internal.SigningEngine;
import org.mta4j.dkim.internal.TagList;
import org.mta4j.dns.DnsAnswer;
import org.mta4j.dns.DnsResolver;
import org.mta4j.intake.ContentStep;
import org.mta4j.intake.IntakeMessage;

/**
 * Signs outgoing mail with DKIM (RFC 6376): {@code rsa-sha256} and {@code ed25519-sha256} (RFC
 * 8463), as an intake step, so the signature is part of the message before it is queued and every
 * delivery attempt sends the same signed bytes.
 *
 * <pre>{@code
 * DkimSigner signer = DkimSigner.builder()
 *     .key("example.com", "s1", Path.of("s1.rsa.pem"))
 *     .key("example.com", "s2", Path.of("s2.ed25519.pem"))
 *     .build();
 * Mta mta = Mta.builder().contentStep(signer)...build();
 * }</pre>
 *
 * <p>The key is chosen by the domain of the message's RFC 5322 From address (exact match, case
 * insensitive); a domain with several keys gets several signatures (e.g. RSA and Ed25519); a
 * message whose From domain has no key, or that has no From or more than one, passes unsigned. The
 * signature has {@code t=}, no {@code l=}; the algorithm follows from the key type. The content is
 * read once: the header, then the body, hashed as it streams.
 *
 * <p>Immutable and thread-safe. {@link #headersToPrepend} throws {@link IOException} when the
 * content cannot be read or its header is too large, which makes intake refuse the message for now.
 */
public final class DkimSigner implements ContentStep {

  /**
   * The fields signed by default, when present: the ones that carry the message's meaning (RFC 6376
   * §5.4.1), plus the list headers mail providers ask bulk senders to sign.
   */
  public static final List<String> DEFAULT_SIGNED_HEADERS =
      List.of(
          "From",
          "Reply-To",
          "Sender",
          "Subject",
          "Date",
          "Message-ID",
          "To",
          "Cc",
          "MIME-Version",
          "Content-Type",
          "Content-Transfer-Encoding",
          "Content-ID",
          "Content-Description",
          "In-Reply-To",
          "References",
          "List-Id",
          "List-Help",
          "List-Unsubscribe",
          "List-Unsubscribe-Post",
          "List-Subscribe",
          "List-Post",
          "List-Owner",
          "List-Archive");

  /**
   * The fields signed once more than they occur by default, so that nobody can add one on the way
   * and have the signature still pass (RFC 6376 §8.15).
   */
  public static final List<String> DEFAULT_OVER_SIGNED_HEADERS = List.of("From");

  private static final Pattern DOMAIN =
      Pattern.compile("(?i)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*");
  private static final Pattern FIELD_NAME = Pattern.compile("[!-9;-~]+");

  private final SigningEngine engine;
  private final String description;

  private DkimSigner(SigningEngine engine, String description) {
    this.engine = engine;
    this.description = description;
  }

  /** A builder with relaxed/relaxed canonicalization and the default header lists. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public List<String> headersToPrepend(IntakeMessage message) throws IOException {
    try (InputStream content = message.openContent()) {
      return engine.sign(content);
    }
  }

  /**
   * The DKIM-Signature fields for a whole message ({@code message} is read to its end, not closed),
   * each without its final CRLF; empty when the From domain has no key.
   */
  public List<String> sign(InputStream message) throws IOException {
    return engine.sign(Objects.requireNonNull(message, "message"));
  }

  /** Whether mail from {@code domain} gets signed. */
  public boolean signs(String domain) {
    return engine.signs(domain.toLowerCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return description;
  }

  /**
   * Configures a {@link DkimSigner}. Each setter checks its argument at once and names it in the
   * exception; {@link #build()} reads the key files and checks the whole. Not thread-safe.
   */
  public static final class Builder {

    private record KeySource(String domain, String selector, Path file, PrivateKey key) {}

    private final Map<String, KeySource> keys = new LinkedHashMap<>();
    private Canonicalization headerCanonicalization = Canonicalization.RELAXED;
    private Canonicalization bodyCanonicalization = Canonicalization.RELAXED;
    private List<String> signedHeaders = DEFAULT_SIGNED_HEADERS;
    private List<String> overSignedHeaders = DEFAULT_OVER_SIGNED_HEADERS;
    private Clock clock = Clock.systemUTC();
    private Duration signatureValidity;
    private DnsResolver publishedKeyCheck;

    private Builder() {}

    /**
     * Signs mail from {@code domain} with the private key in {@code pemFile} (PKCS#1 or PKCS#8, RSA
     * or Ed25519), published at {@code selector._domainkey.domain}. The file is read by {@link
     * #build()}.
     */
    public Builder key(String domain, String selector, Path pemFile) {
      Objects.requireNonNull(pemFile, "pemFile");
      return add(new KeySource(checkDomain(domain), checkSelector(selector), pemFile, null));
    }

    /** Signs mail from {@code domain} with {@code privateKey} (RSA or Ed25519). */
    public Builder key(String domain, String selector, PrivateKey privateKey) {
      Objects.requireNonNull(privateKey, "privateKey");
      if (KeyType.of(privateKey) == null) {
        throw new IllegalArgumentException(
            "privateKey must be RSA or Ed25519: " + privateKey.getAlgorithm());
      }
      return add(new KeySource(checkDomain(domain), checkSelector(selector), null, privateKey));
    }

    /** The header canonicalization ({@code c=}); default {@link Canonicalization#RELAXED}. */
    public Builder headerCanonicalization(Canonicalization canonicalization) {
      this.headerCanonicalization =
          Objects.requireNonNull(canonicalization, "headerCanonicalization");
      return this;
    }

    /** The body canonicalization ({@code c=}); default {@link Canonicalization#RELAXED}. */
    public Builder bodyCanonicalization(Canonicalization canonicalization) {
      this.bodyCanonicalization = Objects.requireNonNull(canonicalization, "bodyCanonicalization");
      return this;
    }

    /**
     * The names of the fields to sign when present (default {@link #DEFAULT_SIGNED_HEADERS}); must
     * include {@code From} (RFC 6376 §5.4).
     */
    public Builder signedHeaders(List<String> names) {
      List<String> checked = checkNames("signedHeaders", names);
      if (checked.stream().noneMatch("from"::equalsIgnoreCase)) {
        throw new IllegalArgumentException("signedHeaders must include From: " + names);
      }
      this.signedHeaders = checked;
      return this;
    }

    /**
     * The names signed once more than they occur (default {@link #DEFAULT_OVER_SIGNED_HEADERS});
     * each must also be in {@link #signedHeaders}. Empty for none.
     */
    public Builder overSignedHeaders(List<String> names) {
      this.overSignedHeaders = checkNames("overSignedHeaders", names);
      return this;
    }

    /** The clock that sets {@code t=} (and {@code x=}); default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Adds {@code x=}: signatures expire this long after they are made (verifiers may then refuse
     * them); default none. Must be positive; make it longer than the queue's maximum lifetime.
     */
    public Builder signatureValidity(Duration validity) {
      Objects.requireNonNull(validity, "signatureValidity");
      if (validity.isNegative() || validity.toSeconds() < 1) {
        throw new IllegalArgumentException("signatureValidity must be >= 1s: " + validity);
      }
      this.signatureValidity = validity;
      return this;
    }

    /**
     * Makes {@link #build()} look up each key's TXT record through {@code dns} and fail unless it
     * publishes the matching public key (off by default: a signer can start before its record is
     * published).
     */
    public Builder checkPublishedKeys(DnsResolver dns) {
      this.publishedKeyCheck = Objects.requireNonNull(dns, "dns");
      return this;
    }

    /**
     * Reads the keys and builds the signer.
     *
     * @throws IllegalStateException naming the key and the problem: no key at all, a missing or
     *     unreadable file, a key that is neither RSA nor Ed25519, an RSA key shorter than 1024
     *     bits, an over-signed name that is not signed, a published record that does not match
     */
    public DkimSigner build() {
      if (keys.isEmpty()) {
        throw new IllegalStateException("DkimSigner needs at least one key: call key(...)");
      }
      Set<String> signed = new LinkedHashSet<>();
      signedHeaders.forEach(name -> signed.add(name.toLowerCase(Locale.ROOT)));
      Set<String> overSigned = new LinkedHashSet<>();
      for (String name : overSignedHeaders) {
        String key = name.toLowerCase(Locale.ROOT);
        if (!signed.contains(key)) {
          throw new IllegalStateException(
              "overSignedHeaders names " + name + ", which is not in signedHeaders");
        }
        overSigned.add(key);
      }
      Map<String, List<SigningEngine.Key>> byDomain = new LinkedHashMap<>();
      List<String> described = new ArrayList<>();
      for (KeySource source : keys.values()) {
        SigningEngine.Key key = load(source);
        if (publishedKeyCheck != null) {
          checkPublished(source, KeyCodec.publicKeyOf(key.privateKey()));
        }
        byDomain.computeIfAbsent(source.domain(), d -> new ArrayList<>()).add(key);
        described.add(
            "d=" + source.domain() + " s=" + source.selector() + " a=" + key.type().algorithm());
      }
      SigningEngine engine =
          new SigningEngine(
              byDomain,
              headerCanonicalization == Canonicalization.RELAXED,
              bodyCanonicalization == Canonicalization.RELAXED,
              List.copyOf(signed),
              overSigned,
              clock,
              signatureValidity);
      String description =
          "DkimSigner"
              + described
              + " c="
              + headerCanonicalization.tag()
              + "/"
              + bodyCanonicalization.tag();
      return new DkimSigner(engine, description);
    }

    private Builder add(KeySource source) {
      String id = source.selector() + "._domainkey." + source.domain();
      if (keys.putIfAbsent(id, source) != null) {
        throw new IllegalArgumentException("key for " + id + " given twice");
      }
      return this;
    }

    private static SigningEngine.Key load(KeySource source) {
      String what = "DKIM key d=" + source.domain() + " s=" + source.selector();
      PrivateKey key = source.key();
      if (key == null) {
        try {
          key = KeyCodec.readPrivateKey(source.file());
        } catch (IOException e) {
          throw new IllegalStateException(what + ": " + e.getMessage(), e);
        }
      }
      KeyType type = KeyType.of(key);
      String from = source.file() == null ? "" : " (" + source.file() + ")";
      if (type == null) {
        throw new IllegalStateException(
            what
                + from
                + " is a "
                + key.getAlgorithm()
                + " key; DKIM signs with RSA (rsa-sha256) or Ed25519 (ed25519-sha256)");
      }
      if (type == KeyType.RSA && KeyCodec.rsaBits(key) < DkimKeys.MIN_RSA_BITS) {
        throw new IllegalStateException(
            what
                + from
                + " is an RSA key of "
                + KeyCodec.rsaBits(key)
                + " bits; RFC 8301 requires at least "
                + DkimKeys.MIN_RSA_BITS);
      }
      try {
        KeyCodec.publicKeyOf(key);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(what + from + ": " + e.getMessage(), e);
      }
      return new SigningEngine.Key(source.domain(), source.selector(), type, key);
    }

    private void checkPublished(KeySource source, PublicKey publicKey) {
      String name = source.selector() + "._domainkey." + source.domain();
      DnsAnswer<String> answer = publishedKeyCheck.txt(name);
      String expected = Base64.getEncoder().encodeToString(KeyCodec.encodePublicKey(publicKey));
      if (answer instanceof DnsAnswer.Records<String> records) {
        for (String record : records.records()) {
          try {
            if (expected.equals(TagList.compact(TagList.parse(record).get("p")))) {
              return;
            }
          } catch (IllegalArgumentException notAKeyRecord) {
            // another TXT record at the name; look at the next one
          }
        }
        throw new IllegalStateException(
            "the DKIM record at "
                + name
                + " does not publish the key "
                + (source.file() == null ? "given" : "in " + source.file())
                + "; publish: "
                + KeyCodec.dnsRecord(publicKey));
      }
      throw new IllegalStateException(
          "no DKIM record at "
              + name
              + " ("
              + answer
              + "); publish: "
              + KeyCodec.dnsRecord(publicKey));
    }

    private static String checkDomain(String domain) {
      Objects.requireNonNull(domain, "domain");
      String bare = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
      if (!DOMAIN.matcher(bare).matches() || bare.length() > 253) {
        throw new IllegalArgumentException("domain is not a domain name: '" + domain + "'");
      }
      return bare.toLowerCase(Locale.ROOT);
    }

    private static String checkSelector(String selector) {
      Objects.requireNonNull(selector, "selector");
      if (!DOMAIN.matcher(selector).matches()) {
        throw new IllegalArgumentException(
            "selector is not a DNS label sequence: '" + selector + "'");
      }
      return selector;
    }

    private static List<String> checkNames(String option, List<String> names) {
      Objects.requireNonNull(names, option);
      for (String name : names) {
        if (name == null || !FIELD_NAME.matcher(name).matches()) {
          throw new IllegalArgumentException(option + " holds a bad field name: '" + name + "'");
        }
      }
      return List.copyOf(names);
    }
  }
}
