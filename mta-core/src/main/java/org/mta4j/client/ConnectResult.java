package org.mta4j.client;

/**
 * What {@link SmtpClient#connect} returns: an open {@link SmtpConnection}, ready for a transaction,
 * or the {@link SessionFailure} that prevented it.
 *
 * <pre>{@code
 * switch (client.connect(target)) {
 *   case SmtpConnection connection -> {
 *     try (connection) {
 *       TransactionResult result = connection.send(message);
 *     }
 *   }
 *   case SessionFailure failure -> classifier.sessionFailed(failure);
 * }
 * }</pre>
 */
public sealed interface ConnectResult permits SmtpConnection, SessionFailure {}
