package org.mta4j.dkim;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Messages that exercise DKIM canonicalization: each a CRLF message from {@code
 * sender@example.test} (the domain the tests sign for), named for what it tests.
 */
final class Corpus {

  static final String DOMAIN = "example.test";

  /** mta4j's default list plus two fields RFC 5322 lets a message repeat. */
  static final java.util.List<String> SIGNED_HEADERS =
      java.util.stream.Stream.concat(
              DkimSigner.DEFAULT_SIGNED_HEADERS.stream(),
              java.util.stream.Stream.of("Comments", "Keywords"))
          .toList();

  private Corpus() {}

  static Map<String, byte[]> messages() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put(
        "plain-ascii",
        crlf(
            """
            From: Sender <sender@example.test>
            To: Receiver <receiver@example.org>
            Subject: Plain ASCII
            Date: Mon, 07 Dec 2026 01:00:00 +0000
            Message-ID: <plain@example.test>

            Hello,

            this is a plain ASCII message.
            """));
    m.put(
        "eight-bit",
        crlf(
            """
            From: =?UTF-8?Q?J=C3=BCrgen?= <sender@example.test>
            To: receiver@example.org
            Subject: =?UTF-8?B?R3LDvMOfZQ==?=
            Date: Mon, 07 Dec 2026 01:00:00 +0000
            MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: 8bit

            Grüße aus Köln — ½ € ümläüts, 日本語のテキスト.
            Ligne en français: «déjà vu».
            """));
    m.put(
        "folded-and-repeated-headers",
        crlf(
            """
            Received: from a.example.test by b.example.test; Mon, 07 Dec 2026 01:00:00 +0000
            Received: from c.example.test
            \tby d.example.test; Mon, 07 Dec 2026 00:59:00 +0000
            From: sender@example.test
            To: first@example.org,
             second@example.org,
            \tthird@example.org
            Cc: one@example.org
            Comments: first comment
            Keywords: one, two
            Comments: second
              comment, folded
            SUBJECT:   A   folded
                 subject\twith   tabs  and    runs
            Date: Mon, 07 Dec 2026 01:00:00 +0000
            Message-ID:
             <folded@example.test>
            X-Repeated: 1
            X-Repeated: 2

            Body.
            """));
    StringBuilder longLine = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      longLine.append("long").append(i).append(' ');
    }
    m.put(
        "long-lines",
        crlf(
            "From: sender@example.test\n"
                + "To: receiver@example.org\n"
                + "Subject: "
                + "x".repeat(900)
                + "\nDate: Mon, 07 Dec 2026 01:00:00 +0000\n\n"
                + longLine
                + "\n"
                + "y".repeat(20_000)
                + "\nend\n"));
    m.put(
        "trailing-whitespace-and-empty-lines",
        crlf(
            "From: sender@example.test \t\n"
                + "To: receiver@example.org\n"
                + "Subject: trailing \n"
                + "Date: Mon, 07 Dec 2026 01:00:00 +0000\n\n"
                + "line with trailing spaces   \n"
                + "line with trailing tab\t\n"
                + "  \t  \n"
                + "inner   runs \t of\t\twhitespace\n"
                + "\n\n\n"
                + "   \n"
                + "\n\n"));
    m.put(
        "body-only-crlf",
        crlf(
            "From: sender@example.test\nTo: receiver@example.org\nSubject: empty lines\n"
                + "Date: Mon, 07 Dec 2026 01:00:00 +0000\n\n\n\n\n"));
    m.put(
        "empty-body",
        crlf(
            "From: sender@example.test\nTo: receiver@example.org\nSubject: no body\n"
                + "Date: Mon, 07 Dec 2026 01:00:00 +0000\n\n"));
    m.put(
        "no-final-line-break",
        ("From: sender@example.test\r\nTo: receiver@example.org\r\nSubject: unterminated\r\n"
                + "Date: Mon, 07 Dec 2026 01:00:00 +0000\r\n\r\nlast line without CRLF")
            .getBytes(UTF_8));
    m.put(
        "multipart",
        crlf(
            """
            From: "Sender, Mr." <sender@example.test>
            To: receiver@example.org
            Subject: multipart
            Date: Mon, 07 Dec 2026 01:00:00 +0000
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b1"

            This is a multi-part message in MIME format.

            --b1
            Content-Type: text/plain; charset=us-ascii

            The text part.  \t
            --b1
            Content-Type: application/octet-stream
            Content-Transfer-Encoding: base64
            Content-Disposition: attachment; filename="data.bin"

            AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4
            OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ubw==
            --b1--

            """));
    return m;
  }

  /** {@code text} with every LF made CRLF, as UTF-8. */
  static byte[] crlf(String text) {
    return text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(UTF_8);
  }
}
