package org.mta4j.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;

/** The client's values and builder: validation that names the bad value, and parsing. */
class ClientValuesTest {

  @Test
  void builderRequiresAHeloNameAndChecksIt() {
    assertThatThrownBy(() -> SmtpClient.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("heloName");
    assertThatThrownBy(() -> SmtpClient.builder().heloName("bad name"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad name");
    assertThatThrownBy(() -> SmtpClient.builder().heloName("-lead.example"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(SmtpClient.builder().heloName("[192.0.2.1]").build().heloName())
        .isEqualTo("[192.0.2.1]");
    assertThat(SmtpClient.builder().heloName("[IPv6:2001:db8::1]").build().heloName())
        .isEqualTo("[IPv6:2001:db8::1]");
  }

  @Test
  void builderRejectsNonPositiveTimeoutsAndBadChunkSizesByName() {
    assertThatThrownBy(() -> SmtpClient.builder().rcptTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rcptTimeout must be > 0: PT0S");
    assertThatThrownBy(() -> SmtpClient.builder().dataDoneTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("dataDoneTimeout");
    assertThatThrownBy(() -> SmtpClient.builder().chunkSize(0))
        .hasMessageContaining("chunkSize must be 1..");
  }

  @Test
  void newBuilderDerivesAVariant() {
    SmtpClient base = SmtpClient.builder().heloName("mx.example.test").build();

    SmtpClient variant = base.newBuilder().chunking(false).build();

    assertThat(variant.heloName()).isEqualTo("mx.example.test");
    assertThat(variant.chunking()).isFalse();
    assertThat(base.chunking()).isTrue();
    assertThat(base.dataDoneTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(base.dataInitTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(base.dataBlockTimeout()).isEqualTo(Duration.ofMinutes(3));
  }

  @Test
  void targetsRefuseImplicitTlsWithoutTlsAndUnresolvedAddresses() {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", 465);
    assertThatThrownBy(
            () -> SmtpTarget.of(address, "mx.example.test", TlsPolicy.NONE).withImplicitTls())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("implicitTls");
    assertThatThrownBy(
            () ->
                SmtpTarget.of(
                    InetSocketAddress.createUnresolved("mx.example.test", 25),
                    "mx.example.test",
                    TlsPolicy.NONE))
        .hasMessageContaining("resolved");
    assertThat(SmtpTarget.of(address, "mx.example.test", TlsPolicy.NONE).describe())
        .isEqualTo("mx.example.test[127.0.0.1]:465");
  }

  @Test
  void credentialsHideThePassword() {
    assertThat(new Credentials("user", "secret").toString()).doesNotContain("secret");
    assertThatThrownBy(() -> new Credentials("us\0er", "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void messagesRefuseAddressesAndParametersThatCouldBreakTheCommandLine() {
    byte[] content = "x\r\n".getBytes(UTF_8);
    assertThatThrownBy(
            () ->
                OutgoingMessage.of(
                    "a@example.test>\r\nRCPT TO:<victim@example.test",
                    List.of(Recipient.of("b@example.test")),
                    content))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reversePath");
    assertThatThrownBy(
            () -> OutgoingMessage.of("a@example.test", List.of(Recipient.of("b@x\n")), content))
        .hasMessageContaining("recipient");
    assertThatThrownBy(
            () ->
                OutgoingMessage.of(
                        "a@example.test", List.of(Recipient.of("b@example.test")), content)
                    .withParameters(
                        new MailParameters(null, -1, false, null, "id NOTIFY=NEVER", null)))
        .hasMessageContaining("envid");
    assertThatThrownBy(() -> OutgoingMessage.of("a@example.test", List.of(), content))
        .hasMessageContaining("recipients");
  }

  @Test
  void needsSmtpUtf8WhenAskedOrWhenAnAddressIsNotAscii() {
    byte[] content = "x\r\n".getBytes(UTF_8);
    OutgoingMessage ascii =
        OutgoingMessage.of("a@example.test", List.of(Recipient.of("b@example.test")), content);

    assertThat(ascii.needsSmtpUtf8()).isFalse();
    assertThat(
            ascii
                .withParameters(new MailParameters(null, -1, true, null, null, null))
                .needsSmtpUtf8())
        .isTrue();
    assertThat(
            OutgoingMessage.of(
                    "a@example.test", List.of(Recipient.of("b@ex\u00e4mple.test")), content)
                .needsSmtpUtf8())
        .isTrue();
  }

  @Test
  void ehloExtensionsAreParsedWhateverTheirCaseAndForm() {
    RemoteReply ehlo =
        RemoteReply.of(
            250,
            "mx.example.test greets you",
            "pipelining",
            "SIZE 35882577",
            "AUTH=LOGIN",
            "AUTH PLAIN XOAUTH2",
            "STARTTLS",
            "CHUNKING",
            "");

    ServerExtensions extensions = ServerExtensions.fromEhlo(ehlo);

    assertThat(extensions.esmtp()).isTrue();
    assertThat(extensions.pipelining()).isTrue();
    assertThat(extensions.sizeLimit()).hasValue(35882577);
    assertThat(extensions.authMechanisms()).containsExactlyInAnyOrder("LOGIN", "PLAIN", "XOAUTH2");
    assertThat(extensions.startTls()).isTrue();
    assertThat(extensions.chunking()).isTrue();
    assertThat(extensions.dsn()).isFalse();
    assertThat(ServerExtensions.fromEhlo(RemoteReply.of(250, "mx", "SIZE")).sizeLimit()).isEmpty();
    assertThat(ServerExtensions.fromEhlo(RemoteReply.of(250, "mx", "SIZE 0")).sizeLimit())
        .isEmpty();
  }

  @Test
  void remoteRepliesKeepTheTextAndReadTheEnhancedCodeOnlyWhenItFits() {
    RemoteReply fits = RemoteReply.of(550, "5.7.1 <a@example.test>: Relay access denied");
    assertThat(fits.enhanced()).isEqualTo("5.7.1");
    assertThat(fits.message()).isEqualTo("<a@example.test>: Relay access denied");
    assertThat(fits.toString()).isEqualTo("550 5.7.1 <a@example.test>: Relay access denied");
    assertThat(fits.toSmtpReply().toString())
        .isEqualTo("550 5.7.1 <a@example.test>: Relay access denied");

    assertThat(RemoteReply.of(550, "5.7.1x not a code").enhanced()).isNull();
    assertThat(RemoteReply.of(250, "5.0.0 wrong class").enhanced()).isNull();
    assertThat(RemoteReply.of(554, "no code at all").toSmtpReply().enhanced()).isEqualTo("5.0.0");
    assertThat(RemoteReply.of(354, "go ahead").toSmtpReply().enhanced()).isNull();
    assertThatThrownBy(() -> RemoteReply.of(600, "x")).hasMessageContaining("600");
    assertThatThrownBy(() -> new RemoteReply(550, "4.1.1", List.of("x")))
        .hasMessageContaining("4.1.1");
  }

  @Test
  void resultsSayWhichRecipientsTookTheMessage() {
    Recipient a = Recipient.of("a@example.test");
    Recipient b = new Recipient("b@example.test", Set.of(), null);
    RemoteReply ok = RemoteReply.of(250, "2.1.5 Ok");
    RemoteReply no = RemoteReply.of(550, "5.1.1 unknown");
    TransactionResult accepted =
        new TransactionResult(
            ok,
            List.of(
                new TransactionResult.RecipientReply(a, ok),
                new TransactionResult.RecipientReply(b, no)),
            null,
            RemoteReply.of(250, "2.0.0 queued"),
            null,
            null);
    TransactionResult refused =
        new TransactionResult(
            ok,
            List.of(new TransactionResult.RecipientReply(a, ok)),
            null,
            RemoteReply.of(552, "5.3.4 too big"),
            null,
            null);

    assertThat(accepted.messageAccepted()).isTrue();
    assertThat(accepted.acceptedRecipients()).containsExactly(a);
    assertThat(refused.messageAccepted()).isFalse();
    assertThat(refused.acceptedRecipients()).isEmpty();
  }
}
