/**
 * SMTP protocol values shared by the server and (later) the client: replies with their RFC 3463
 * enhanced status codes.
 */
package org.mta4j.smtp;
