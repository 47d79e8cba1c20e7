package org.mta4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.mta4j.testing.RecordingHandler;

/**
 * The HAProxy PROXY protocol (v1 and v2) end to end: behind a trusted proxy the client is the
 * address the proxy reports, for the envelope, the Received header and the relay decision alike;
 * anywhere else {@code PROXY} is just an unknown command.
 */
class ProxyProtocolListenerTest {

  private static final Listener BEHIND_PROXY =
      Listener.smtp("127.0.0.1", 0).withProxyProtocolFrom("127.0.0.1/32");

  private static final String V1_TCP4 = "PROXY TCP4 203.0.113.5 192.0.2.1 40000 25\r\n";

  @Test
  void aV1HeaderMakesTheProxiedAddressTheClient() {
    try (RunningServer server = behindProxy();
        SmtpWire wire = server.connect()) {
      wire.send(V1_TCP4);

      RecordingHandler.Received received = sendThroughProxy(server, wire);

      SessionInfo session = received.envelope().session();
      assertThat(session.client()).isEqualTo(new InetSocketAddress("203.0.113.5", 40000));
      assertThat(session.proxy()).isEqualTo(new InetSocketAddress("127.0.0.1", wire.localPort()));
      assertThat(received.contentAsString())
          .startsWith("Received: from proxied.example.test ([203.0.113.5])");
    }
  }

  @Test
  void aV2HeaderMakesTheProxiedAddressTheClient() {
    try (RunningServer server = behindProxy();
        SmtpWire wire = server.connect()) {
      wire.send(
          v2Tcp4(new byte[] {(byte) 203, 0, 113, 5}, new byte[] {(byte) 192, 0, 2, 1}, 40001, 25));

      RecordingHandler.Received received = sendThroughProxy(server, wire);

      assertThat(received.envelope().session().client())
          .isEqualTo(new InetSocketAddress("203.0.113.5", 40001));
      assertThat(received.envelope().session().proxy().getAddress().getHostAddress())
          .isEqualTo("127.0.0.1");
    }
  }

  @Test
  void aV1Tcp6HeaderGivesAnIpv6Client() {
    try (RunningServer server = behindProxy();
        SmtpWire wire = server.connect()) {
      wire.send("PROXY TCP6 2001:db8::5 2001:db8::1 40002 25\r\n");

      RecordingHandler.Received received = sendThroughProxy(server, wire);

      assertThat(received.envelope().session().client())
          .isEqualTo(new InetSocketAddress("2001:db8::5", 40002));
      assertThat(received.contentAsString()).contains("([IPv6:2001:db8::5])");
    }
  }

  @Test
  void theHeaderAndTheFirstCommandMayArriveInOneWrite() {
    try (RunningServer server = behindProxy();
        SmtpWire wire = server.connect()) {
      wire.send(V1_TCP4 + "EHLO proxied.example.test\r\nNOOP\r\n");

      assertThat(wire.read().line()).isEqualTo(RunningServer.GREETING);
      assertThat(wire.read().code()).isEqualTo(250);
      assertThat(wire.read().line()).isEqualTo("250 2.0.0 Ok");
    }
  }

  @Test
  void aHealthCheckHeaderKeepsTheProxyAsTheClient() {
    try (RunningServer server = behindProxy();
        SmtpWire v1 = server.connect();
        SmtpWire v2 = server.connect()) {
      v1.send("PROXY UNKNOWN\r\n");
      // v2 LOCAL command, AF_UNSPEC, no address block
      v2.send(concat(V2_SIGNATURE, new byte[] {0x20, 0x00, 0x00, 0x00}));

      for (SmtpWire wire : new SmtpWire[] {v1, v2}) {
        assertThat(wire.read().line()).isEqualTo(RunningServer.GREETING);
        wire.command("EHLO proxy.example.test");
        wire.command("MAIL FROM:<health@example.test>");
        // 127.0.0.1 is a trusted network: it may relay
        assertThat(wire.command("RCPT TO:<bob@other.test>").status()).isEqualTo("250 2.1.5");
      }
    }
  }

  @Test
  void aMalformedHeaderFromTheTrustedProxyClosesTheConnection() {
    try (RunningServer server = behindProxy()) {
      for (String bad :
          new String[] {
            "PROXY TCP4 garbage\r\n",
            "PROXY TCP4 203.0.113.5 192.0.2.1 40000 25\n",
            "PROXY TCP4 203.0.113.256 192.0.2.1 40000 25\r\n",
            "EHLO no-header.example.test\r\n",
            "\r\n\r\n\0\r\nQUIX\n\u0021\u0011\u0000\u00ff"
          }) {
        try (SmtpWire wire = server.connect()) {
          wire.send(bad);
          wire.assertClosed();
        }
      }
      assertThat(server.handler().messages()).isEmpty();
    }
  }

  @Test
  void aListenerWithoutProxyConfigTreatsProxyAsAnUnknownCommand() {
    try (RunningServer server = RunningServer.start(b -> b.trustedNetworks("127.0.0.0/8"));
        SmtpWire wire = server.greeted()) {
      assertThat(wire.command(V1_TCP4.strip()).line())
          .isEqualTo("500 5.5.2 Error: command not recognized");

      RecordingHandler.Received received = sendAfterGreeting(wire, server);

      assertThat(received.envelope().session().client().getAddress().getHostAddress())
          .isEqualTo("127.0.0.1");
      assertThat(received.envelope().session().proxy()).isNull();
    }
  }

  @Test
  void aClientOutsideTheProxyNetworksIsADirectClient() {
    try (RunningServer server = behindProxy();
        SmtpWire wire = SmtpWire.connect(server.port(), "127.0.0.2")) {
      assertThat(wire.read().line()).isEqualTo(RunningServer.GREETING);
      assertThat(wire.command(V1_TCP4.strip()).status()).isEqualTo("500 5.5.2");

      RecordingHandler.Received received = sendAfterGreeting(wire, server);

      assertThat(received.envelope().session().client().getAddress().getHostAddress())
          .isEqualTo("127.0.0.2");
    }
  }

  @Test
  void theConnectionLimitPerClientCountsTheProxiedAddress() {
    try (RunningServer server =
            RunningServer.start(BEHIND_PROXY, b -> b.maxConnectionsPerClient(1));
        SmtpWire first = server.connect();
        SmtpWire otherClient = server.connect();
        SmtpWire sameClient = server.connect()) {
      first.send(V1_TCP4);
      assertThat(first.read().line()).isEqualTo(RunningServer.GREETING);
      otherClient.send("PROXY TCP4 203.0.113.6 192.0.2.1 40000 25\r\n");
      assertThat(otherClient.read().line()).isEqualTo(RunningServer.GREETING);

      sameClient.send("PROXY TCP4 203.0.113.5 192.0.2.1 40009 25\r\n");

      assertThat(sameClient.readUntilClosed(2))
          .extracting(SmtpWire.Reply::line)
          .containsExactly("421 4.7.0 Error: too many connections from your address");
    }
  }

  // ---- helpers

  private static RunningServer behindProxy() {
    return RunningServer.start(BEHIND_PROXY, b -> b.trustedNetworks("127.0.0.0/8"));
  }

  /**
   * After the header: greeting, EHLO, a refused relay (the proxied client is not trusted, though
   * the proxy is), then a local message. Returns the recorded message.
   */
  private static RecordingHandler.Received sendThroughProxy(RunningServer server, SmtpWire wire) {
    assertThat(wire.read().line()).isEqualTo(RunningServer.GREETING);
    assertThat(wire.command("EHLO proxied.example.test").code()).isEqualTo(250);
    assertThat(wire.command("MAIL FROM:<alice@sender.test>").status()).isEqualTo("250 2.1.0");
    assertThat(wire.command("RCPT TO:<bob@other.test>").line())
        .isEqualTo("554 5.7.1 Relay access denied");
    assertThat(wire.command("RCPT TO:<bob@example.test>").status()).isEqualTo("250 2.1.5");
    assertThat(wire.command("DATA").code()).isEqualTo(354);
    assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");
    return server.handler().messages().get(0);
  }

  /** EHLO and a relayed message (the socket address is trusted); returns the recorded message. */
  private static RecordingHandler.Received sendAfterGreeting(SmtpWire wire, RunningServer server) {
    wire.command("EHLO direct.example.test");
    wire.command("MAIL FROM:<alice@sender.test>");
    assertThat(wire.command("RCPT TO:<bob@other.test>").status()).isEqualTo("250 2.1.5");
    wire.command("DATA");
    assertThat(wire.send("hi\r\n.\r\n").read().status()).isEqualTo("250 2.0.0");
    return server.handler().messages().get(0);
  }

  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  /** A v2 PROXY header, TCP over IPv4 (haproxy proxy-protocol.txt §2.2). */
  private static byte[] v2Tcp4(
      byte[] source, byte[] destination, int sourcePort, int destinationPort) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(V2_SIGNATURE);
    out.write(0x21); // version 2, PROXY
    out.write(0x11); // AF_INET, STREAM
    out.write(0);
    out.write(12);
    out.writeBytes(source);
    out.writeBytes(destination);
    out.write(sourcePort >>> 8);
    out.write(sourcePort & 0xff);
    out.write(destinationPort >>> 8);
    out.write(destinationPort & 0xff);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = new byte[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
