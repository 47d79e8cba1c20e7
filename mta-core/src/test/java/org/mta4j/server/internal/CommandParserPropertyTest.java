package org.mta4j.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the MAIL/RCPT path parser (RFC 5321 §4.1.2): every well-formed mailbox is accepted
 * and handed on exactly as written; control characters and unbalanced brackets never get through.
 */
class CommandParserPropertyTest {

  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

  @Property
  void everyDotAtomMailboxIsAcceptedAndRoundTrips(@ForAll("dotAtomMailboxes") String mailbox) {
    assertRoundTrips(mailbox);
  }

  @Property
  void everyQuotedMailboxIsAcceptedAndRoundTrips(@ForAll("quotedMailboxes") String mailbox) {
    assertRoundTrips(mailbox);
  }

  @Property
  void aMailboxWithDsnParametersKeepsItsAddressAndParameters(@ForAll("mailboxes") String mailbox) {
    CommandParser.PathAndParams parsed =
        CommandParser.parsePathCommand(
            "TO:<" + mailbox + "> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+2By", "TO:", false);

    assertThat(parsed).isNotNull();
    assertThat(parsed.path().address()).isEqualTo(mailbox);
    assertThat(parsed.params())
        .containsExactly(
            Map.entry("NOTIFY", "SUCCESS,FAILURE"), Map.entry("ORCPT", "rfc822;x+2By"));
  }

  @Property
  void aCrLfOrNulAnywhereInTheArgumentIsRejected(
      @ForAll("mailboxes") String mailbox,
      @ForAll("controls") char control,
      @ForAll("withOrWithoutParameters") String parameters,
      @ForAll @IntRange(min = 0, max = 1000) int where) {
    String valid = "TO:<" + mailbox + ">" + parameters;
    int at = where % (valid.length() + 1);
    String broken = valid.substring(0, at) + control + valid.substring(at);

    assertThat(CommandParser.parsePathCommand(broken, "TO:", false))
        .as("parse of %s", escape(broken))
        .isNull();
    assertThat(CommandParser.parsePathCommand("FROM:" + broken.substring(3), "FROM:", true))
        .as("parse of MAIL %s", escape(broken))
        .isNull();
  }

  @Property
  void unbalancedAngleBracketsAreRejected(
      @ForAll("mailboxes") String mailbox, @ForAll("unbalanced") String shape) {
    String args = "TO:" + shape.replace("M", mailbox);

    assertThat(CommandParser.parsePathCommand(args, "TO:", false)).as("parse of %s", args).isNull();
  }

  private static void assertRoundTrips(String mailbox) {
    for (String args : List.of("TO:<" + mailbox + ">", "TO: <" + mailbox + ">")) {
      CommandParser.PathAndParams rcpt = CommandParser.parsePathCommand(args, "TO:", false);
      assertThat(rcpt).as("RCPT %s", args).isNotNull();
      assertThat(rcpt.path().address()).isEqualTo(mailbox);
      assertThat(rcpt.params()).isEmpty();
      assertThat(rcpt.path().utf8()).isFalse();
    }
    CommandParser.PathAndParams mail =
        CommandParser.parsePathCommand("FROM:<" + mailbox + ">", "FROM:", true);
    assertThat(mail).isNotNull();
    assertThat(mail.path().address()).isEqualTo(mailbox);
  }

  // ---- generators (RFC 5321 §4.1.2)

  @Provide
  Arbitrary<String> mailboxes() {
    return Arbitraries.oneOf(dotAtomMailboxes(), quotedMailboxes());
  }

  @Provide
  Arbitrary<String> dotAtomMailboxes() {
    Arbitrary<String> atom =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withCharRange('A', 'Z')
            .withCharRange('0', '9')
            .withChars(ATEXT_SPECIALS.toCharArray())
            .ofMinLength(1)
            .ofMaxLength(12);
    Arbitrary<String> dotString =
        atom.list().ofMinSize(1).ofMaxSize(4).map(a -> String.join(".", a));
    return Combinators.combine(dotString, domains()).as((l, d) -> l + "@" + d);
  }

  @Provide
  Arbitrary<String> quotedMailboxes() {
    // qtextSMTP = %d32-33 / %d35-91 / %d93-126; quoted-pairSMTP = "\" %d32-126
    Arbitrary<String> qtext =
        Arbitraries.chars().range(' ', '~').filter(c -> c != '"' && c != '\\').map(String::valueOf);
    Arbitrary<String> quotedPair = Arbitraries.chars().range(' ', '~').map(c -> "\\" + c);
    Arbitrary<String> content =
        Arbitraries.frequencyOf(Tuple.of(4, qtext), Tuple.of(1, quotedPair))
            .list()
            .ofMaxSize(20)
            .map(parts -> String.join("", parts));
    return Combinators.combine(content, domains()).as((q, d) -> "\"" + q + "\"@" + d);
  }

  private Arbitrary<String> domains() {
    Arbitrary<String> letDig =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withCharRange('A', 'Z')
            .withCharRange('0', '9')
            .ofLength(1);
    Arbitrary<String> ldh =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withCharRange('0', '9')
            .withChars('-')
            .ofMaxLength(10);
    Arbitrary<String> label =
        Combinators.combine(letDig, ldh, letDig).as((first, middle, last) -> first + middle + last);
    Arbitrary<String> name =
        Arbitraries.oneOf(label, letDig)
            .list()
            .ofMinSize(1)
            .ofMaxSize(4)
            .map(labels -> String.join(".", labels));
    Arbitrary<String> ipv4 =
        Arbitraries.integers()
            .between(0, 255)
            .list()
            .ofSize(4)
            .map(
                octets ->
                    "[" + String.join(".", octets.stream().map(String::valueOf).toList()) + "]");
    return Arbitraries.frequencyOf(Tuple.of(9, name), Tuple.of(1, ipv4));
  }

  @Provide
  Arbitrary<Character> controls() {
    return Arbitraries.of('\r', '\n', '\0');
  }

  @Provide
  Arbitrary<String> withOrWithoutParameters() {
    return Arbitraries.of("", " ", " NOTIFY=NEVER", " NOTIFY=NEVER ORCPT=rfc822;a@b ");
  }

  @Provide
  Arbitrary<String> unbalanced() {
    return Arbitraries.of("<M", "M>", "<<M>", "<M>>", "<M<>", "<<M>>", "<M> >", ">M<");
  }

  private static String escape(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0");
  }
}
