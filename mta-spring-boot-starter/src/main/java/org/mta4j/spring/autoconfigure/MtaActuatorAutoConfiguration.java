package org.mta4j.spring.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.mta4j.Mta;
import org.mta4j.spring.MtaHealthIndicator;
import org.mta4j.spring.MtaLifecycle;
import org.mta4j.spring.MtaMetrics;
import org.mta4j.spring.MtaProperties;
import org.mta4j.spring.MtaQueueEndpoint;
import org.mta4j.spring.MtaQueueGauges;
import org.mta4j.spring.QueueReading;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Actuator for the embedded MTA, each part when its Spring Boot module is on the class path: the
 * {@code mta} health indicator (spring-boot-health), Micrometer meters (spring-boot-micrometer
 * -metrics) and the {@code mtaqueue} endpoint (spring-boot-actuator).
 */
@AutoConfiguration(
    after = MtaAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnBean(Mta.class)
public class MtaActuatorAutoConfiguration {

  /** Shared by the health indicator and the gauges, so they ask the store once per interval. */
  @Bean
  @ConditionalOnMissingBean
  public QueueReading.Reader mtaQueueReader(Mta mta, MtaProperties properties) {
    MtaProperties.Metrics m = properties.getMetrics();
    return MtaBuilderFactory.apply(
        "mta.metrics.queue-scan-limit",
        m.getQueueScanLimit(),
        () ->
            new QueueReading.Reader(
                mta.queue(), Clock.systemUTC(), m.getQueueScanInterval(), m.getQueueScanLimit()));
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnEnabledHealthIndicator("mta")
  static class HealthConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "mtaHealthIndicator")
    MtaHealthIndicator mtaHealthIndicator(
        Mta mta, MtaLifecycle lifecycle, QueueReading.Reader reader, MtaProperties properties) {
      MtaProperties.Health h = properties.getHealth();
      if (h.getMaxQueueDepth() < 0) {
        throw new org.springframework.boot.context.properties.source
            .InvalidConfigurationPropertyValueException(
            "mta.health.max-queue-depth", h.getMaxQueueDepth(), "must be >= 0");
      }
      return new MtaHealthIndicator(
          mta,
          lifecycle,
          reader,
          properties.getServer().isEnabled(),
          h.getMaxQueueDepth(),
          h.getMaxDeferredAge());
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  @ConditionalOnBean(type = "io.micrometer.core.instrument.MeterRegistry")
  static class MetricsConfiguration {

    /** An event listener: the MTA bean picks it up with the application's listeners. */
    @Bean
    @ConditionalOnMissingBean
    MtaMetrics mtaMetrics(MeterRegistry registry, MtaProperties properties) {
      int max = properties.getMetrics().getMaxDomainTags();
      return MtaBuilderFactory.apply(
          "mta.metrics.max-domain-tags", max, () -> new MtaMetrics(registry, max));
    }

    @Bean
    @ConditionalOnMissingBean
    MtaQueueGauges mtaQueueGauges(Mta mta, QueueReading.Reader reader) {
      return new MtaQueueGauges(mta, reader);
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name =
          "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint")
  @ConditionalOnAvailableEndpoint(MtaQueueEndpoint.class)
  static class EndpointConfiguration {

    @Bean
    @ConditionalOnMissingBean
    MtaQueueEndpoint mtaQueueEndpoint(Mta mta) {
      return new MtaQueueEndpoint(mta.queue(), Clock.systemUTC());
    }
  }
}
