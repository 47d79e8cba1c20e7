package org.mta4j.server;

import java.io.IOException;

/**
 * Checks SMTP AUTH credentials (RFC 4954; mechanisms PLAIN and LOGIN).
 *
 * <p>Called on the session's virtual thread; it may block (a database or LDAP lookup). It is called
 * concurrently and must be thread-safe. A thrown exception becomes {@code 454 4.7.0 Temporary
 * authentication failure}.
 */
@FunctionalInterface
public interface Authenticator {

  /**
   * Checks one username and password.
   *
   * @param username the authentication identity (for PLAIN, the authcid)
   * @param password the password
   * @param session the session asking
   * @return true if the credentials are good
   */
  boolean authenticate(String username, String password, SessionInfo session) throws IOException;
}
