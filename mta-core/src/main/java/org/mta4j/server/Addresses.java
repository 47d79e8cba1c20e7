package org.mta4j.server;

import java.util.Locale;

/** Small address helpers shared by the envelope types. */
final class Addresses {
  private Addresses() {}

  static String domainOf(String address) {
    int at = address.lastIndexOf('@');
    return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
  }
}
