package org.mta4j.server.internal;

import java.io.IOException;

/**
 * A PROXY protocol header that was malformed or cut short; the spec (proxy-protocol.txt §2.1) says
 * to abort the connection, so this is an I/O failure of the connection rather than a reply.
 */
public final class ProxyProtocolException extends IOException {

  public ProxyProtocolException(String message) {
    super(message);
  }
}
