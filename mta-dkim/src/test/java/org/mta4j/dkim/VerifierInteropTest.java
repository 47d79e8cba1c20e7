package org.mta4j.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.testing.FakeDnsResolver;
import org.mta4j.testing.Peers;

/**
 * Signatures made by others verify in mta4j: the {@link Corpus} signed by dkimpy with both
 * algorithms in every canonicalization, and RFC 8463's example (appendix A.3), signed with Ed25519
 * and RSA.
 */
class VerifierInteropTest {

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path dir;

  static Path signedDir;
  static FakeDnsResolver dns;
  static final Clock NOW = Clock.fixed(Instant.parse("2026-12-07T02:00:00Z"), ZoneOffset.UTC);

  @BeforeAll
  static void dkimpySignsTheCorpus() throws IOException {
    TestKeys keys = TestKeys.SHARED;
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    for (Map.Entry<String, byte[]> message : Corpus.messages().entrySet()) {
      Files.write(corpus.resolve(message.getKey() + ".eml"), message.getValue());
    }
    Path rsaKey = TestKeys.writePkcs1(dir.resolve("rsa.pem"), keys.rsa());
    Path edKey = TestKeys.writeEd25519Seed(dir.resolve("ed.seed"), keys.ed25519());
    signedDir = Files.createDirectories(dir.resolve("signed"));
    Path python = Peers.python3With("dkim", "nacl");
    Path tool = resourceFile("dkimpy_tool.py");
    for (String algorithm : List.of("rsa-sha256", "ed25519-sha256")) {
      for (Canonicalization header : Canonicalization.values()) {
        for (Canonicalization body : Canonicalization.values()) {
          String config = algorithm + "-" + header.tag() + "-" + body.tag();
          Path out = Files.createDirectories(signedDir.resolve(config));
          boolean rsa = algorithm.startsWith("rsa");
          Peers.run(
                  Duration.ofSeconds(60),
                  List.of(
                      python.toString(),
                      tool.toString(),
                      "sign",
                      corpus.toString(),
                      out.toString(),
                      rsa ? "rsa2048" : "ed",
                      Corpus.DOMAIN,
                      (rsa ? rsaKey : edKey).toString(),
                      algorithm,
                      header.tag(),
                      body.tag()))
              .assertSuccess();
        }
      }
    }
    dns =
        new FakeDnsResolver()
            .txt("rsa2048._domainkey." + Corpus.DOMAIN, DkimKeys.dnsRecord(keys.rsa().getPublic()))
            .txt("ed._domainkey." + Corpus.DOMAIN, DkimKeys.dnsRecord(keys.ed25519().getPublic()));
  }

  @Test
  void everyMessageDkimpySignedVerifiesInMta4j() throws IOException {
    DkimVerifier verifier = new DkimVerifier(dns, NOW);
    List<Path> files = signedFiles();
    assertThat(files).hasSize(8 * Corpus.messages().size());
    for (Path file : files) {
      byte[] message = Files.readAllBytes(file);
      List<DkimResult> results = verifier.verify(new ByteArrayInputStream(message));
      assertThat(results)
          .as(file.toString())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.status()).as(r.reason()).isEqualTo(DkimResult.Status.PASS);
                assertThat(r.domain()).isEqualTo(Corpus.DOMAIN);
                assertThat(r.algorithm())
                    .isEqualTo(
                        file.getParent().getFileName().toString().startsWith("rsa")
                            ? "rsa-sha256"
                            : "ed25519-sha256");
              });
    }
  }

  @Test
  void everyMessageDkimpySignedFailsInMta4jAfterOneBodyByteChanged() throws IOException {
    DkimVerifier verifier = new DkimVerifier(dns, NOW);
    for (Path file : signedFiles()) {
      byte[] changed = SignerInteropTest.changeOneBodyByte(Files.readAllBytes(file));
      assertThat(verifier.verify(new ByteArrayInputStream(changed)))
          .as(file.toString())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.status()).isEqualTo(DkimResult.Status.FAIL);
                assertThat(r.reason()).isEqualTo("body hash mismatch");
              });
    }
  }

  @Test
  void rfc8463ExampleVerifiesWithBothItsSignatures() throws IOException {
    FakeDnsResolver rfcDns = new FakeDnsResolver();
    for (String line : resource("rfc8463-keys.txt").strip().split("\n")) {
      String[] parts = line.split(" ", 2);
      rfcDns.txt(parts[0], parts[1]);
    }
    byte[] message = resource("rfc8463-A3.eml").getBytes(StandardCharsets.US_ASCII);

    List<DkimResult> results =
        new DkimVerifier(rfcDns, NOW).verify(new ByteArrayInputStream(message));

    assertThat(results)
        .extracting(DkimResult::status, DkimResult::selector, DkimResult::algorithm)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                DkimResult.Status.PASS, "brisbane", "ed25519-sha256"),
            org.assertj.core.groups.Tuple.tuple(DkimResult.Status.PASS, "test", "rsa-sha256"));
    assertThat(results).allSatisfy(r -> assertThat(r.domain()).isEqualTo("football.example.com"));
    assertThat(rfcDns.questions())
        .containsExactly(
            "TXT brisbane._domainkey.football.example.com",
            "TXT test._domainkey.football.example.com");
  }

  @Test
  void rfc8463ExampleWithItsSubjectChangedFailsBothSignatures() throws IOException {
    FakeDnsResolver rfcDns = new FakeDnsResolver();
    for (String line : resource("rfc8463-keys.txt").strip().split("\n")) {
      String[] parts = line.split(" ", 2);
      rfcDns.txt(parts[0], parts[1]);
    }
    byte[] message =
        resource("rfc8463-A3.eml")
            .replace("Subject: Is dinner ready?", "Subject: Is dinner ready!")
            .getBytes(StandardCharsets.US_ASCII);

    assertThat(new DkimVerifier(rfcDns, NOW).verify(new ByteArrayInputStream(message)))
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.status()).isEqualTo(DkimResult.Status.FAIL);
              assertThat(r.reason()).isEqualTo("signature did not verify");
            });
  }

  private static List<Path> signedFiles() throws IOException {
    try (Stream<Path> files = Files.walk(signedDir)) {
      return files.filter(f -> f.toString().endsWith(".eml")).sorted().toList();
    }
  }

  static String resource(String name) {
    try (InputStream in = VerifierInteropTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource " + name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Path resourceFile(String name) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, resource(name));
    return file;
  }
}
