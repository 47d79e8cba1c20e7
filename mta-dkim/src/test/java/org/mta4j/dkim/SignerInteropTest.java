package org.mta4j.dkim;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.testing.Peers;

/**
 * Every message of the {@link Corpus}, signed by mta4j with each algorithm and each
 * canonicalization pair, verifies in dkimpy and in OpenDKIM; the same files with one body byte
 * changed fail in both.
 */
class SignerInteropTest {

  static final String RSA_SELECTOR = "rsa2048";
  static final String ED_SELECTOR = "ed";

  // kept when a test fails, to look at the messages and the peers' logs
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path dir;

  static Path signedDir;
  static Path tamperedDir;
  static Path keysFile;
  static Path zoneFile;
  static int signedCount;

  @BeforeAll
  static void signTheCorpus() throws IOException {
    TestKeys keys = TestKeys.SHARED;
    Path rsaPem = TestKeys.writePkcs8(dir.resolve("rsa.pem"), keys.rsa());
    Path edPem = TestKeys.writePkcs8(dir.resolve("ed.pem"), keys.ed25519());
    signedDir = Files.createDirectories(dir.resolve("signed"));
    tamperedDir = Files.createDirectories(dir.resolve("tampered"));
    Map<String, Path> keyFiles = new LinkedHashMap<>();
    keyFiles.put(RSA_SELECTOR, rsaPem);
    keyFiles.put(ED_SELECTOR, edPem);
    for (Map.Entry<String, Path> key : keyFiles.entrySet()) {
      for (Canonicalization header : Canonicalization.values()) {
        for (Canonicalization body : Canonicalization.values()) {
          DkimSigner signer =
              DkimSigner.builder()
                  .key(Corpus.DOMAIN, key.getKey(), key.getValue())
                  .headerCanonicalization(header)
                  .bodyCanonicalization(body)
                  .signedHeaders(Corpus.SIGNED_HEADERS)
                  .build();
          for (Map.Entry<String, byte[]> message : Corpus.messages().entrySet()) {
            byte[] signed = signed(signer, message.getValue());
            String name =
                key.getKey() + "-" + header.tag() + "-" + body.tag() + "-" + message.getKey();
            Files.write(signedDir.resolve(name + ".eml"), signed);
            Files.write(tamperedDir.resolve(name + ".eml"), changeOneBodyByte(signed));
            signedCount++;
          }
        }
      }
    }
    keysFile =
        Files.writeString(
            dir.resolve("keys.txt"),
            RSA_SELECTOR
                + "._domainkey."
                + Corpus.DOMAIN
                + " "
                + DkimKeys.dnsRecord(keys.rsa().getPublic())
                + "\n"
                + ED_SELECTOR
                + "._domainkey."
                + Corpus.DOMAIN
                + " "
                + DkimKeys.dnsRecord(keys.ed25519().getPublic())
                + "\n");
    zoneFile =
        Files.writeString(dir.resolve("zone.txt"), zone(Corpus.DOMAIN, keys.rsa(), keys.ed25519()));
  }

  @Test
  void dkimpyVerifiesEverySignatureMta4jMakes() {
    List<String> results = dkimpyVerify(signedDir);
    assertThat(results).hasSize(signedCount);
    assertThat(results).allSatisfy(line -> assertThat(line).contains(" 0 pass "));
  }

  @Test
  void dkimpyFailsEverySignatureAfterOneBodyByteChanged() {
    List<String> results = dkimpyVerify(tamperedDir);
    assertThat(results).hasSize(signedCount);
    assertThat(results).allSatisfy(line -> assertThat(line).contains(" 0 fail "));
  }

  @Test
  void openDkimVerifiesEveryRsaSignatureMta4jMakes() {
    Map<String, String> results = openDkimVerify(signedDir);
    assertThat(results).hasSize(signedCount);
    assertThat(results).allSatisfy((name, line) -> assertThat(line).as(name).startsWith("0"));
  }

  @Test
  void openDkimFailsEverySignatureAfterOneBodyByteChanged() {
    Map<String, String> results = openDkimVerify(tamperedDir);
    assertThat(results).hasSize(signedCount);
    assertThat(only(results, ED_SELECTOR)).hasSize(signedCount / 2);
    assertThat(results)
        .allSatisfy((name, line) -> assertThat(line).as(name).contains("Bad signature"));
  }

  // -- helpers shared with the other interop tests

  static byte[] signed(DkimSigner signer, byte[] message) throws IOException {
    List<String> fields = signer.sign(new ByteArrayInputStream(message));
    assertThat(fields).hasSize(1);
    return prepend(fields, message);
  }

  static byte[] prepend(List<String> fields, byte[] message) {
    StringBuilder header = new StringBuilder();
    for (String field : fields) {
      header.append(field).append("\r\n");
    }
    byte[] top = header.toString().getBytes(UTF_8);
    byte[] all = new byte[top.length + message.length];
    System.arraycopy(top, 0, all, 0, top.length);
    System.arraycopy(message, 0, all, top.length, message.length);
    return all;
  }

  /**
   * The message with one body byte changed: the first byte that is neither whitespace nor a line
   * break (so every canonicalization sees it), or one byte added to a body that has none.
   */
  static byte[] changeOneBodyByte(byte[] message) {
    String text = new String(message, java.nio.charset.StandardCharsets.ISO_8859_1);
    int body = text.indexOf("\r\n\r\n") + 4;
    for (int i = body; i < message.length; i++) {
      byte b = message[i];
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        byte[] changed = message.clone();
        changed[i] = (byte) (b == 'X' ? 'Y' : 'X');
        return changed;
      }
    }
    byte[] longer = java.util.Arrays.copyOf(message, message.length + 1);
    longer[message.length] = 'X';
    return longer;
  }

  static String zone(String domain, KeyPair rsa, KeyPair ed25519) {
    return "$TTL 300\n@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60\n"
        + "@ NS ns.invalid.\n"
        + TestKeys.zoneTxt(
            RSA_SELECTOR + "._domainkey." + domain + ".", DkimKeys.dnsRecord(rsa.getPublic()))
        + TestKeys.zoneTxt(
            ED_SELECTOR + "._domainkey." + domain + ".", DkimKeys.dnsRecord(ed25519.getPublic()));
  }

  /** dkimpy's verdict on each signature of each message in {@code messages}, one line each. */
  static List<String> dkimpyVerify(Path messages) {
    Path python = Peers.python3With("dkim", "nacl");
    Path tool = resource("dkimpy_tool.py");
    String out =
        Peers.run(
                Duration.ofSeconds(120),
                List.of(
                    python.toString(),
                    tool.toString(),
                    "verify",
                    keysFile.toString(),
                    messages.toString()))
            .assertSuccess()
            .stdout();
    return out.lines().filter(line -> !line.isBlank()).toList();
  }

  /** OpenDKIM's verdict on each message in {@code messages}: file name → "exit status, output". */
  static Map<String, String> openDkimVerify(Path messages) {
    Peers.executable("opendkim-testmsg");
    Peers.executable("knotd");
    Peers.executable("dig");
    Peers.executable("ip"); // iproute2: brings up the namespace's loopback
    Path unshare = Peers.executable("unshare");
    Path script = resource("opendkim_verify.sh");
    Path work = dir.resolve("opendkim-" + messages.getFileName());
    Peers.ProcessResult result =
        Peers.run(
                Duration.ofSeconds(120),
                List.of(
                    unshare.toString(),
                    "--net",
                    "--mount",
                    "--fork",
                    "/bin/sh",
                    script.toString(),
                    work.toString(),
                    Corpus.DOMAIN,
                    zoneFile.toString(),
                    messages.toString()))
            .assertSuccess();
    System.err.print(result.stderr());
    String out = result.stdout();
    Map<String, String> results = new LinkedHashMap<>();
    for (String line : out.lines().filter(l -> !l.isBlank()).toList()) {
      int space = line.indexOf(' ');
      results.put(line.substring(0, space), line.substring(space + 1));
    }
    return results;
  }

  static Map<String, String> only(Map<String, String> results, String selector) {
    Map<String, String> only = new LinkedHashMap<>();
    results.forEach(
        (name, line) -> {
          if (name.startsWith(selector + "-")) {
            only.put(name, line);
          }
        });
    return only;
  }

  static Path resource(String name) {
    try (InputStream in = SignerInteropTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource " + name).isNotNull();
      Path file = dir.resolve(name);
      if (!Files.exists(file)) {
        Files.write(file, in.readAllBytes());
      }
      return file;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static List<String> lines(String text) {
    return new ArrayList<>(text.lines().toList());
  }
}
