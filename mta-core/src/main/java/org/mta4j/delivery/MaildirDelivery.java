package org.mta4j.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.mta4j.smtp.Recipient;

/**
 * A {@link DeliveryHook} that writes each message into a Maildir per recipient: {@code
 * root/<local-part>/{tmp,new,cur}}. The file is written and fsynced in {@code tmp/}, then renamed
 * into {@code new/} (the Maildir protocol), so a reader never sees a partial message.
 *
 * <p>Local parts are lower-cased; any character outside {@code [a-z0-9._+-]} becomes {@code _} so
 * that no address can name a path outside the root.
 */
public final class MaildirDelivery implements DeliveryHook {
  private static final AtomicLong COUNTER = new AtomicLong();
  private final Path root;
  private final String hostname;

  /** Maildirs under {@code root}; {@code hostname} goes in the file names. */
  public MaildirDelivery(Path root, String hostname) {
    this.root = root;
    this.hostname = hostname.replace('/', '_').replace(':', '_');
  }

  @Override
  public void deliver(LocalDelivery delivery) throws IOException {
    for (Recipient r : delivery.recipients()) {
      Path maildir = root.resolve(mailboxName(r));
      Path tmp = Files.createDirectories(maildir.resolve("tmp"));
      Path newDir = Files.createDirectories(maildir.resolve("new"));
      Files.createDirectories(maildir.resolve("cur"));
      String name =
          System.currentTimeMillis() / 1000
              + ".M"
              + COUNTER.incrementAndGet()
              + "Q"
              + delivery.queueId()
              + "."
              + hostname;
      Path file = tmp.resolve(name);
      try (InputStream in = delivery.openContent();
          FileChannel ch =
              FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
        in.transferTo(out);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(file, newDir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(file, newDir.resolve(name));
      }
    }
  }

  static String mailboxName(Recipient r) {
    String a = r.address();
    int at = a.lastIndexOf('@');
    String local = (at < 0 ? a : a.substring(0, at)).toLowerCase(Locale.ROOT);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < local.length(); i++) {
      char c = local.charAt(i);
      b.append(
          (c >= 'a' && c <= 'z')
                  || (c >= '0' && c <= '9')
                  || c == '.'
                  || c == '_'
                  || c == '+'
                  || c == '-'
              ? c
              : '_');
    }
    String name = b.toString();
    return name.isEmpty() || name.startsWith(".") ? "_" + name : name;
  }
}
