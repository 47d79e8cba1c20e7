package org.mta4j.bench.dkim;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mta4j.dkim.DkimKeys;
import org.mta4j.dkim.DkimSigner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Signatures per second for a 10 KB message: mta4j's {@link DkimSigner} (parse the header, find the
 * From domain's key, canonicalize and hash the body, canonicalize the signed fields, sign, format
 * the field) against the raw JCA signature of the same key over the same 10 KB ({@code
 * SHA256withRSA} / {@code Ed25519} over the message bytes). One thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DkimSignBench {

  /** The message size, headers included. */
  static final int SIZE = 10 * 1024;

  @Param({"rsa-2048", "ed25519"})
  public String key;

  private byte[] message;
  private KeyPair pair;
  private DkimSigner signer;
  private String jcaAlgorithm;

  @Setup
  public void setUp() {
    pair = key.equals("ed25519") ? DkimKeys.generateEd25519() : DkimKeys.generateRsa(2048);
    jcaAlgorithm = key.equals("ed25519") ? "Ed25519" : "SHA256withRSA";
    signer = DkimSigner.builder().key("example.com", "s1", pair.getPrivate()).build();
    message = message(SIZE);
  }

  /** A plain-text message of exactly {@code size} bytes with the usual header fields. */
  static byte[] message(int size) {
    StringBuilder text =
        new StringBuilder(
            "From: Sender Name <sender@example.com>\r\n"
                + "To: Receiver <receiver@example.org>\r\n"
                + "Subject: A ten kilobyte message for the DKIM benchmark\r\n"
                + "Date: Mon, 07 Dec 2026 01:00:00 +0000\r\n"
                + "Message-ID: <bench-0001@example.com>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "\r\n");
    String line = "The quick brown fox jumps over the lazy dog, then  rests a while.  \r\n";
    while (text.length() + line.length() <= size - 2) {
      text.append(line);
    }
    while (text.length() < size - 2) {
      text.append('x');
    }
    text.append("\r\n");
    byte[] bytes = text.toString().getBytes(US_ASCII);
    if (bytes.length != size) {
      throw new IllegalStateException("message is " + bytes.length + " bytes, not " + size);
    }
    return bytes;
  }

  @Benchmark
  public List<String> dkimSign() throws IOException {
    return signer.sign(new ByteArrayInputStream(message));
  }

  @Benchmark
  public byte[] rawJcaSign() throws GeneralSecurityException {
    Signature signature = Signature.getInstance(jcaAlgorithm);
    signature.initSign(pair.getPrivate());
    signature.update(message);
    return signature.sign();
  }
}
