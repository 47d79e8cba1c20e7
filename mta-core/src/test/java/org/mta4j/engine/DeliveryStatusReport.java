package org.mta4j.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;

/**
 * A delivery status notification read back as a mail reader would (RFC 3464 in an RFC 6522
 * multipart/report), parsed with mime4j: the top-level type, each part's type and body, and the
 * per-message and per-recipient fields of the {@code message/delivery-status} part.
 *
 * @param contentType the top-level Content-Type field value, unfolded
 * @param partTypes the MIME types of the parts, in order
 * @param perMessage the per-message fields (names lower-cased)
 * @param perRecipient one map per recipient (names lower-cased)
 * @param humanReadable the first text/plain part
 * @param returned the body of the third part (message/rfc822 or text/rfc822-headers)
 */
record DeliveryStatusReport(
    String contentType,
    List<String> partTypes,
    Map<String, String> perMessage,
    List<Map<String, String>> perRecipient,
    String humanReadable,
    String returned) {

  static DeliveryStatusReport parse(byte[] message) {
    MimeTokenStream stream = new MimeTokenStream();
    stream.setRecursionMode(RecursionMode.M_NO_RECURSE);
    stream.parse(new ByteArrayInputStream(message));
    String contentType = null;
    List<String> types = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    int depth = 0;
    try {
      for (EntityState state = stream.getState();
          state != EntityState.T_END_OF_STREAM;
          state = stream.next()) {
        switch (state) {
          case T_START_MULTIPART -> depth++;
          case T_END_MULTIPART -> depth--;
          case T_FIELD -> {
            if (depth == 0
                && contentType == null
                && stream.getField().getName().equalsIgnoreCase("Content-Type")) {
              contentType = stream.getField().getBody().replaceAll("\\s+", " ").trim();
            }
          }
          case T_BODY -> {
            types.add(stream.getBodyDescriptor().getMimeType());
            bodies.add(new String(stream.getDecodedInputStream().readAllBytes(), UTF_8));
          }
          default -> {}
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MimeException e) {
      throw new IllegalArgumentException("not a MIME message: " + e.getMessage(), e);
    }
    int status = types.indexOf("message/delivery-status");
    List<Map<String, String>> blocks = status < 0 ? List.of() : fieldBlocks(bodies.get(status));
    int text = types.indexOf("text/plain");
    return new DeliveryStatusReport(
        contentType,
        types,
        blocks.isEmpty() ? Map.of() : blocks.get(0),
        blocks.size() < 2 ? List.of() : blocks.subList(1, blocks.size()),
        text < 0 ? "" : bodies.get(text),
        types.size() < 3 ? "" : bodies.get(2));
  }

  /** RFC 3464 §2.1: groups of header-style fields separated by empty lines. */
  private static List<Map<String, String>> fieldBlocks(String body) {
    List<Map<String, String>> blocks = new ArrayList<>();
    for (String block : body.split("\r\n\r\n")) {
      Map<String, String> fields = new LinkedHashMap<>();
      String last = null;
      for (String line : block.split("\r\n")) {
        if (line.isEmpty()) {
          continue;
        }
        if ((line.startsWith(" ") || line.startsWith("\t")) && last != null) {
          fields.merge(last, " " + line.strip(), String::concat);
          continue;
        }
        int colon = line.indexOf(':');
        if (colon > 0) {
          last = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
          fields.put(last, line.substring(colon + 1).trim());
        }
      }
      if (!fields.isEmpty()) {
        blocks.add(fields);
      }
    }
    return blocks;
  }

  /** The fields of {@code address}'s recipient block; fails when there is none. */
  Map<String, String> recipient(String address) {
    return perRecipient.stream()
        .filter(f -> ("rfc822; " + address).equalsIgnoreCase(f.get("final-recipient")))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no Final-Recipient " + address + " in " + perRecipient));
  }

  /**
   * Checks the RFC 3464 / RFC 6522 form: multipart/report with report-type=delivery-status, a
   * human-readable first part, the machine-readable status part, and the returned message.
   */
  DeliveryStatusReport assertWellFormed(String reportingMta) {
    assertThat(contentType)
        .as("top-level Content-Type")
        .startsWith("multipart/report;")
        .contains("report-type=delivery-status");
    assertThat(partTypes).as("parts").hasSize(3);
    assertThat(partTypes.get(0)).isEqualTo("text/plain");
    assertThat(partTypes.get(1)).isEqualTo("message/delivery-status");
    assertThat(partTypes.get(2)).isIn("message/rfc822", "text/rfc822-headers");
    assertThat(perMessage).containsEntry("reporting-mta", "dns; " + reportingMta);
    assertThat(perMessage).containsKey("arrival-date");
    assertThat(perRecipient).isNotEmpty();
    return this;
  }

  /** Checks that {@code address} is reported as failed with {@code status}. */
  DeliveryStatusReport assertFailed(String address, String status) {
    Map<String, String> r = recipient(address);
    assertThat(r).as("recipient block of %s", address).containsEntry("action", "failed");
    assertThat(r).as("recipient block of %s", address).containsEntry("status", status);
    return this;
  }
}
