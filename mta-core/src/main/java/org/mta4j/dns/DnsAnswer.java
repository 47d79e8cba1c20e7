package org.mta4j.dns;

import java.util.List;
import java.util.Objects;

/**
 * The answer to one DNS question.
 *
 * @param <T> the record type
 */
public sealed interface DnsAnswer<T>
    permits DnsAnswer.Records, DnsAnswer.NoRecords, DnsAnswer.NoSuchDomain, DnsAnswer.Failure {

  /** One or more records. */
  record Records<T>(List<T> records) implements DnsAnswer<T> {
    public Records {
      records = List.copyOf(records);
      if (records.isEmpty()) {
        throw new IllegalArgumentException("Records needs at least one record; use NoRecords");
      }
    }
  }

  /** The name exists but has no records of this type (NODATA). */
  record NoRecords<T>() implements DnsAnswer<T> {}

  /** The name does not exist (NXDOMAIN). */
  record NoSuchDomain<T>() implements DnsAnswer<T> {}

  /** The lookup failed for now (SERVFAIL, REFUSED, timeout, network error); try again later. */
  record Failure<T>(String reason) implements DnsAnswer<T> {
    public Failure {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
