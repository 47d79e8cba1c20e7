package org.mta4j.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mta4j.testing.Peers;

/**
 * swaks with PIPELINING (RFC 2920): MAIL, RCPT and DATA go out in one group, so the proxy must pair
 * each reply with its command to script the right one.
 */
class FaultsWithSwaksTest {

  @RegisterExtension static final MtaServer mail = MtaServer.create();

  private static Peers.ProcessResult swaks(String to) {
    List<String> command = new ArrayList<>();
    command.add(Peers.executable("swaks").toString());
    command.addAll(
        List.of(
            "--server",
            "127.0.0.1:" + mail.port(),
            "--pipeline",
            "--from",
            "app@example.test",
            "--to",
            to));
    return Peers.run(Duration.ofSeconds(60), command);
  }

  @Test
  void aPipelinedDataGetsTheScriptedReplyAndTheOthersTheirOwn() {
    mail.on(Stage.DATA).reply(452, "4.3.1", "Insufficient system storage");

    Peers.ProcessResult r = swaks("bob@example.test");

    assertThat(r.exitCode()).isNotZero();
    // one pipelined group: the three commands go out before any of their replies comes back
    assertThat(r.stdout())
        .containsPattern(
            " -> MAIL FROM:<app@example.test>\\R -> RCPT TO:<bob@example.test>\\R -> DATA")
        .contains("<-  250 2.1.0")
        .contains("<-  250 2.1.5")
        .contains("<** 452 4.3.1 Insufficient system storage");
    assertThat(mail.messages()).isEmpty();
  }

  @Test
  void aPipelinedSecondRcptIsRefusedAndTheMessageGoesToTheFirst() {
    mail.on(Stage.RCPT).nth(2).reply(550, "5.1.1", "No such user here");

    Peers.ProcessResult r = swaks("bob@example.test,carol@example.test");

    assertThat(r.stdout()).contains("<** 550 5.1.1 No such user here");
    assertThat(mail.awaitMessages(1).get(0).recipients()).containsExactly("bob@example.test");
  }
}
