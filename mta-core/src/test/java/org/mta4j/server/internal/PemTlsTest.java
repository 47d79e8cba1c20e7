package org.mta4j.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemObjectGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.testing.TestCertificates;

class PemTlsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path dir;

  @Test
  void testCertificatesHandshakeOverLoopbackWithTls13() throws Exception {
    SSLSession session =
        handshake(TestCertificates.serverContext(), TestCertificates.clientContext());

    assertThat(session.getProtocol()).isEqualTo("TLSv1.3");
    assertThat(((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal())
        .hasToString("CN=localhost");
  }

  @Test
  void testCertificatesAreStandardPem() throws IOException {
    assertThat(Files.readString(TestCertificates.certificatePem()))
        .startsWith("-----BEGIN CERTIFICATE-----")
        .contains("-----END CERTIFICATE-----");
    assertThat(Files.readString(TestCertificates.privateKeyPem()))
        .startsWith("-----BEGIN PRIVATE KEY-----");
  }

  @Test
  void pkcs1RsaKeyIsAccepted() throws Exception {
    Path key = dir.resolve("privkey.pem");
    writePem(key, testPrivateKey()); // JcaPEMWriter writes an RSA key in the traditional form
    assertThat(Files.readString(key)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    SSLContext server = PemTls.serverContext(TestCertificates.certificatePem(), key);

    assertThat(handshake(server, TestCertificates.clientContext()).getProtocol())
        .isEqualTo("TLSv1.3");
  }

  @Test
  void ecKeyAfterEcParametersIsAccepted() throws Exception {
    KeyPair keys = ecKeyPair();
    X509Certificate certificate = certificate("CN=ec.localhost", keys.getPublic(), null, keys);
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    writePem(cert, certificate);
    // As "openssl ecparam -genkey" writes it: the curve first, then the SEC1 key.
    writePem(
        key,
        new PemObject("EC PARAMETERS", SECObjectIdentifiers.secp256r1.getEncoded()),
        sec1(keys));
    assertThat(Files.readString(key)).contains("-----BEGIN EC PRIVATE KEY-----");

    SSLSession session = handshake(PemTls.serverContext(cert, key), clientTrusting(certificate));

    assertThat(session.getPeerCertificates()[0]).isEqualTo(certificate);
  }

  @Test
  void fullChainIsServedLeafFirst() throws Exception {
    KeyPair caKeys = rsaKeyPair();
    X509Certificate ca = certificate("CN=Test CA", caKeys.getPublic(), null, caKeys);
    KeyPair leafKeys = ecKeyPair();
    X509Certificate leaf = certificate("CN=localhost", leafKeys.getPublic(), ca, caKeys);
    Path fullchain = dir.resolve("fullchain.pem");
    Path privkey = dir.resolve("privkey.pem");
    writePem(fullchain, leaf, ca);
    writePem(privkey, new JcaPKCS8Generator(leafKeys.getPrivate(), null));

    SSLSession session = handshake(PemTls.serverContext(fullchain, privkey), clientTrusting(ca));

    assertThat(session.getPeerCertificates()).containsExactly(leaf, ca);
  }

  @Test
  void keyOfAnotherCertificateIsRejectedNamingBothFiles() throws Exception {
    Path key = dir.resolve("other.pem");
    writePem(key, new JcaPKCS8Generator(rsaKeyPair().getPrivate(), null));

    assertThatThrownBy(() -> PemTls.serverContext(TestCertificates.certificatePem(), key))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessage(
            "the private key in "
                + key
                + " does not match the certificate in "
                + TestCertificates.certificatePem());
  }

  @Test
  void keyOfAnotherAlgorithmIsRejected() throws Exception {
    Path key = dir.resolve("ec.pem");
    writePem(key, sec1(ecKeyPair()));

    assertThatThrownBy(() -> PemTls.serverContext(TestCertificates.certificatePem(), key))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageEndingWith("(a EC key for a RSA certificate)");
  }

  @Test
  void emptyFilesAreRejectedNamingTheFile() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.pem"));

    assertThatThrownBy(() -> PemTls.serverContext(empty, TestCertificates.privateKeyPem()))
        .isInstanceOf(IOException.class)
        .hasMessage("no certificate in " + empty);
    assertThatThrownBy(() -> PemTls.serverContext(TestCertificates.certificatePem(), empty))
        .isInstanceOf(IOException.class)
        .hasMessage("no private key in " + empty);
  }

  @Test
  void swappedFilesAreRejected() {
    Path cert = TestCertificates.certificatePem();
    Path key = TestCertificates.privateKeyPem();

    assertThatThrownBy(() -> PemTls.serverContext(key, cert))
        .isInstanceOf(IOException.class)
        .hasMessage("no certificate in " + key);
  }

  @Test
  void combinedKeyAndChainFileWorksForBoth() throws Exception {
    Path combined = dir.resolve("combined.pem");
    Files.writeString(
        combined,
        Files.readString(TestCertificates.privateKeyPem())
            + Files.readString(TestCertificates.certificatePem()));

    assertThat(PemTls.serverContext(combined, combined).getProtocol()).isEqualTo("TLS");
  }

  @Test
  void explanatoryTextAroundBlocksIsIgnored() throws Exception {
    // As "openssl pkcs12 -nodes" writes it: "Bag Attributes" lines, here with a non-ASCII name.
    Path chain = dir.resolve("chain.pem");
    Files.writeString(
        chain,
        "Bag Attributes\n    friendlyName: Zürich\nsubject=CN = localhost\n"
            + Files.readString(TestCertificates.certificatePem()),
        StandardCharsets.UTF_8);

    assertThat(PemTls.serverContext(chain, TestCertificates.privateKeyPem()).getProtocol())
        .isEqualTo("TLS");
  }

  @Test
  void encryptedKeyIsRejectedWithTheReason() throws Exception {
    Path key = dir.resolve("encrypted.pem");
    writePem(
        key,
        new JcaPKCS8Generator(
            testPrivateKey(),
            new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                .setProvider(new BouncyCastleProvider()) // AES-CBC-PKCS7; not registered
                .setPassword("secret".toCharArray())
                .build()));

    assertThatThrownBy(() -> PemTls.serverContext(TestCertificates.certificatePem(), key))
        .isInstanceOf(IOException.class)
        .hasMessage("the private key in " + key + " is encrypted; mta4j needs an unencrypted key");
  }

  @Test
  void corruptPemIsRejectedNamingTheFile() throws Exception {
    Path cert = dir.resolve("corrupt.pem");
    Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n");

    assertThatThrownBy(() -> PemTls.serverContext(cert, TestCertificates.privateKeyPem()))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("malformed PEM in " + cert);
  }

  @Test
  void missingFileIsAnIoError() {
    Path missing = dir.resolve("missing.pem");

    assertThatThrownBy(() -> PemTls.serverContext(missing, TestCertificates.privateKeyPem()))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(missing.toString());
  }

  // --- helpers ---

  /** Runs one TLS exchange on 127.0.0.1 and returns the client's view of the session. */
  private static SSLSession handshake(SSLContext server, SSLContext client) throws Exception {
    InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    // Resources close in reverse: the listener first, which unblocks a pending accept().
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        SSLServerSocket listener =
            (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, loopback)) {
      listener.setSoTimeout((int) TIMEOUT.toMillis());
      Future<Integer> served =
          executor.submit(
              () -> {
                try (Socket accepted = listener.accept()) {
                  accepted.setSoTimeout((int) TIMEOUT.toMillis());
                  int b = accepted.getInputStream().read();
                  accepted.getOutputStream().write(b + 1);
                  accepted.getOutputStream().flush();
                  return b;
                }
              });
      SSLSession session;
      try (SSLSocket socket =
          (SSLSocket)
              client.getSocketFactory().createSocket("127.0.0.1", listener.getLocalPort())) {
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // checks the IP SAN
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        socket.getOutputStream().write(41);
        socket.getOutputStream().flush();
        assertThat(socket.getInputStream().read()).isEqualTo(42);
        session = socket.getSession();
      }
      // Only after the client has closed: the server's TLS 1.3 close waits for our close_notify.
      assertThat(served.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(41);
      return session;
    }
  }

  private static SSLContext clientTrusting(X509Certificate anchor) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("anchor", anchor);
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  /** A certificate for localhost/127.0.0.1, self-signed when issuer is null. */
  private static X509Certificate certificate(
      String subject, PublicKey key, X509Certificate issuer, KeyPair issuerKeys) throws Exception {
    Instant now = Instant.now();
    X500Name issuerName =
        issuer == null
            ? new X500Name(subject)
            : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
    PrivateKey signingKey = issuerKeys.getPrivate();
    String algorithm = signingKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    var builder =
        new JcaX509v3CertificateBuilder(
                issuerName,
                new BigInteger(64, new SecureRandom()).setBit(0),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))),
                new X500Name(subject),
                key)
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(issuer == null))
            .addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(
                    new GeneralName[] {
                      new GeneralName(GeneralName.dNSName, "localhost"),
                      new GeneralName(
                          GeneralName.iPAddress, new DEROctetString(new byte[] {127, 0, 0, 1}))
                    }));
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(signingKey)));
  }

  private static PrivateKey testPrivateKey() throws IOException {
    try (PEMParser pem =
        new PEMParser(
            Files.newBufferedReader(TestCertificates.privateKeyPem(), StandardCharsets.US_ASCII))) {
      Object block = pem.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      return block instanceof PEMKeyPair pair
          ? converter.getPrivateKey(pair.getPrivateKeyInfo())
          : converter.getPrivateKey((PrivateKeyInfo) block);
    }
  }

  private static KeyPair rsaKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  /**
   * The SEC1 (RFC 5915) "EC PRIVATE KEY" as OpenSSL writes it, curve included; JcaPEMWriter would
   * leave the curve out, since the JDK's PKCS#8 encoding carries it only outside the SEC1 part.
   */
  private static PemObject sec1(KeyPair keys) throws IOException {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
    ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
    ECPrivateKey withCurve =
        new ECPrivateKey(
            256,
            inner.getKey(),
            SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData(),
            info.getPrivateKeyAlgorithm().getParameters());
    return new PemObject("EC PRIVATE KEY", withCurve.getEncoded());
  }

  private static void writePem(Path file, Object... objects) throws IOException {
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
        JcaPEMWriter pem = new JcaPEMWriter(out)) {
      for (Object object : objects) {
        if (object instanceof PemObjectGenerator generator) {
          pem.writeObject(generator);
        } else {
          pem.writeObject(object);
        }
      }
    }
  }
}
