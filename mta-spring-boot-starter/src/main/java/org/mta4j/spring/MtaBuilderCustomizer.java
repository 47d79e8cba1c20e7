package org.mta4j.spring;

import org.mta4j.Mta;

/**
 * Changes the {@link Mta.Builder} after the starter has applied the {@code mta.*} properties and
 * the context's beans, just before the MTA is built: the place for options that have no property (a
 * custom SMTP client, a transport map, a clock). Customizers run in {@link
 * org.springframework.core.Ordered} order.
 *
 * <pre>{@code
 * @Bean
 * MtaBuilderCustomizer transports() {
 *   return builder -> builder.transport("partner.example", Route.Smtp.relay("10.0.0.5", 25));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface MtaBuilderCustomizer {

  /** Changes the builder; a thrown exception fails startup. */
  void customize(Mta.Builder builder);
}
