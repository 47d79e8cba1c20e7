package org.mta4j.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import javax.sql.DataSource;
import org.mta4j.dkim.DkimSigner;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.jdbc.JdbcQueueStore;
import org.mta4j.spring.MtaProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The parts of {@link MtaAutoConfiguration} that need an optional mta4j module: the JDBC queue
 * (mta-queue-jdbc) and DKIM signing (mta-dkim). Each is behind a class condition, and asking for it
 * without the module fails startup saying which module is missing.
 */
final class MtaStoreAndSigningConfigurations {
  private MtaStoreAndSigningConfigurations() {}

  /** {@code mta.queue.type=jdbc}: tables in the application's DataSource. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(name = "mta.queue.type", havingValue = "jdbc")
  @ConditionalOnClass(name = "org.mta4j.queue.jdbc.JdbcQueueStore")
  static class JdbcQueueConfiguration {

    // closed by the MTA; closing it leaves the DataSource alone (the application owns that)
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    QueueStore mtaQueueStore(MtaProperties properties, ObjectProvider<DataSource> dataSource)
        throws IOException {
      DataSource ds = dataSource.getIfUnique();
      if (ds == null) {
        throw new InvalidConfigurationPropertyValueException(
            "mta.queue.type",
            "jdbc",
            "needs one DataSource bean in the context (e.g. from spring.datasource.*)");
      }
      MtaProperties.JdbcQueue j = properties.getQueue().getJdbc();
      JdbcQueueStore.Builder b = JdbcQueueStore.builder().dataSource(ds);
      if (j.getTablePrefix() != null) {
        MtaBuilderFactory.apply(
            "mta.queue.jdbc.table-prefix",
            j.getTablePrefix(),
            () -> b.tablePrefix(j.getTablePrefix()));
      }
      if (j.getSchema() != null) {
        MtaBuilderFactory.apply(
            "mta.queue.jdbc.schema", j.getSchema(), () -> b.schema(j.getSchema()));
      }
      b.createSchema(j.isCreateSchema());
      return b.build();
    }
  }

  /** {@code mta.queue.type=jdbc} without the module: fail and say what is missing. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(name = "mta.queue.type", havingValue = "jdbc")
  @ConditionalOnMissingClass("org.mta4j.queue.jdbc.JdbcQueueStore")
  static class JdbcQueueMissingConfiguration {

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    QueueStore mtaQueueStore() {
      throw new InvalidConfigurationPropertyValueException(
          "mta.queue.type", "jdbc", "needs org.mta4j:mta-queue-jdbc on the class path");
    }
  }

  /**
   * {@code mta.dkim.keys}: a {@link DkimSigner}, which is a {@code ContentStep}, so the MTA picks
   * it up with the application's own steps.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.mta4j.dkim.DkimSigner")
  @Conditional(OnDkimKeys.class)
  static class DkimConfiguration {

    @Bean
    @ConditionalOnMissingBean
    DkimSigner mtaDkimSigner(MtaProperties properties) {
      List<MtaProperties.DkimKey> keys = properties.getDkim().getKeys();
      DkimSigner.Builder b = DkimSigner.builder();
      for (int i = 0; i < keys.size(); i++) {
        MtaProperties.DkimKey k = keys.get(i);
        String prefix = "mta.dkim.keys[" + i + "].";
        if (k.getDomain() == null || k.getDomain().isBlank()) {
          throw new InvalidConfigurationPropertyValueException(prefix + "domain", null, "required");
        }
        if (k.getSelector() == null || k.getSelector().isBlank()) {
          throw new InvalidConfigurationPropertyValueException(
              prefix + "selector", null, "required");
        }
        if (k.getPrivateKey() == null || !Files.isReadable(k.getPrivateKey())) {
          throw new InvalidConfigurationPropertyValueException(
              prefix + "private-key", k.getPrivateKey(), "a readable PEM file is required");
        }
        MtaBuilderFactory.apply(
            prefix + "private-key",
            k.getPrivateKey(),
            () -> b.key(k.getDomain(), k.getSelector(), k.getPrivateKey()));
      }
      return MtaBuilderFactory.apply("mta.dkim.keys", keys.size() + " keys", b::build);
    }
  }

  /** {@code mta.dkim.keys} without the module: fail and say what is missing. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingClass("org.mta4j.dkim.DkimSigner")
  @Conditional(OnDkimKeys.class)
  static class DkimMissingConfiguration {

    @Bean
    Object mtaDkimSigner() {
      throw new InvalidConfigurationPropertyValueException(
          "mta.dkim.keys", "(set)", "needs org.mta4j:mta-dkim on the class path");
    }
  }

  /** Matches when at least one {@code mta.dkim.keys} entry is set. */
  static final class OnDkimKeys extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(
        ConditionContext context, AnnotatedTypeMetadata metadata) {
      List<MtaProperties.DkimKey> keys =
          Binder.get(context.getEnvironment())
              .bind("mta.dkim.keys", Bindable.listOf(MtaProperties.DkimKey.class))
              .orElse(List.of());
      return keys.isEmpty()
          ? ConditionOutcome.noMatch("no mta.dkim.keys")
          : ConditionOutcome.match(keys.size() + " mta.dkim.keys");
    }
  }
}
