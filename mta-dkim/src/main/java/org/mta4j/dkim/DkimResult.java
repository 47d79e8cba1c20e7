package org.mta4j.dkim;

import java.util.Objects;

/**
 * The outcome of one DKIM signature.
 *
 * @param status the verdict, in RFC 8601's terms
 * @param domain the signing domain ({@code d=}), lower case; empty when the field is too broken to
 *     tell
 * @param selector the selector ({@code s=}); empty when unknown
 * @param algorithm the algorithm ({@code a=}), e.g. {@code rsa-sha256}; empty when unknown
 * @param identity the agent or user identity ({@code i=}); empty when the field has none
 * @param signature the signature ({@code b=}, base64 without whitespace); empty when unknown
 * @param reason why the status is not {@link Status#PASS}; empty for a pass
 */
public record DkimResult(
    Status status,
    String domain,
    String selector,
    String algorithm,
    String identity,
    String signature,
    String reason) {

  /**
   * RFC 8601 §2.7.1's DKIM results, as mta4j uses them.
   *
   * <ul>
   *   <li>{@link #PASS}: the signature verifies;
   *   <li>{@link #FAIL}: it does not: body hash mismatch, bad signature, or expired ({@code x=});
   *   <li>{@link #NEUTRAL}: it cannot be processed: syntax error, missing tag, unsupported version,
   *       algorithm (also {@code rsa-sha1}, RFC 8301), canonicalization or query method;
   *   <li>{@link #TEMPERROR}: the key record could not be fetched for now (DNS failure);
   *   <li>{@link #PERMERROR}: a lasting problem: no key record, revoked key (empty {@code p=}), key
   *       record unusable or restricted ({@code k=}, {@code h=}, {@code s=}, {@code t=s}), RSA key
   *       under 1024 bits, {@code h=} without From, {@code i=} outside {@code d=}.
   * </ul>
   */
  public enum Status {
    PASS,
    FAIL,
    NEUTRAL,
    TEMPERROR,
    PERMERROR;

    /** The result keyword of {@code Authentication-Results}: {@code pass}, {@code fail}... */
    public String keyword() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public DkimResult {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(selector, "selector");
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(reason, "reason");
  }

  /** Whether the signature verified. */
  public boolean passed() {
    return status == Status.PASS;
  }
}
