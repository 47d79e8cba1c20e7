package org.mta4j.routing;

import java.util.List;
import java.util.Objects;

/**
 * Where mail for one domain can go: the hosts to try in order, or why there are none.
 *
 * <p>The failures carry an RFC 3463 enhanced status code for the delivery status notification:
 * {@link PermanentFailure} means the message is to be returned now ({@code 5.x.x}), {@link
 * TemporaryFailure} that it stays queued for another attempt ({@code 4.x.x}).
 */
public sealed interface MxPlan
    permits MxPlan.Hosts, MxPlan.PermanentFailure, MxPlan.TemporaryFailure {

  /**
   * The hosts to try, best first: by MX preference, hosts of equal preference in random order (RFC
   * 5321 §5.1). Hosts whose addresses could not be found are left out.
   *
   * @param hosts at least one host
   */
  record Hosts(List<MxHost> hosts) implements MxPlan {
    public Hosts {
      hosts = List.copyOf(hosts);
      if (hosts.isEmpty()) {
        throw new IllegalArgumentException("hosts must not be empty; use a failure");
      }
    }
  }

  /**
   * The domain cannot receive mail and asking again will not change that.
   *
   * @param enhancedStatus a {@code 5.x.x} code, e.g. {@code 5.1.2} or {@code 5.1.10}
   * @param reason a human-readable explanation for logs and bounces
   */
  record PermanentFailure(String enhancedStatus, String reason) implements MxPlan {
    public PermanentFailure {
      MxStatus.check('5', enhancedStatus);
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * The hosts cannot be found now (DNS failure or timeout); try again later.
   *
   * @param enhancedStatus a {@code 4.x.x} code, e.g. {@code 4.4.3}
   * @param reason a human-readable explanation for logs and bounces
   */
  record TemporaryFailure(String enhancedStatus, String reason) implements MxPlan {
    public TemporaryFailure {
      MxStatus.check('4', enhancedStatus);
      Objects.requireNonNull(reason, "reason");
    }
  }
}
