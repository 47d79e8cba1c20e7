package org.mta4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.mta4j.server.internal.PemTls;

/**
 * One self-signed RSA-2048 certificate for {@code localhost}, 127.0.0.1 and ::1, generated once per
 * JVM on first use and written as standard PEM, so Java tests and external peers (swaks, Python's
 * smtplib, openssl s_client) can all use {@link #certificatePem()} as their CA file.
 *
 * <p>The certificate is its own CA (basicConstraints CA:TRUE with keyCertSign, as {@code openssl
 * req -x509} makes them) and carries key identifiers, which OpenSSL's strict verification (the
 * Python 3.13 default) requires. All methods are thread-safe.
 */
public final class TestCertificates {

  private TestCertificates() {}

  /** The PEM certificate, usable as a CA file. */
  public static Path certificatePem() {
    return Generated.INSTANCE.certificatePem;
  }

  /** The unencrypted PKCS#8 {@code PRIVATE KEY} of {@link #certificatePem()}. */
  public static Path privateKeyPem() {
    return Generated.INSTANCE.privateKeyPem;
  }

  /** A fresh server context serving the certificate, built through {@link PemTls}. */
  public static SSLContext serverContext() {
    try {
      return PemTls.serverContext(certificatePem(), privateKeyPem());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A client context that trusts only the test certificate. */
  public static SSLContext clientContext() {
    return Generated.INSTANCE.clientContext;
  }

  /** Sockets from {@link #clientContext()}. */
  public static SSLSocketFactory clientSocketFactory() {
    return clientContext().getSocketFactory();
  }

  /** Initialization-on-demand holder: the JVM runs this once, on first use, thread-safely. */
  private static final class Generated {
    static final Generated INSTANCE = generate();

    final Path certificatePem;
    final Path privateKeyPem;
    final SSLContext clientContext;

    private Generated(Path certificatePem, Path privateKeyPem, SSLContext clientContext) {
      this.certificatePem = certificatePem;
      this.privateKeyPem = privateKeyPem;
      this.clientContext = clientContext;
    }

    private static Generated generate() {
      try {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        X509Certificate certificate = selfSigned(keys);

        Path directory = Files.createTempDirectory("mta4j-test-tls");
        Path certificatePem = directory.resolve("cert.pem");
        Path privateKeyPem = directory.resolve("key.pem");
        // deleteOnExit runs in reverse order of registration: files first, then the directory.
        directory.toFile().deleteOnExit();
        certificatePem.toFile().deleteOnExit();
        privateKeyPem.toFile().deleteOnExit();
        try (Writer out = Files.newBufferedWriter(certificatePem, StandardCharsets.US_ASCII);
            JcaPEMWriter pem = new JcaPEMWriter(out)) {
          pem.writeObject(certificate);
        }
        try (Writer out = Files.newBufferedWriter(privateKeyPem, StandardCharsets.US_ASCII);
            JcaPEMWriter pem = new JcaPEMWriter(out)) {
          pem.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
        }

        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("mta4j-test", certificate);
        TrustManagerFactory trust =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, trust.getTrustManagers(), null);
        return new Generated(certificatePem, privateKeyPem, client);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the test certificate", e);
      } catch (GeneralSecurityException | OperatorCreationException e) {
        throw new IllegalStateException("cannot generate the test certificate", e);
      }
    }

    private static X509Certificate selfSigned(KeyPair keys)
        throws GeneralSecurityException, OperatorCreationException, IOException {
      X500Name name = new X500Name("CN=localhost");
      Instant now = Instant.now();
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  name,
                  new BigInteger(64, new SecureRandom()).setBit(0),
                  Date.from(now.minus(Duration.ofHours(1))),
                  Date.from(now.plus(Duration.ofDays(365))),
                  name,
                  keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(
                      KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyCertSign))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  extensions.createSubjectKeyIdentifier(keys.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  extensions.createAuthorityKeyIdentifier(keys.getPublic()))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(
                      new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, "localhost"),
                        ipAddress(new byte[] {127, 0, 0, 1}),
                        ipAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
                      }));
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }

    private static GeneralName ipAddress(byte[] address) {
      return new GeneralName(GeneralName.iPAddress, new DEROctetString(address));
    }
  }
}
