package org.mta4j.smtp;

import java.util.Objects;
import java.util.Set;

/**
 * One accepted recipient with its DSN parameters (RFC 3461 §4).
 *
 * @param address the forward path without angle brackets, e.g. {@code bob@example.org}
 * @param dsnNotify the NOTIFY values; empty when the client gave none
 * @param orcpt the ORCPT parameter as given ({@code addr-type;xtext}), or {@code null}
 */
public record Recipient(String address, Set<Notify> dsnNotify, String orcpt) {

  /** RFC 3461 §4.1 NOTIFY values. */
  public enum Notify {
    NEVER,
    SUCCESS,
    FAILURE,
    DELAY
  }

  public Recipient {
    Objects.requireNonNull(address, "address");
    dsnNotify = Set.copyOf(dsnNotify);
  }

  /** A recipient with no DSN parameters. */
  public static Recipient of(String address) {
    return new Recipient(address, Set.of(), null);
  }

  /** The domain part of the address (after the last {@code @}), lower-cased. */
  public String domain() {
    int at = address.lastIndexOf('@');
    return at < 0 ? "" : address.substring(at + 1).toLowerCase(java.util.Locale.ROOT);
  }
}
