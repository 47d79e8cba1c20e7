package org.mta4j.queue.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mta4j.queue.RecipientState;
import org.mta4j.queue.RecipientState.Status;
import org.mta4j.smtp.Recipient;
import org.mta4j.smtp.Recipient.Notify;

class RecipientCodecTest {

  @Test
  void everyFieldRoundTripsIncludingTheSeparatorsTheEscapeAndTheNullMarker() {
    List<RecipientState> states =
        List.of(
            new RecipientState(
                new Recipient("a\tb%c~d@example.org", Set.of(Notify.DELAY, Notify.FAILURE), "~"),
                Status.DEFERRED,
                "host x said:\r\n450-4.2.0 first\r\n450 4.2.0 100% busy\t~",
                "4.2.0",
                "x[192.0.2.1]:25",
                Instant.parse("2026-03-02T10:00:00.123456Z"),
                true),
            new RecipientState(
                new Recipient("empty-orcpt@example.org", Set.of(Notify.NEVER), ""),
                Status.PENDING,
                "",
                "",
                "",
                null,
                false),
            RecipientState.pending(Recipient.of("jörg@exämple.de")));

    String column = RecipientCodec.encode(states);

    assertThat(column.lines()).hasSize(3);
    assertThat(RecipientCodec.decode(column)).isEqualTo(states);
  }
}
