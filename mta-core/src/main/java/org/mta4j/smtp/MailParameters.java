package org.mta4j.smtp;

/**
 * The parameters of a MAIL command.
 *
 * @param body the BODY parameter (RFC 6152, RFC 3030); {@link Body#SEVEN_BIT} when absent
 * @param declaredSize the SIZE parameter (RFC 1870), or -1 when absent
 * @param smtpUtf8 true when the SMTPUTF8 parameter (RFC 6531) was given
 * @param ret the DSN RET parameter (RFC 3461 §4.3), or {@code null}
 * @param envid the DSN ENVID parameter as given (xtext), or {@code null}
 * @param auth the AUTH parameter (RFC 4954 §5) as given, or {@code null}
 */
public record MailParameters(
    Body body, long declaredSize, boolean smtpUtf8, Ret ret, String envid, String auth) {

  /** The BODY values. */
  public enum Body {
    SEVEN_BIT,
    EIGHT_BIT_MIME,
    BINARY_MIME
  }

  /** RFC 3461 RET values. */
  public enum Ret {
    FULL,
    HDRS
  }

  /** No parameters. */
  public static final MailParameters NONE =
      new MailParameters(Body.SEVEN_BIT, -1, false, null, null, null);

  public MailParameters {
    if (body == null) {
      body = Body.SEVEN_BIT;
    }
  }
}
