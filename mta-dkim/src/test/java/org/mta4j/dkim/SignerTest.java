package org.mta4j.dkim;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.intake.IntakeMessage;
import org.mta4j.smtp.MailParameters;
import org.mta4j.testing.FakeClock;
import org.mta4j.testing.FakeDnsResolver;

/** What {@link DkimSigner} signs, and how its builder refuses bad configuration. */
class SignerTest {

  private static final TestKeys KEYS = TestKeys.SHARED;

  @TempDir Path dir;

  private final FakeClock clock = FakeClock.atEpochOfTests();

  @Test
  void readsPkcs1AndPkcs8RsaKeysAndPkcs8Ed25519Keys() throws IOException {
    DkimSigner signer =
        DkimSigner.builder()
            .key("example.test", "pkcs1", TestKeys.writePkcs1(dir.resolve("a.pem"), KEYS.rsa()))
            .key("example.test", "pkcs8", TestKeys.writePkcs8(dir.resolve("b.pem"), KEYS.rsa()))
            .key("example.test", "ed", TestKeys.writePkcs8(dir.resolve("c.pem"), KEYS.ed25519()))
            .build();
    assertThat(signer.toString())
        .isEqualTo(
            "DkimSigner[d=example.test s=pkcs1 a=rsa-sha256, d=example.test s=pkcs8 a=rsa-sha256,"
                + " d=example.test s=ed a=ed25519-sha256] c=relaxed/relaxed");
    assertThat(signer.sign(new ByteArrayInputStream(Corpus.messages().get("plain-ascii"))))
        .hasSize(3);
    assertThat(DkimKeys.readPrivateKey(dir.resolve("a.pem")).getEncoded())
        .isEqualTo(KEYS.rsa().getPrivate().getEncoded());
  }

  @Test
  void theSignatureHasTheFromDomainAClockTimestampNoLengthAndOverSignsFrom() throws IOException {
    DkimSigner signer =
        DkimSigner.builder()
            .key("Example.TEST", "s1", KEYS.ed25519().getPrivate())
            .clock(clock)
            .build();
    String field =
        signer
            .sign(new ByteArrayInputStream(Corpus.messages().get("folded-and-repeated-headers")))
            .get(0);
    assertThat(field)
        .startsWith(
            "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n\td=example.test; s=s1; t="
                + clock.instant().getEpochSecond()
                + ";\r\n\th=from:from:subject:date:message-id:to:cc;\r\n\tbh=")
        .doesNotContain("l=")
        .doesNotContain("x=");
    assertThat(field.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(78));
    String repeated =
        DkimSigner.builder()
            .key("example.test", "s1", KEYS.ed25519().getPrivate())
            .signedHeaders(Corpus.SIGNED_HEADERS)
            .build()
            .sign(new ByteArrayInputStream(Corpus.messages().get("folded-and-repeated-headers")))
            .get(0);
    assertThat(repeated).contains(":cc:comments:comments:keywords;");
  }

  @Test
  void mailFromADomainWithoutAKeyOrWithoutASingleFromPassesUnsigned() throws IOException {
    DkimSigner signer =
        DkimSigner.builder().key("example.test", "s1", KEYS.rsa().getPrivate()).build();
    assertThat(signer.signs("EXAMPLE.test")).isTrue();
    assertThat(sign(signer, "From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n")).isEmpty();
    assertThat(sign(signer, "Subject: no from\r\n\r\nbody\r\n")).isEmpty();
    assertThat(sign(signer, "From: a@example.test\r\nFrom: b@example.test\r\n\r\nbody\r\n"))
        .isEmpty();
    assertThat(sign(signer, "From: \"Some, One\" <a@EXAMPLE.test>\r\n\r\nbody\r\n")).hasSize(1);
    assertThat(sign(signer, "from: a@sub.example.test\r\n\r\nbody\r\n"))
        .as("exact domain only")
        .isEmpty();
  }

  @Test
  void asAContentStepItReadsTheContentOnceAndClosesIt() throws IOException {
    DkimSigner signer =
        DkimSigner.builder().key("example.test", "s1", KEYS.rsa().getPrivate()).build();
    byte[] message = Corpus.messages().get("long-lines");
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    IntakeMessage intake =
        new IntakeMessage(
            "Q1",
            "a@example.test",
            List.of(),
            MailParameters.NONE,
            () -> {
              opened.incrementAndGet();
              return new ByteArrayInputStream(message) {
                @Override
                public void close() throws IOException {
                  closed.incrementAndGet();
                  super.close();
                }
              };
            });
    assertThat(signer.headersToPrepend(intake)).hasSize(1);
    assertThat(opened).hasValue(1);
    assertThat(closed).hasValue(1);
  }

  @Test
  void aMissingKeyFileFailsAtBuildNamingTheFile() {
    Path missing = dir.resolve("nowhere.pem");
    assertThatIllegalStateException()
        .isThrownBy(() -> DkimSigner.builder().key("example.test", "s1", missing).build())
        .withMessageContaining("d=example.test s=s1")
        .withMessageContaining(missing.toString())
        .withMessageContaining("does not exist");
  }

  @Test
  void aKeyOfAnotherTypeOrTooShortOrNotAKeyFailsAtBuild() throws Exception {
    Path ec = dir.resolve("ec.pem");
    Files.writeString(ec, DkimKeys.toPem(generate("EC", 256).getPrivate()));
    assertThatIllegalStateException()
        .isThrownBy(() -> DkimSigner.builder().key("example.test", "s1", ec).build())
        .withMessageContaining(ec.toString())
        .withMessageContaining("EC key");
    Path small = dir.resolve("small.pem");
    Files.writeString(small, DkimKeys.toPem(generate("RSA", 768).getPrivate()));
    assertThatIllegalStateException()
        .isThrownBy(() -> DkimSigner.builder().key("example.test", "s1", small).build())
        .withMessageContaining("768 bits")
        .withMessageContaining("1024");
    Path text = Files.writeString(dir.resolve("text.pem"), "hello\n");
    assertThatIllegalStateException()
        .isThrownBy(() -> DkimSigner.builder().key("example.test", "s1", text).build())
        .withMessageContaining(text.toString());
  }

  @Test
  void builderSettersNameTheBadValue() {
    DkimSigner.Builder b = DkimSigner.builder();
    assertThatIllegalArgumentException()
        .isThrownBy(() -> b.key("not a domain", "s1", KEYS.rsa().getPrivate()))
        .withMessageContaining("domain");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> b.signedHeaders(List.of("To", "Subject")))
        .withMessageContaining("must include From");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> b.signatureValidity(Duration.ZERO))
        .withMessageContaining("signatureValidity");
    assertThatIllegalStateException()
        .isThrownBy(() -> DkimSigner.builder().build())
        .withMessageContaining("at least one key");
    b.key("example.test", "s1", KEYS.rsa().getPrivate());
    assertThatIllegalArgumentException()
        .isThrownBy(() -> b.key("EXAMPLE.test", "s1", KEYS.ed25519().getPrivate()))
        .withMessageContaining("s1._domainkey.example.test given twice");
    assertThatIllegalStateException()
        .isThrownBy(() -> b.overSignedHeaders(List.of("X-Not-Signed")).build())
        .withMessageContaining("X-Not-Signed");
  }

  @Test
  void theOptionalPublishedKeyCheckRefusesAKeyTheRecordDoesNotPublish() {
    FakeDnsResolver dns =
        new FakeDnsResolver()
            .txt("s1._domainkey.example.test", DkimKeys.dnsRecord(KEYS.rsa().getPublic()))
            .txt(
                "s2._domainkey.example.test",
                "v=spf1 -all",
                DkimKeys.dnsRecord(KEYS.rsa().getPublic()));
    DkimSigner.builder()
        .key("example.test", "s1", KEYS.rsa().getPrivate())
        .checkPublishedKeys(dns)
        .build();
    assertThatIllegalStateException()
        .isThrownBy(
            () ->
                DkimSigner.builder()
                    .key("example.test", "s2", KEYS.ed25519().getPrivate())
                    .checkPublishedKeys(dns)
                    .build())
        .withMessageContaining("s2._domainkey.example.test does not publish")
        .withMessageContaining(DkimKeys.dnsRecord(KEYS.ed25519().getPublic()));
    assertThatIllegalStateException()
        .isThrownBy(
            () ->
                DkimSigner.builder()
                    .key("example.test", "s3", KEYS.ed25519().getPrivate())
                    .checkPublishedKeys(dns)
                    .build())
        .withMessageContaining("no DKIM record at s3._domainkey.example.test");
  }

  @Test
  void dnsRecordsAndGeneratedKeys() {
    assertThat(DkimKeys.dnsRecord(DkimKeys.generateEd25519().getPublic()))
        .matches("v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=");
    assertThat(DkimKeys.dnsRecord(KEYS.rsa().getPublic()))
        .startsWith("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA");
    assertThat(DkimKeys.publicKey(KEYS.ed25519().getPrivate()))
        .isEqualTo(KEYS.ed25519().getPublic());
    assertThat(DkimKeys.publicKey(KEYS.rsa().getPrivate())).isEqualTo(KEYS.rsa().getPublic());
    assertThatIllegalArgumentException()
        .isThrownBy(() -> DkimKeys.generateRsa(512))
        .withMessageContaining("512");
  }

  @Test
  void rfc8463KeysSignAMessageThatVerifies() throws Exception {
    // the RFC's Ed25519 key is a raw seed; the RSA one PKCS#1 PEM
    byte[] seed =
        java.util.Base64.getDecoder()
            .decode(VerifierInteropTest.resource("rfc8463-brisbane-ed25519.key").strip());
    Path rsa = dir.resolve("test.pem");
    Files.writeString(rsa, VerifierInteropTest.resource("rfc8463-test-rsa.private"));
    DkimSigner signer =
        DkimSigner.builder()
            .key("football.example.com", "brisbane", ed25519FromSeed(seed))
            .key("football.example.com", "test", rsa)
            .build();
    byte[] message = VerifierInteropTest.resource("rfc8463-unsigned.eml").getBytes(UTF_8);
    byte[] signed =
        SignerInteropTest.prepend(signer.sign(new ByteArrayInputStream(message)), message);
    FakeDnsResolver dns = new FakeDnsResolver();
    for (String line : VerifierInteropTest.resource("rfc8463-keys.txt").strip().split("\n")) {
      String[] parts = line.split(" ", 2);
      dns.txt(parts[0], parts[1]);
    }
    assertThat(new DkimVerifier(dns, clock).verify(new ByteArrayInputStream(signed)))
        .extracting(DkimResult::status)
        .containsExactly(DkimResult.Status.PASS, DkimResult.Status.PASS);
  }

  private static java.security.PrivateKey ed25519FromSeed(byte[] seed) throws Exception {
    byte[] pkcs8 =
        new org.bouncycastle.asn1.pkcs.PrivateKeyInfo(
                new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                    org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519),
                new org.bouncycastle.asn1.DEROctetString(seed))
            .getEncoded();
    return java.security.KeyFactory.getInstance("Ed25519")
        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8));
  }

  private static List<String> sign(DkimSigner signer, String message) throws IOException {
    try (InputStream in = new ByteArrayInputStream(message.getBytes(UTF_8))) {
      return signer.sign(in);
    }
  }

  private static java.security.KeyPair generate(String algorithm, int bits)
      throws NoSuchAlgorithmException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
    generator.initialize(bits);
    return generator.generateKeyPair();
  }
}
