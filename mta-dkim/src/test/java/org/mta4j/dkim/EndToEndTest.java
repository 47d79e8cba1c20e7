package org.mta4j.dkim;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.client.TlsPolicy;
import org.mta4j.routing.Route;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.FakeDnsResolver;
import org.mta4j.testing.Peers;

/**
 * Signing and verification inside a running pipeline: a message submitted through {@code
 * Mta.submit} with signing on reaches a real SMTP server (aiosmtpd) and verifies there with dkimpy;
 * a receiving MTA with the verifier as a policy writes {@code Authentication-Results}.
 */
class EndToEndTest {

  private static final Duration AWAIT = Duration.ofSeconds(30);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable closeable : closeables.reversed()) {
      closeable.close();
    }
  }

  @Test
  void submittedMailIsSignedWithBothKeysAndVerifiesWithDkimpyAtTheServerItReaches()
      throws IOException {
    TestKeys keys = TestKeys.SHARED;
    DkimSigner signer =
        DkimSigner.builder()
            .key(Corpus.DOMAIN, SignerInteropTest.RSA_SELECTOR, keys.rsa().getPrivate())
            .key(
                Corpus.DOMAIN,
                SignerInteropTest.ED_SELECTOR,
                TestKeys.writePkcs8(dir.resolve("ed.pem"), keys.ed25519()))
            .build();
    AiosmtpdServer server = AiosmtpdServer.builder().start();
    closeables.add(server);
    Mta mta =
        Mta.builder()
            .hostname("relay.example.test")
            .smarthost(Route.Smtp.relay("127.0.0.1", server.port()).withTls(TlsPolicy.NONE))
            .contentStep(signer)
            .build();
    closeables.add(mta);
    byte[] message =
        Corpus.crlf(
            """
            From: Sender <sender@example.test>
            To: friend@elsewhere.test
            Subject: signed on the way out

            Hello from mta4j.
            """);

    mta.submit("sender@example.test", List.of("friend@elsewhere.test"), message);
    mta.deliverDue(Clock.systemUTC().instant());

    byte[] got = server.awaitMessages(1, AWAIT).get(0).content();
    String text = new String(got, UTF_8);
    assertThat(text).startsWith("DKIM-Signature: v=1; a=rsa-sha256;");
    assertThat(text).contains("\r\nDKIM-Signature: v=1; a=ed25519-sha256;");
    Path received = Files.createDirectories(dir.resolve("received"));
    Files.write(received.resolve("delivered.eml"), got);
    Path keysFile =
        Files.writeString(
            dir.resolve("keys.txt"),
            "rsa2048._domainkey.example.test "
                + DkimKeys.dnsRecord(keys.rsa().getPublic())
                + "\ned._domainkey.example.test "
                + DkimKeys.dnsRecord(keys.ed25519().getPublic())
                + "\n");
    Path tool = dir.resolve("dkimpy_tool.py");
    Files.writeString(tool, VerifierInteropTest.resource("dkimpy_tool.py"));
    String out =
        Peers.run(
                Duration.ofSeconds(60),
                List.of(
                    Peers.python3With("dkim", "nacl").toString(),
                    tool.toString(),
                    "verify",
                    keysFile.toString(),
                    received.toString()))
            .assertSuccess()
            .stdout();
    assertThat(out.lines().toList())
        .containsExactly(
            "delivered.eml 0 pass signature-or-body-hash-mismatch",
            "delivered.eml 1 pass signature-or-body-hash-mismatch");
  }

  @Test
  void aReceivingMtaWithTheVerifierAsPolicyAddsAuthenticationResults() throws IOException {
    TestKeys keys = TestKeys.SHARED;
    DkimSigner signer =
        DkimSigner.builder().key(Corpus.DOMAIN, "ed", keys.ed25519().getPrivate()).build();
    byte[] message = Corpus.messages().get("multipart");
    byte[] signed = SignerInteropTest.signed(signer, message);
    FakeDnsResolver dns =
        new FakeDnsResolver()
            .txt("ed._domainkey.example.test", DkimKeys.dnsRecord(keys.ed25519().getPublic()));
    DkimVerifier verifier = new DkimVerifier(dns, Clock.systemUTC());
    List<byte[]> delivered = new ArrayList<>();
    Mta mta = receivingMta(verifier, delivered);

    mta.submit("sender@example.test", List.of("receiver@example.org"), signed);
    mta.submit("sender@example.test", List.of("receiver@example.org"), message);
    mta.deliverDue(Clock.systemUTC().instant());

    assertThat(delivered).hasSize(2);
    List<String> texts = delivered.stream().map(b -> new String(b, UTF_8)).toList();
    String signedText = new String(signed, UTF_8);
    int b = signedText.indexOf("b=", signedText.indexOf("bh=") + 3) + 2;
    String header = "header.b=\"" + signedText.substring(b, b + 8) + "\"";
    assertThat(texts)
        .anySatisfy(
            t ->
                assertThat(t)
                    .startsWith(
                        "Authentication-Results: mx.example.org;\r\n\tdkim=pass"
                            + " header.d=example.test header.s=ed header.a=ed25519-sha256 "
                            + (header.contains("/") ? header : header.replace("\"", ""))
                            + "\r\n"))
        .anySatisfy(
            t ->
                assertThat(t)
                    .startsWith("Authentication-Results: mx.example.org;\r\n\tdkim=none\r\n"));
  }

  @Test
  void anAuthenticationResultsFieldThatClaimsOurAuthservIdIsRemovedAndOthersStay()
      throws IOException {
    DkimVerifier verifier = new DkimVerifier(new FakeDnsResolver(), Clock.systemUTC());
    List<byte[]> delivered = new ArrayList<>();
    Mta mta = receivingMta(verifier, delivered);
    String forged =
        "From: sender@example.test\r\n"
            + "Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=bank.example\r\n"
            + "Authentication-Results: (forged) \"MX.Example.Org\"; spf=pass\r\n"
            + "Authentication-Results: relay.example.net; dkim=pass header.d=example.test\r\n"
            + "Subject: please pay\r\n\r\nbody\r\n";

    mta.submit("sender@example.test", List.of("receiver@example.org"), forged.getBytes(UTF_8));
    mta.deliverDue(Clock.systemUTC().instant());

    String text = new String(delivered.getFirst(), UTF_8);
    assertThat(text)
        .startsWith("Authentication-Results: mx.example.org;\r\n\tdkim=none\r\n")
        .contains("Authentication-Results: relay.example.net; dkim=pass header.d=example.test\r\n")
        .doesNotContain("bank.example")
        .doesNotContain("forged");
    assertThat(text.split("Authentication-Results: mx.example.org", -1)).hasSize(2);
  }

  @Test
  void theAuthservIdIsReadPastCommentsAndQuotes() {
    assertThat(DkimVerifier.authservIdOf("mx.example.org; dkim=pass")).isEqualTo("mx.example.org");
    assertThat(DkimVerifier.authservIdOf(" (a (nested) comment)\r\n\tmx.example.org 1; none"))
        .isEqualTo("mx.example.org");
    assertThat(DkimVerifier.authservIdOf("\"mx.ex\\ample.org\"; none")).isEqualTo("mx.example.org");
    assertThat(DkimVerifier.authservIdOf("mx.example.org(comment); none"))
        .isEqualTo("mx.example.org");
    assertThat(DkimVerifier.authservIdOf("  ")).isEmpty();
  }

  /** mx.example.org with the verifier step, delivering locally into {@code delivered}. */
  private Mta receivingMta(DkimVerifier verifier, List<byte[]> delivered) {
    Mta mta =
        Mta.builder()
            .hostname("mx.example.org")
            .localDomains("example.org")
            .localDelivery(
                delivery -> {
                  try (InputStream in = delivery.openContent()) {
                    synchronized (delivered) {
                      delivered.add(in.readAllBytes());
                    }
                  }
                })
            .contentStep(verifier.authenticationResultsStep("mx.example.org"))
            .build();
    closeables.add(mta);
    return mta;
  }
}
