package org.mta4j.dkim.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The streaming body canonicalization against RFC 6376 §3.4.5's example, in any chunking. */
class BodyHasherTest {

  // RFC 6376 §3.4.5: the body " C \r\nD \t E\r\n\r\n\r\n"
  private static final String BODY = " C \r\nD \t E\r\n\r\n\r\n";

  @Test
  void relaxedAndSimpleMatchTheRfcExample() throws Exception {
    assertThat(hash(BODY, true, 1 << 20)).isEqualTo(sha256(" C\r\nD E\r\n"));
    assertThat(hash(BODY, false, 1 << 20)).isEqualTo(sha256(" C \r\nD \t E\r\n"));
  }

  @Test
  void emptyBodiesFollowRfc6376AndItsErrata() throws Exception {
    assertThat(hash("", false, 1)).isEqualTo(sha256("\r\n"));
    assertThat(hash("\r\n\r\n", false, 1)).isEqualTo(sha256("\r\n"));
    assertThat(hash("", true, 1)).isEqualTo(sha256(""));
    assertThat(hash(" \t\r\n\r\n", true, 1)).isEqualTo(sha256(""));
    assertThat(hash("no line end", true, 1)).isEqualTo(sha256("no line end\r\n"));
  }

  @Test
  void anyChunkingGivesTheSameHash() throws Exception {
    Random random = new Random(6376);
    String body = " a  b\t\r\n\r\n c \r\r\n\n x\r\n \r\n\r\n";
    for (boolean relaxed : new boolean[] {true, false}) {
      byte[] whole = hash(body, relaxed, 1 << 20);
      for (int round = 0; round < 200; round++) {
        assertThat(hash(body, relaxed, 1 + random.nextInt(5))).isEqualTo(whole);
      }
    }
  }

  private static byte[] hash(String body, boolean relaxed, int chunk) {
    BodyHasher hasher = new BodyHasher(relaxed, -1);
    byte[] bytes = body.getBytes(UTF_8);
    for (int i = 0; i < bytes.length; i += chunk) {
      hasher.write(bytes, i, Math.min(chunk, bytes.length - i));
    }
    return hasher.hash();
  }

  private static byte[] sha256(String canonical) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(UTF_8));
  }
}
