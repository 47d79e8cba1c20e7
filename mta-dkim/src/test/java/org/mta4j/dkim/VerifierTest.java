package org.mta4j.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mta4j.dkim.DkimResult.Status;
import org.mta4j.dns.DnsAnswer;
import org.mta4j.testing.FakeClock;
import org.mta4j.testing.FakeDnsResolver;

/** RFC 6376 §6 verification rules, with keys from a {@link FakeDnsResolver}. */
class VerifierTest {

  private static final TestKeys KEYS = TestKeys.SHARED;
  private static final String RSA_NAME = "rsa2048._domainkey.example.test";
  private static final String ED_NAME = "ed._domainkey.example.test";
  private static final byte[] MESSAGE = Corpus.messages().get("folded-and-repeated-headers");

  private final FakeClock clock = FakeClock.atEpochOfTests();
  private final FakeDnsResolver dns =
      new FakeDnsResolver()
          .txt(RSA_NAME, DkimKeys.dnsRecord(KEYS.rsa().getPublic()))
          .txt(ED_NAME, DkimKeys.dnsRecord(KEYS.ed25519().getPublic()));
  private final DkimVerifier verifier = new DkimVerifier(dns, clock);

  private DkimSigner.Builder signer() {
    return DkimSigner.builder().key(Corpus.DOMAIN, "rsa2048", KEYS.rsa().getPrivate()).clock(clock);
  }

  private String signature(DkimSigner signer) throws IOException {
    return signer.sign(new ByteArrayInputStream(MESSAGE)).get(0);
  }

  private List<DkimResult> verify(String... signatureFields) throws IOException {
    return verifier.verify(
        new ByteArrayInputStream(SignerInteropTest.prepend(List.of(signatureFields), MESSAGE)));
  }

  private DkimResult only(String signatureField) throws IOException {
    List<DkimResult> results = verify(signatureField);
    assertThat(results).hasSize(1);
    return results.get(0);
  }

  @Test
  void mta4jSignaturesOfEveryCorpusMessageVerifyInMta4j() throws IOException {
    DkimSigner both =
        signer()
            .key(Corpus.DOMAIN, "ed", KEYS.ed25519().getPrivate())
            .signedHeaders(Corpus.SIGNED_HEADERS)
            .build();
    for (var message : Corpus.messages().entrySet()) {
      byte[] signed =
          SignerInteropTest.prepend(
              both.sign(new ByteArrayInputStream(message.getValue())), message.getValue());
      assertThat(verifier.verify(new ByteArrayInputStream(signed)))
          .as(message.getKey())
          .extracting(DkimResult::status, DkimResult::selector)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(Status.PASS, "rsa2048"),
              org.assertj.core.groups.Tuple.tuple(Status.PASS, "ed"));
    }
  }

  @Test
  void anUnsignedMessageHasNoResultsAndAuthenticationResultsSaysNone() throws IOException {
    List<DkimResult> results = verifier.verify(new ByteArrayInputStream(MESSAGE));
    assertThat(results).isEmpty();
    assertThat(DkimVerifier.authenticationResults("mx.example.org", results))
        .isEqualTo("Authentication-Results: mx.example.org;\r\n\tdkim=none");
    assertThat(dns.questions()).isEmpty();
  }

  @Test
  void aSignaturePastItsExpiryFailsAndPassesBefore() throws IOException {
    String field = signature(signer().signatureValidity(Duration.ofHours(1)).build());
    assertThat(field).contains("; x=" + (clock.instant().getEpochSecond() + 3600) + ";");

    clock.advance(Duration.ofMinutes(59));
    assertThat(only(field).status()).isEqualTo(Status.PASS);
    clock.advance(Duration.ofMinutes(2));
    DkimResult expired = only(field);
    assertThat(expired.status()).isEqualTo(Status.FAIL);
    assertThat(expired.reason()).startsWith("signature expired");
  }

  @Test
  void aSignatureWhoseHeaderListLacksFromIsAPermanentError() throws IOException {
    String field = signature(signer().build()).replaceFirst("h=[^;]*;", "h=subject:date;");
    DkimResult result = only(field);
    assertThat(result.status()).isEqualTo(Status.PERMERROR);
    assertThat(result.reason()).contains("h= does not include From");
    assertThat(dns.questions()).as("no key fetched").isEmpty();
  }

  @Test
  void aRevokedKeyIsAPermanentError() throws IOException {
    dns.txt(RSA_NAME, "v=DKIM1; k=rsa; p=");
    DkimResult result = only(signature(signer().build()));
    assertThat(result.status()).isEqualTo(Status.PERMERROR);
    assertThat(result.reason()).startsWith("key revoked");
  }

  @Test
  void keyRecordRestrictionsAreHonoured() throws IOException {
    String field = signature(signer().build());
    String p = DkimKeys.dnsRecord(KEYS.rsa().getPublic()).replaceFirst("^.*p=", "");

    dns.txt(RSA_NAME, "v=DKIM1; k=ed25519; p=" + p);
    assertThat(only(field))
        .extracting(DkimResult::status, DkimResult::reason)
        .containsExactly(Status.PERMERROR, "key record k=ed25519 does not fit a=rsa-sha256");
    dns.txt(RSA_NAME, "v=DKIM1; h=sha1; p=" + p);
    assertThat(only(field).reason()).isEqualTo("key record h=sha1 excludes sha256");
    dns.txt(RSA_NAME, "v=DKIM1; s=tlsrpt; p=" + p);
    assertThat(only(field).reason()).isEqualTo("key record s=tlsrpt excludes email");
    dns.txt(RSA_NAME, "k=rsa; v=DKIM1; p=" + p);
    assertThat(only(field).reason()).contains("not v=DKIM1 first");
    dns.txt(RSA_NAME, "v=DKIM1; h=sha1:sha256; s=email; t=y; p=" + p);
    assertThat(only(field).status()).isEqualTo(Status.PASS);
  }

  @Test
  void strictKeysRefuseASubdomainIdentity() throws IOException {
    String p = DkimKeys.dnsRecord(KEYS.rsa().getPublic()).replaceFirst("^.*p=", "");
    dns.txt(RSA_NAME, "v=DKIM1; t=s; p=" + p);
    String field =
        signature(signer().build()).replace("; s=rsa2048;", "; i=@sub.example.test; s=rsa2048;");
    DkimResult result = only(field);
    assertThat(result.status()).isEqualTo(Status.PERMERROR);
    assertThat(result.reason()).contains("t=s");
  }

  @Test
  void anIdentityOutsideTheSigningDomainIsAPermanentError() throws IOException {
    String field =
        signature(signer().build()).replace("; s=rsa2048;", "; i=@elsewhere.test; s=rsa2048;");
    DkimResult result = only(field);
    assertThat(result.status()).isEqualTo(Status.PERMERROR);
    assertThat(result.reason()).contains("is not in d=");
  }

  @Test
  void dnsTroubleIsTemporaryAndAMissingKeyPermanent() throws IOException {
    String field = signature(signer().build());
    dns.txt(RSA_NAME, new DnsAnswer.Failure<>("SERVFAIL"));
    assertThat(only(field))
        .extracting(DkimResult::status, DkimResult::reason)
        .containsExactly(Status.TEMPERROR, "key lookup of " + RSA_NAME + " failed: SERVFAIL");
    dns.txt(RSA_NAME, new DnsAnswer.NoSuchDomain<>());
    assertThat(only(field).status()).isEqualTo(Status.PERMERROR);
    dns.txt(RSA_NAME, "not a key record");
    assertThat(only(field).status()).isEqualTo(Status.PERMERROR);
  }

  @Test
  void rsaSha1AndBrokenSignaturesAreNeutral() throws IOException {
    String field = signature(signer().build());
    assertThat(only(field.replace("a=rsa-sha256", "a=rsa-sha1")))
        .extracting(DkimResult::status, DkimResult::reason)
        .containsExactly(Status.NEUTRAL, "rsa-sha1 signatures are not accepted (RFC 8301 §3.1)");
    assertThat(only(field.replace("v=1;", "v=2;")).status()).isEqualTo(Status.NEUTRAL);
    assertThat(only(field.replaceFirst("bh=[^;]*;", "")).reason())
        .isEqualTo("signature lacks the required tag bh=");
    assertThat(only(field.replace("c=relaxed/relaxed", "c=nowsp")).status())
        .isEqualTo(Status.NEUTRAL);
    DkimResult garbage = only("DKIM-Signature: v=1; d=example.test; s=x; nonsense");
    assertThat(garbage.status()).isEqualTo(Status.NEUTRAL);
    assertThat(garbage.reason()).startsWith("signature syntax");
  }

  @Test
  void aFromAddedAfterSigningFailsBecauseFromIsOverSigned() throws IOException {
    String field = signature(signer().build());
    assertThat(field).contains("h=from:from:");
    byte[] forged = SignerInteropTest.prepend(List.of(field, "From: attacker@evil.test"), MESSAGE);
    DkimResult result = verifier.verify(new ByteArrayInputStream(forged)).get(0);
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.reason()).isEqualTo("signature did not verify");
  }

  @Test
  void eachSignatureOfAMessageGetsItsOwnResultInOrder() throws IOException {
    dns.txt(ED_NAME, new DnsAnswer.NoSuchDomain<>());
    List<String> fields =
        signer()
            .key(Corpus.DOMAIN, "ed", KEYS.ed25519().getPrivate())
            .build()
            .sign(new ByteArrayInputStream(MESSAGE));
    String broken = "DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=x";
    List<DkimResult> results = verify(fields.get(0), broken, fields.get(1));
    assertThat(results)
        .extracting(DkimResult::status, DkimResult::selector)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Status.PASS, "rsa2048"),
            org.assertj.core.groups.Tuple.tuple(Status.NEUTRAL, "x"),
            org.assertj.core.groups.Tuple.tuple(Status.PERMERROR, "ed"));
    assertThat(DkimVerifier.authenticationResults("mx.example.org", results))
        .startsWith(
            "Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=example.test header.s=rsa2048 header.a=rsa-sha256 header.b=")
        .contains(
            ";\r\n\tdkim=neutral reason=\"signature lacks the required tag b=\" header.d=example.test header.s=x header.a=rsa-sha256")
        .contains(
            ";\r\n\tdkim=permerror reason=\"no key record at ed._domainkey.example.test (NXDOMAIN)\" header.d=example.test header.s=ed");
  }

  @Test
  void authservIdMustBeAToken() {
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> verifier.authenticationResultsStep("mx example;org"))
        .withMessageContaining("authservId");
  }
}
