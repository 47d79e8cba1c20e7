package org.mta4j.server.internal;

import java.io.IOException;
import org.mta4j.intake.internal.Intake;
import org.mta4j.intake.internal.MessageTooBigException;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.server.Decision;
import org.mta4j.server.Envelope;
import org.mta4j.server.MessageContent;
import org.mta4j.server.MessageHandler;

/**
 * The server's way into the queue: the end of data is answered 250 only once intake has the message
 * durable; a store failure is a temporary failure and nothing is half-queued.
 */
public final class IntakeHandler implements MessageHandler {
  private final Intake intake;

  public IntakeHandler(Intake intake) {
    this.intake = intake;
  }

  @Override
  public Decision handle(Envelope envelope, MessageContent content) {
    try {
      intake.accept(
          envelope.id(),
          envelope.reversePath(),
          envelope.recipients(),
          envelope.parameters(),
          content.size(),
          content::open);
      return Decision.accept();
    } catch (MessageTooBigException e) {
      return Decision.reject(Replies.MESSAGE_TOO_BIG);
    } catch (QueueStoreException e) {
      return Decision.tempFail(
          e.isInsufficientStorage() ? Replies.INSUFFICIENT_STORAGE : Replies.LOCAL_ERROR);
    } catch (IOException e) {
      return Decision.tempFail(Replies.LOCAL_ERROR);
    }
  }
}
