package org.mta4j.dkim.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Keys in and out: PEM private keys (PKCS#1 and PKCS#8, RSA and Ed25519) read with Bouncy Castle,
 * the public half derived from the private one, and the {@code p=} encodings of the DKIM key record
 * (RSA: SubjectPublicKeyInfo, RFC 6376 §3.6.1; Ed25519: the raw 32 bytes, RFC 8463 §4).
 */
public final class KeyCodec {

  private KeyCodec() {}

  /** The key type of a DKIM algorithm and key record ({@code k=}). */
  public enum KeyType {
    RSA("rsa", "rsa-sha256"),
    ED25519("ed25519", "ed25519-sha256");

    private final String tag;
    private final String algorithm;

    KeyType(String tag, String algorithm) {
      this.tag = tag;
      this.algorithm = algorithm;
    }

    /** The {@code k=} value. */
    public String tag() {
      return tag;
    }

    /** The {@code a=} value mta4j signs with for this key type. */
    public String algorithm() {
      return algorithm;
    }

    /** The key type of a JCA key, or null when DKIM has none for it. */
    public static KeyType of(java.security.Key key) {
      return switch (key.getAlgorithm()) {
        case "RSA" -> RSA;
        case "Ed25519", "EdDSA" -> ED25519;
        default -> null;
      };
    }
  }

  /**
   * Reads a private key from a PEM file.
   *
   * @throws IOException naming the file: missing, unreadable, not PEM, encrypted, not a private key
   */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new IOException("DKIM key file does not exist: " + file, e);
    } catch (IOException e) {
      throw new IOException("cannot read DKIM key file " + file + ": " + e, e);
    }
    return parsePrivateKey(text, file.toString());
  }

  /** Reads a private key from PEM text; {@code source} names it in error messages. */
  public static PrivateKey parsePrivateKey(String pem, String source) throws IOException {
    Object object;
    try (Reader reader = new java.io.StringReader(pem);
        PEMParser parser = new PEMParser(reader)) {
      object = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new IOException("DKIM key " + source + " is not valid PEM: " + e.getMessage(), e);
    }
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      if (object instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo()); // PKCS#1 RSA
      }
      if (object instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info); // PKCS#8
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException("DKIM key " + source + " cannot be decoded: " + e.getMessage(), e);
    }
    if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
      throw new IOException("DKIM key " + source + " is encrypted; give an unencrypted key");
    }
    if (object == null) {
      throw new IOException("DKIM key " + source + " holds no PEM object");
    }
    throw new IOException(
        "DKIM key " + source + " is not a private key (found " + describe(object) + ")");
  }

  private static String describe(Object object) {
    return object.getClass().getSimpleName();
  }

  /** The public half of an RSA (CRT) or Ed25519 private key. */
  public static PublicKey publicKeyOf(PrivateKey key) {
    try {
      if (key instanceof RSAPrivateCrtKey rsa) {
        return KeyFactory.getInstance("RSA")
            .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
      }
      if (key instanceof EdECPrivateKey ed) {
        byte[] seed =
            ed.getBytes()
                .orElseThrow(() -> new IllegalArgumentException("Ed25519 key without its bytes"));
        byte[] raw = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        return ed25519PublicKey(raw);
      }
      if (KeyType.of(key) == KeyType.ED25519) {
        // a provider's key class other than the JDK's: go through its PKCS#8 encoding
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        byte[] seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
        return ed25519PublicKey(
            new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded());
      }
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot derive the public key: " + e, e);
    }
    throw new IllegalArgumentException(
        "not an RSA (CRT) or Ed25519 private key: " + key.getAlgorithm());
  }

  /** An Ed25519 public key from its raw 32 bytes (RFC 8032 encoding). */
  public static PublicKey ed25519PublicKey(byte[] raw) throws GeneralSecurityException {
    if (raw.length != 32) {
      throw new GeneralSecurityException("Ed25519 public key must be 32 bytes, was " + raw.length);
    }
    try {
      byte[] spki =
          new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), raw)
              .getEncoded();
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot encode Ed25519 key", e);
    }
  }

  /** An Ed25519 private key from its raw 32-byte seed (as RFC 8463's example gives it). */
  public static PrivateKey ed25519PrivateKey(byte[] seed) throws GeneralSecurityException {
    try {
      byte[] pkcs8 =
          new PrivateKeyInfo(
                  new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                  new org.bouncycastle.asn1.DEROctetString(seed))
              .getEncoded();
      return KeyFactory.getInstance("Ed25519")
          .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8));
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot encode Ed25519 key", e);
    }
  }

  /** The public key from a key record's {@code p=} bytes. */
  public static PublicKey decodePublicKey(KeyType type, byte[] p) throws GeneralSecurityException {
    return switch (type) {
      case RSA -> KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(p));
      case ED25519 -> ed25519PublicKey(p);
    };
  }

  /** The {@code p=} bytes of a public key. */
  public static byte[] encodePublicKey(PublicKey key) {
    KeyType type = KeyType.of(key);
    if (type == KeyType.RSA) {
      return key.getEncoded();
    }
    if (type == KeyType.ED25519) {
      return SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
    }
    throw new IllegalArgumentException("DKIM has no key type for " + key.getAlgorithm() + " keys");
  }

  /** The TXT record that publishes {@code key}: {@code v=DKIM1; k=...; p=...}. */
  public static String dnsRecord(PublicKey key) {
    KeyType type = KeyType.of(key);
    if (type == null) {
      throw new IllegalArgumentException(
          "DKIM has no key type for " + key.getAlgorithm() + " keys");
    }
    return "v=DKIM1; k="
        + type.tag()
        + "; p="
        + Base64.getEncoder().encodeToString(encodePublicKey(key));
  }

  /** The size in bits of an RSA key's modulus (RFC 8301 sets the floor at 1024). */
  public static int rsaBits(java.security.Key key) {
    if (key instanceof RSAPublicKey pub) {
      return pub.getModulus().bitLength();
    }
    if (key instanceof java.security.interfaces.RSAKey rsa) {
      BigInteger modulus = rsa.getModulus();
      return modulus.bitLength();
    }
    throw new IllegalArgumentException("not an RSA key: " + key.getAlgorithm());
  }

  /** The PKCS#8 PEM text of a private key. */
  public static String toPem(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(
          new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", key.getEncoded()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write PEM to memory", e);
    }
    return out.toString();
  }
}
