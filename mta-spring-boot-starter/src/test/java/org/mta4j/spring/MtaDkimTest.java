package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.dkim.DkimKeys;
import org.mta4j.dkim.DkimSigner;
import org.mta4j.intake.ContentStep;
import org.mta4j.testing.AiosmtpdServer;
import org.mta4j.testing.Peers;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/** {@code mta.dkim.keys}: mail leaves signed, and a verifier that is not ours (dkimpy) agrees. */
class MtaDkimTest {

  // dkimpy verifies the message on stdin; the key record comes from argv, never from DNS
  private static final String VERIFY =
      """
      import sys, dkim
      record = sys.argv[1].encode()
      def dns(name, timeout=5):
          return record if name == b"sel1._domainkey.starter.test." else None
      ok = dkim.verify(sys.stdin.buffer.read(), dnsfunc=dns)
      print("pass" if ok else "fail")
      sys.exit(0 if ok else 1)
      """;

  @Test
  void mailFromAConfiguredDomainIsSignedAndVerifiesInDkimpy(@TempDir Path dir) throws Exception {
    KeyPair pair = DkimKeys.generateRsa(2048);
    Path pem = Files.writeString(dir.resolve("sel1.pem"), DkimKeys.toPem(pair.getPrivate()));
    try (AiosmtpdServer next = AiosmtpdServer.builder().start()) {
      Runners.mta()
          .withPropertyValues(Runners.relayTo(next.port()))
          .withPropertyValues(
              "mta.dkim.keys[0].domain=starter.test",
              "mta.dkim.keys[0].selector=sel1",
              "mta.dkim.keys[0].private-key=" + pem)
          .run(
              context -> {
                assertThat(context.getBeansOfType(ContentStep.class).values())
                    .singleElement()
                    .isInstanceOf(DkimSigner.class);
                SimpleMailMessage m = new SimpleMailMessage();
                m.setFrom("app@starter.test");
                m.setTo("sam@remote.test");
                m.setSubject("signed by the starter");
                m.setText("hello");
                context.getBean(JavaMailSender.class).send(m);
                byte[] content = next.awaitMessages(1, Duration.ofSeconds(30)).get(0).content();
                assertThat(new String(content, java.nio.charset.StandardCharsets.US_ASCII))
                    .startsWith("DKIM-Signature:")
                    .contains("d=starter.test")
                    .contains("s=sel1");
                Peers.ProcessResult verified =
                    Peers.run(
                        Duration.ofSeconds(60),
                        List.of(
                            Peers.python3With("dkim").toString(),
                            "-c",
                            VERIFY,
                            DkimKeys.dnsRecord(pair.getPublic())),
                        content);
                verified.assertSuccess();
                assertThat(verified.stdout()).contains("pass");
              });
    }
  }

  @Test
  void noKeysNoSigner() {
    Runners.mta().run(context -> assertThat(context).doesNotHaveBean(DkimSigner.class));
  }

  @Test
  void aMissingKeyFileIsNamed() {
    Runners.mta()
        .withPropertyValues(
            "mta.dkim.keys[0].domain=starter.test",
            "mta.dkim.keys[0].selector=sel1",
            "mta.dkim.keys[0].private-key=/nonexistent/sel1.pem")
        .run(context -> Startup.failedOn(context, "mta.dkim.keys[0].private-key"));
  }

  @Test
  void aKeyWithoutSelectorIsNamed(@TempDir Path dir) throws Exception {
    Path pem =
        Files.writeString(
            dir.resolve("k.pem"), DkimKeys.toPem(DkimKeys.generateEd25519().getPrivate()));
    Runners.mta()
        .withPropertyValues(
            "mta.dkim.keys[0].domain=starter.test", "mta.dkim.keys[0].private-key=" + pem)
        .run(context -> Startup.failedOn(context, "mta.dkim.keys[0].selector"));
  }

  @Test
  void keysWithoutTheModuleFailNamingThem() {
    Runners.mta()
        .withClassLoader(new FilteredClassLoader(DkimSigner.class))
        .withPropertyValues(
            "mta.dkim.keys[0].domain=starter.test",
            "mta.dkim.keys[0].selector=sel1",
            "mta.dkim.keys[0].private-key=/tmp/x.pem")
        .run(
            context ->
                assertThat(Startup.failedOn(context, "mta.dkim.keys").getReason())
                    .contains("mta-dkim"));
  }
}
