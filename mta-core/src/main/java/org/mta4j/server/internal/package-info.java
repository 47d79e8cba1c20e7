/**
 * The server's implementation: listeners, sessions, the command parser and the content decoder. Not
 * exported; nothing here is API.
 */
package org.mta4j.server.internal;
