package org.mta4j.client;

import java.util.Objects;

/**
 * A user name and password for SMTP AUTH PLAIN or LOGIN (RFC 4954, RFC 4616). {@link #toString()}
 * hides the password.
 *
 * @param username the authentication identity; not empty, no NUL
 * @param password the password; no NUL
 */
public record Credentials(String username, String password) {

  public Credentials {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    if (username.isEmpty()) {
      throw new IllegalArgumentException("username must not be empty");
    }
    // RFC 4616 §2: NUL separates the fields of a PLAIN message.
    if (username.indexOf('\0') >= 0 || password.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("username and password must not contain NUL");
    }
  }

  @Override
  public String toString() {
    return "Credentials[username=" + username + ", password=****]";
  }
}
