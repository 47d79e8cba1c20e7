package org.mta4j.dkim;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Objects;
import org.mta4j.dkim.internal.KeyCodec;

/**
 * DKIM keys: make a key pair, read a private key from PEM, write one, and print the DNS TXT record
 * that publishes the public half at {@code <selector>._domainkey.<domain>}.
 *
 * <pre>{@code
 * KeyPair pair = DkimKeys.generateEd25519();
 * Files.writeString(Path.of("s2.ed25519.pem"), DkimKeys.toPem(pair.getPrivate()));
 * System.out.println("s2._domainkey.example.com TXT \"" + DkimKeys.dnsRecord(pair.getPublic()) + "\"");
 * }</pre>
 *
 * <p>All methods are thread-safe. RSA and Ed25519 are the key types DKIM knows (RFC 6376, RFC
 * 8463); any other key is an {@link IllegalArgumentException}.
 */
public final class DkimKeys {

  /** RFC 8301 §3.2: signers must not use RSA keys shorter than this. */
  public static final int MIN_RSA_BITS = 1024;

  private DkimKeys() {}

  /**
   * A new RSA key pair of {@code bits} bits (2048 is the usual choice; DNS TXT records of 4096-bit
   * keys need several strings).
   */
  public static KeyPair generateRsa(int bits) {
    if (bits < MIN_RSA_BITS) {
      throw new IllegalArgumentException("bits must be >= " + MIN_RSA_BITS + ": " + bits);
    }
    return generate("RSA", bits);
  }

  /** A new Ed25519 key pair (RFC 8463). */
  public static KeyPair generateEd25519() {
    return generate("Ed25519", 0);
  }

  /**
   * The DNS TXT record for {@code publicKey}, e.g. {@code v=DKIM1; k=ed25519; p=11qYAYKx...}.
   *
   * @throws IllegalArgumentException when the key is neither RSA nor Ed25519
   */
  public static String dnsRecord(PublicKey publicKey) {
    return KeyCodec.dnsRecord(Objects.requireNonNull(publicKey, "publicKey"));
  }

  /** The public half of an RSA or Ed25519 private key. */
  public static PublicKey publicKey(PrivateKey privateKey) {
    return KeyCodec.publicKeyOf(Objects.requireNonNull(privateKey, "privateKey"));
  }

  /**
   * Reads an unencrypted private key from a PEM file: PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or
   * PKCS#8 ({@code BEGIN PRIVATE KEY}), RSA or Ed25519.
   *
   * @throws IOException with a message naming the file when it is missing, unreadable, encrypted or
   *     holds no private key
   */
  public static PrivateKey readPrivateKey(Path pemFile) throws IOException {
    return KeyCodec.readPrivateKey(Objects.requireNonNull(pemFile, "pemFile"));
  }

  /** The PKCS#8 PEM text ({@code BEGIN PRIVATE KEY}) of a private key. */
  public static String toPem(PrivateKey privateKey) {
    return KeyCodec.toPem(Objects.requireNonNull(privateKey, "privateKey"));
  }

  private static KeyPair generate(String algorithm, int bits) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if (bits > 0) {
        generator.initialize(bits);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate " + algorithm + " keys", e);
    }
  }
}
