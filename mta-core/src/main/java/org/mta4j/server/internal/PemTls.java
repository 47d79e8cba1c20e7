package org.mta4j.server.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * A TLS server context straight from {@code fullchain.pem} and {@code privkey.pem} as certbot and
 * other ACME clients write them (RFC 7468 text, RFC 8555 §9.1 chain), so users need no keytool
 * step. Bouncy Castle only parses the PEM; the JDK's own providers do the TLS.
 */
public final class PemTls {

  /** Protects the key inside the throwaway in-memory PKCS#12 store; never written anywhere. */
  private static final char[] STORE_PASSWORD = "mta4j-in-memory".toCharArray();

  private PemTls() {}

  /**
   * A "TLS" context (TLSv1.3 and TLSv1.2 under the JDK's default policy) serving the chain.
   *
   * @param certificateChain PEM CERTIFICATE blocks, leaf first; other blocks are ignored
   * @param privateKey an unencrypted PKCS#8 {@code PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY} or
   *     SEC1 {@code EC PRIVATE KEY}
   * @throws IOException if a file cannot be read, holds no certificate or key, or is malformed
   * @throws InvalidKeyException if the key does not belong to the leaf certificate
   * @throws GeneralSecurityException if the JDK cannot build the context from the key material
   */
  public static SSLContext serverContext(Path certificateChain, Path privateKey)
      throws IOException, GeneralSecurityException {
    List<X509Certificate> chain = readCertificates(certificateChain);
    PrivateKey key = readPrivateKey(privateKey);
    checkKeyMatches(key, privateKey, chain.get(0), certificateChain);

    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("server", key, STORE_PASSWORD, chain.toArray(new Certificate[0]));
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(store, STORE_PASSWORD);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers.getKeyManagers(), null, null);
    return context;
  }

  static List<X509Certificate> readCertificates(Path file) throws IOException {
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    List<X509Certificate> chain = new ArrayList<>();
    // Latin-1 never fails to decode, so stray non-ASCII text between blocks (RFC 7468 §2) is inert.
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
        PEMParser pem = new PEMParser(reader)) {
      Object block;
      while ((block = readBlock(pem, file)) != null) {
        if (block instanceof X509CertificateHolder holder) {
          chain.add(converter.getCertificate(holder));
        }
      }
    } catch (CertificateException e) {
      throw new IOException("malformed certificate in " + file + ": " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IOException("no certificate in " + file);
    }
    return chain;
  }

  static PrivateKey readPrivateKey(Path file) throws IOException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
        PEMParser pem = new PEMParser(reader)) {
      Object block;
      // Certificates and "EC PARAMETERS" (openssl ecparam -genkey) may precede the key: skip them.
      while ((block = readBlock(pem, file)) != null) {
        if (block instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (block instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (block instanceof PKCS8EncryptedPrivateKeyInfo || block instanceof PEMEncryptedKeyPair) {
          throw new IOException(
              "the private key in " + file + " is encrypted; mta4j needs an unencrypted key");
        }
      }
    } catch (PEMException e) {
      // JcaPEMKeyConverter: an algorithm the JDK cannot load, or a corrupt key structure.
      throw new IOException("unusable private key in " + file + ": " + e.getMessage(), e);
    }
    throw new IOException("no private key in " + file);
  }

  /** PEMParser lets some decoding failures escape as runtime exceptions; name the file. */
  private static Object readBlock(PEMParser pem, Path file) throws IOException {
    try {
      return pem.readObject();
    } catch (IOException | RuntimeException e) {
      throw new IOException("malformed PEM in " + file + ": " + e.getMessage(), e);
    }
  }

  /** Signs a few random bytes with the key and verifies them with the certificate's public key. */
  private static void checkKeyMatches(
      PrivateKey key, Path keyFile, X509Certificate leaf, Path certificateFile)
      throws GeneralSecurityException {
    PublicKey publicKey = leaf.getPublicKey();
    String mismatch =
        "the private key in " + keyFile + " does not match the certificate in " + certificateFile;
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      throw new InvalidKeyException(
          mismatch
              + " (a "
              + key.getAlgorithm()
              + " key for a "
              + publicKey.getAlgorithm()
              + " certificate)");
    }
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    boolean verified;
    try {
      Signature signer = signature(key.getAlgorithm());
      signer.initSign(key);
      signer.update(challenge);
      byte[] signed = signer.sign();
      Signature verifier = signature(key.getAlgorithm());
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      verified = verifier.verify(signed);
    } catch (InvalidKeyException | SignatureException e) {
      // e.g. EC keys on different curves
      throw new InvalidKeyException(mismatch + " (" + e.getMessage() + ")", e);
    }
    if (!verified) {
      throw new InvalidKeyException(mismatch);
    }
  }

  private static Signature signature(String keyAlgorithm) throws GeneralSecurityException {
    return switch (keyAlgorithm) {
      case "RSA" -> Signature.getInstance("SHA256withRSA");
      case "EC" -> Signature.getInstance("SHA256withECDSA");
      case "DSA" -> Signature.getInstance("SHA256withDSA");
      case "RSASSA-PSS" -> {
        Signature pss = Signature.getInstance("RSASSA-PSS");
        pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        yield pss;
      }
      // EdDSA keys name their own signature algorithm (Ed25519, Ed448, EdDSA).
      default -> Signature.getInstance(keyAlgorithm);
    };
  }
}
