package org.mta4j.dkim.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mta4j.dkim.internal.KeyCodec.KeyType;

/**
 * Signs messages (RFC 6376 §5, RFC 8463): reads the header, picks the keys of the From domain,
 * hashes the body once as it streams, then writes one DKIM-Signature field per key. Immutable and
 * thread-safe.
 */
public final class SigningEngine {

  /** One signing key: the {@code d=}, {@code s=} and the key that makes {@code b=}. */
  public record Key(String domain, String selector, KeyType type, PrivateKey privateKey) {}

  // RFC 5322 §2.1.1 asks for lines of at most 78 characters; fold before that
  private static final int LINE = 76;
  private static final int B_CHUNK = 72;

  private final Map<String, List<Key>> keysByDomain;
  private final boolean relaxedHeader;
  private final boolean relaxedBody;
  private final List<String> headerNames;
  private final Set<String> overSigned;
  private final Clock clock;
  private final Duration validity;

  /**
   * @param validity how long a signature is valid ({@code x=}), or null for no {@code x=}
   */
  public SigningEngine(
      Map<String, List<Key>> keysByDomain,
      boolean relaxedHeader,
      boolean relaxedBody,
      List<String> headerNames,
      Set<String> overSigned,
      Clock clock,
      Duration validity) {
    this.keysByDomain = Map.copyOf(keysByDomain);
    this.relaxedHeader = relaxedHeader;
    this.relaxedBody = relaxedBody;
    this.headerNames = List.copyOf(headerNames);
    this.overSigned = Set.copyOf(overSigned);
    this.clock = clock;
    this.validity = validity;
  }

  /** Whether a message from {@code domain} would be signed. */
  public boolean signs(String domain) {
    return keysByDomain.containsKey(domain);
  }

  /**
   * The DKIM-Signature fields for {@code message} (complete fields without the final CRLF), one per
   * key of its From domain; empty when that domain has no key or there is no single From.
   */
  public List<String> sign(InputStream message) throws IOException {
    MessageReader reader = new MessageReader(message);
    List<HeaderField> fields = reader.readHeader();
    String domain = FromDomain.of(fields);
    List<Key> keys = domain == null ? null : keysByDomain.get(domain);
    if (keys == null) {
      return List.of();
    }
    BodyHasher body = new BodyHasher(relaxedBody, -1);
    reader.transferBody(body);
    String bodyHash = Base64.getEncoder().encodeToString(body.hash());
    long now = clock.instant().getEpochSecond();
    List<String> names = SignedHeaders.choose(fields, headerNames, overSigned);
    List<String> signatures = new ArrayList<>(keys.size());
    for (Key key : keys) {
      signatures.add(signatureField(key, fields, names, bodyHash, now));
    }
    return signatures;
  }

  private String signatureField(
      Key key, List<HeaderField> fields, List<String> names, String bodyHash, long now)
      throws IOException {
    StringBuilder field = new StringBuilder(512);
    field
        .append("DKIM-Signature: v=1; a=")
        .append(key.type().algorithm())
        .append("; c=")
        .append(relaxedHeader ? "relaxed" : "simple")
        .append('/')
        .append(relaxedBody ? "relaxed" : "simple")
        .append(";\r\n\td=")
        .append(key.domain())
        .append("; s=")
        .append(key.selector())
        .append("; t=")
        .append(now);
    if (validity != null) {
      field.append("; x=").append(now + validity.toSeconds());
    }
    field.append(";\r\n\th=");
    int lineLength = 3;
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (lineLength + name.length() + 1 > LINE) {
        field.append("\r\n\t");
        lineLength = 1;
      }
      field.append(name);
      lineLength += name.length();
      if (i < names.size() - 1) {
        field.append(':');
        lineLength++;
      }
    }
    field.append(";\r\n\tbh=").append(bodyHash).append(";\r\n\tb=");
    byte[] unsigned = field.toString().getBytes(US_ASCII);
    byte[] signature;
    try {
      signature = sign(key, fields, names, unsigned);
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "DKIM signing with d=" + key.domain() + " s=" + key.selector() + " failed: " + e, e);
    }
    String b = Base64.getEncoder().encodeToString(signature);
    for (int i = 0; i < b.length(); i += B_CHUNK) {
      if (i > 0) {
        field.append("\r\n\t");
      }
      field.append(b, i, Math.min(b.length(), i + B_CHUNK));
    }
    return field.toString();
  }

  private byte[] sign(Key key, List<HeaderField> fields, List<String> names, byte[] unsigned)
      throws GeneralSecurityException {
    byte[] self = HeaderCanonicalizer.canonicalize(unsigned, relaxedHeader, false);
    if (key.type() == KeyType.RSA) {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(key.privateKey());
      SignedHeaders.feed(fields, names, relaxedHeader, bytes -> update(rsa, bytes));
      rsa.update(self);
      return rsa.sign();
    }
    // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the data, not the data itself
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    SignedHeaders.feed(fields, names, relaxedHeader, sha256::update);
    sha256.update(self);
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initSign(key.privateKey());
    ed25519.update(sha256.digest());
    return ed25519.sign();
  }

  private static void update(Signature signature, byte[] bytes) {
    try {
      signature.update(bytes);
    } catch (java.security.SignatureException e) {
      throw new IllegalStateException("signature not initialized", e);
    }
  }
}
