package org.mta4j.dkim.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.IDN;
import java.util.List;
import java.util.Locale;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.address.MailboxList;
import org.apache.james.mime4j.field.address.LenientAddressParser;

/** The domain of the RFC 5322 From address, which chooses the signing key. */
public final class FromDomain {

  private FromDomain() {}

  /**
   * The lower-case (A-label) domain of the single From field's first mailbox; null when there is no
   * From, more than one From field, or no mailbox with a domain.
   */
  public static String of(List<HeaderField> fields) {
    HeaderField from = null;
    for (HeaderField field : fields) {
      if (field.is("From")) {
        if (from != null) {
          return null; // RFC 5322 §3.6: exactly one; don't choose between them
        }
        from = field;
      }
    }
    if (from == null) {
      return null;
    }
    String raw = new String(from.raw(), UTF_8);
    String value = raw.substring(raw.indexOf(':') + 1).replace("\r", "").replace("\n", "");
    MailboxList mailboxes = LenientAddressParser.DEFAULT.parseAddressList(value).flatten();
    for (Mailbox mailbox : mailboxes) {
      String domain = mailbox.getDomain();
      if (domain != null && !domain.isBlank()) {
        try {
          return IDN.toASCII(domain.strip(), IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
    }
    return null;
  }
}
