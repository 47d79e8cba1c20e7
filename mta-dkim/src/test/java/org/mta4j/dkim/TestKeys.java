package org.mta4j.dkim;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.EdECPrivateKey;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** Key pairs for the tests, written in the formats each peer reads. */
record TestKeys(KeyPair rsa, KeyPair ed25519) {

  /** One RSA-2048 and one Ed25519 pair, made once per test run (RSA generation is slow). */
  static final TestKeys SHARED =
      new TestKeys(DkimKeys.generateRsa(2048), DkimKeys.generateEd25519());

  /** PKCS#8 PEM (mta4j reads it). */
  static Path writePkcs8(Path file, KeyPair pair) {
    return write(file, DkimKeys.toPem(pair.getPrivate()));
  }

  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY", what dkimpy and OpenDKIM read). */
  static Path writePkcs1(Path file, KeyPair rsa) {
    try {
      byte[] pkcs1 =
          PrivateKeyInfo.getInstance(rsa.getPrivate().getEncoded())
              .parsePrivateKey()
              .toASN1Primitive()
              .getEncoded();
      StringWriter text = new StringWriter();
      try (PemWriter writer = new PemWriter(text)) {
        writer.writeObject(new PemObject("RSA PRIVATE KEY", pkcs1));
      }
      return write(file, text.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The base64 32-byte seed (what dkimpy reads for Ed25519). */
  static Path writeEd25519Seed(Path file, KeyPair ed25519) {
    byte[] seed = ((EdECPrivateKey) ed25519.getPrivate()).getBytes().orElseThrow();
    return write(file, Base64.getEncoder().encodeToString(seed) + "\n");
  }

  /** A zone-file TXT record (character-strings of at most 255 bytes) for a key record. */
  static String zoneTxt(String owner, String record) {
    StringBuilder line = new StringBuilder(owner).append(" TXT");
    for (int i = 0; i < record.length(); i += 200) {
      line.append(" \"").append(record, i, Math.min(record.length(), i + 200)).append('"');
    }
    return line.append('\n').toString();
  }

  private static Path write(Path file, String text) {
    try {
      return Files.writeString(file, text, US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
