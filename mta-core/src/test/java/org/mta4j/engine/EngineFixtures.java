package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mta4j.Mta;
import org.mta4j.delivery.RetryPolicy;
import org.mta4j.event.MtaEvent;
import org.mta4j.event.MtaEventListener;
import org.mta4j.server.Decision;
import org.mta4j.server.Listener;
import org.mta4j.server.SessionInfo;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.testing.Peers;
import org.mta4j.testing.RecordingHandler;

/** What the engine tests share: messages, retry policies, event recording and peer servers. */
final class EngineFixtures {
  private EngineFixtures() {}

  /** The sending MTA's name (Reporting-MTA of its bounces, its EHLO name). */
  static final String HOSTNAME = "mta.local.test";

  /** The sending MTA's own domain: senders here get their bounces in the {@link Mailbox}. */
  static final String LOCAL_DOMAIN = "local.test";

  static final String SENDER = "sender@" + LOCAL_DOMAIN;

  /** How long a test waits for something that a running peer or MTA has already been asked. */
  static final Duration AWAIT = Duration.ofSeconds(20);

  /** How long a peer process (swaks) may run. */
  static final Duration PEER_TIMEOUT = Duration.ofSeconds(60);

  /** 5 min, doubling to 1 h, 5 days, no jitter (so retry times are exact), no delay notice. */
  static final RetryPolicy NO_JITTER =
      new RetryPolicy(
          Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5), 0.0, Duration.ZERO);

  /** A small RFC 5322 message with CRLF line endings. */
  static byte[] message(String to, String subject, String body) {
    return ("From: " + SENDER + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\n" + body)
        .getBytes(UTF_8);
  }

  /** Records every event; {@link #attempts(String)} picks the delivery attempts of a message. */
  static final class Events implements MtaEventListener {
    private final List<MtaEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(MtaEvent event) {
      events.add(event);
    }

    List<MtaEvent> all() {
      return List.copyOf(events);
    }

    List<MtaEvent.Attempt> attempts(String queueId) {
      List<MtaEvent.Attempt> out = new ArrayList<>();
      for (MtaEvent e : events) {
        if (e instanceof MtaEvent.Attempt a && a.queueId().equals(queueId)) {
          out.add(a);
        }
      }
      return out;
    }

    <T extends MtaEvent> List<T> ofType(Class<T> type) {
      return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }

  /** Counts sessions (at connect) and lets a test refuse at each stage. */
  static class CountingPolicy implements SmtpPolicy {
    final AtomicInteger connects = new AtomicInteger();

    @Override
    public Decision onConnect(SessionInfo session) {
      connects.incrementAndGet();
      return Decision.proceed();
    }
  }

  /**
   * An mta4j server on 127.0.0.1 and an ephemeral port that takes mail for any domain into a {@link
   * RecordingHandler}, with {@code policy} as its fault injector.
   */
  record Peer(Mta mta, RecordingHandler handler) implements AutoCloseable {
    int port() {
      return mta.port();
    }

    @Override
    public void close() {
      mta.close();
    }
  }

  static Peer startPeer(SmtpPolicy policy, Consumer<Mta.Builder> customizer) {
    RecordingHandler handler = new RecordingHandler();
    Mta.Builder b =
        Mta.builder()
            .hostname("peer.remote.test")
            .listener(Listener.smtp("127.0.0.1", 0))
            .shutdownGrace(Duration.ofSeconds(1))
            .policy(policy)
            .messageHandler(handler);
    customizer.accept(b);
    Mta mta = b.build();
    try {
      mta.start();
    } catch (IOException e) {
      mta.close();
      throw new UncheckedIOException(e);
    }
    return new Peer(mta, handler);
  }

  private static final Pattern QUEUED_AS =
      Pattern.compile("<-  250 2\\.0\\.0 Ok: queued as (\\S+)");

  /**
   * Sends one message with swaks to an MTA on 127.0.0.1 and returns the queue id from the 250
   * reply; fails the test, with the transcript, if swaks fails.
   */
  static String swaks(int port, String from, String to, String... more) {
    List<String> command = new ArrayList<>();
    command.add(Peers.executable("swaks").toString());
    command.addAll(List.of("--server", "127.0.0.1", "--port", Integer.toString(port)));
    command.addAll(List.of("--helo", "client.remote.test", "--timeout", "20"));
    command.addAll(List.of("--from", from, "--to", to));
    Collections.addAll(command, more);
    Peers.ProcessResult result = Peers.run(PEER_TIMEOUT, command).assertSuccess();
    if (result.stdout().contains("\n<** ")) {
      throw new AssertionError("swaks got an error reply:\n" + result.stdout());
    }
    Matcher m = QUEUED_AS.matcher(result.stdout());
    if (!m.find()) {
      throw new AssertionError("no queue id in swaks' transcript:\n" + result.stdout());
    }
    return m.group(1);
  }
}
