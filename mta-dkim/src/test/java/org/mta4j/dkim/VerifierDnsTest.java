package org.mta4j.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.dns.DnsjavaResolver;
import org.mta4j.testing.KnotServer;

/**
 * Keys from a real DNS server on loopback (Knot) through the default resolver: an RSA-2048 record
 * is longer than one TXT character-string (255 bytes) and must be joined, a revoked key and a
 * missing record are told apart.
 */
class VerifierDnsTest {

  @TempDir Path dir;

  @Test
  void keysPublishedInARealZoneVerifyAndRevokedOrMissingOnesDoNot() throws IOException {
    TestKeys keys = TestKeys.SHARED;
    String zone =
        KnotServer.zone(
            TestKeys.zoneTxt("rsa2048._domainkey", DkimKeys.dnsRecord(keys.rsa().getPublic()))
                + TestKeys.zoneTxt("ed._domainkey", DkimKeys.dnsRecord(keys.ed25519().getPublic()))
                + "revoked._domainkey TXT \"v=DKIM1; k=ed25519; p=\"\n");
    assertThat(DkimKeys.dnsRecord(keys.rsa().getPublic())).hasSizeGreaterThan(255);
    byte[] message = Corpus.messages().get("multipart");
    List<String> fields =
        DkimSigner.builder()
            .key(Corpus.DOMAIN, "rsa2048", keys.rsa().getPrivate())
            .key(Corpus.DOMAIN, "ed", keys.ed25519().getPrivate())
            .key(Corpus.DOMAIN, "revoked", keys.ed25519().getPrivate())
            .key(Corpus.DOMAIN, "missing", keys.ed25519().getPrivate())
            .build()
            .sign(new ByteArrayInputStream(message));

    try (KnotServer knot = KnotServer.start(dir, Map.of(Corpus.DOMAIN, zone))) {
      DnsjavaResolver dns =
          DnsjavaResolver.builder().servers(knot.address()).timeout(Duration.ofSeconds(5)).build();
      List<DkimResult> results =
          new DkimVerifier(dns, Clock.systemUTC())
              .verify(new ByteArrayInputStream(SignerInteropTest.prepend(fields, message)));

      assertThat(results)
          .extracting(DkimResult::selector, DkimResult::status)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("rsa2048", DkimResult.Status.PASS),
              org.assertj.core.groups.Tuple.tuple("ed", DkimResult.Status.PASS),
              org.assertj.core.groups.Tuple.tuple("revoked", DkimResult.Status.PERMERROR),
              org.assertj.core.groups.Tuple.tuple("missing", DkimResult.Status.PERMERROR));
      assertThat(results.get(2).reason()).startsWith("key revoked");
      assertThat(results.get(3).reason()).startsWith("no key record at missing._domainkey");
    }
  }
}
