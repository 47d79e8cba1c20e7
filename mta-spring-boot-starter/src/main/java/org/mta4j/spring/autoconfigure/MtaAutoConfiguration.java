package org.mta4j.spring.autoconfigure;

import java.io.IOException;
import java.util.Locale;
import org.mta4j.Mta;
import org.mta4j.delivery.DeliveryHook;
import org.mta4j.dns.DnsResolver;
import org.mta4j.event.MtaEventListener;
import org.mta4j.intake.ContentStep;
import org.mta4j.queue.MemoryQueueStore;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.file.FileQueueStore;
import org.mta4j.routing.Router;
import org.mta4j.server.Authenticator;
import org.mta4j.server.SmtpPolicy;
import org.mta4j.spring.MtaBuilderCustomizer;
import org.mta4j.spring.MtaJavaMailSender;
import org.mta4j.spring.MtaLifecycle;
import org.mta4j.spring.MtaProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.mail.MailSender;

/**
 * Auto-configures an embedded {@link Mta} from the {@code mta.*} properties: the MTA itself, its
 * queue store, its lifecycle and a {@code JavaMailSender} that submits into it.
 *
 * <p>Beans of the application are picked up: every {@link SmtpPolicy}, {@link MtaEventListener} and
 * {@link ContentStep} (in {@code @Order}), and one {@link DeliveryHook}, {@link Router}, {@link
 * DnsResolver}, {@link Authenticator} and {@link QueueStore} each; {@link MtaBuilderCustomizer}s
 * run last. An application's own {@link Mta} bean replaces the auto-configured one; its own {@code
 * JavaMailSender} (or Spring Boot's, from {@code spring.mail.host}) makes the in-process one back
 * off.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.mail.autoconfigure.MailSenderAutoConfiguration",
      "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration"
    })
@ConditionalOnBooleanProperty(name = "mta.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MtaProperties.class)
@Import({
  MtaStoreAndSigningConfigurations.JdbcQueueConfiguration.class,
  MtaStoreAndSigningConfigurations.JdbcQueueMissingConfiguration.class,
  MtaStoreAndSigningConfigurations.DkimConfiguration.class,
  MtaStoreAndSigningConfigurations.DkimMissingConfiguration.class
})
public class MtaAutoConfiguration {

  /** The MTA, built but not started: {@link MtaLifecycle} starts and closes it. */
  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean
  public Mta mta(
      MtaProperties properties,
      QueueStore mtaQueueStore,
      ObjectProvider<SslBundles> sslBundles,
      ObjectProvider<SmtpPolicy> policies,
      ObjectProvider<MtaEventListener> listeners,
      ObjectProvider<ContentStep> contentSteps,
      ObjectProvider<DeliveryHook> deliveryHook,
      ObjectProvider<Router> router,
      ObjectProvider<DnsResolver> dnsResolver,
      ObjectProvider<Authenticator> authenticator,
      ObjectProvider<MtaBuilderCustomizer> customizers) {
    Authenticator auth = unique(authenticator, Authenticator.class);
    Mta.Builder b =
        MtaBuilderFactory.fromProperties(properties, sslBundles::getIfAvailable, auth != null);
    if (auth != null) {
      b.authenticator(auth);
    }
    b.queueStore(mtaQueueStore);
    policies.orderedStream().forEach(b::policy);
    listeners.orderedStream().forEach(b::eventListener);
    contentSteps.orderedStream().forEach(b::contentStep);
    DeliveryHook hook = unique(deliveryHook, DeliveryHook.class);
    if (hook != null) {
      b.localDelivery(hook);
    }
    Router r = unique(router, Router.class);
    if (r != null) {
      b.router(r);
    }
    DnsResolver dns = unique(dnsResolver, DnsResolver.class);
    if (dns != null) {
      b.dnsResolver(dns);
    }
    customizers.orderedStream().forEach(c -> c.customize(b));
    return MtaBuilderFactory.apply("mta", "(the options together)", b::build);
  }

  /** The one bean of a type (or the {@code @Primary} one), null for none; several fail. */
  private static <T> T unique(ObjectProvider<T> provider, Class<T> type) {
    T bean = provider.getIfUnique();
    if (bean == null && provider.stream().findAny().isPresent()) {
      throw new IllegalStateException(
          "the MTA takes one "
              + type.getSimpleName()
              + " bean, and there are several with none @Primary");
    }
    return bean;
  }

  /** Starts the MTA when the context is ready and drains it on shutdown. */
  @Bean
  @ConditionalOnMissingBean
  public MtaLifecycle mtaLifecycle(Mta mta) {
    return new MtaLifecycle(mta);
  }

  /** A {@code JavaMailSender} that submits into the embedded queue, unless the app has its own. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.mail.javamail.JavaMailSender",
        "jakarta.mail.internet.MimeMessage"
      })
  @ConditionalOnBooleanProperty(name = "mta.mail-sender.enabled", matchIfMissing = true)
  static class MailSenderConfiguration {

    @Bean
    @ConditionalOnMissingBean(MailSender.class)
    MtaJavaMailSender mtaJavaMailSender(Mta mta) {
      return new MtaJavaMailSender(mta);
    }
  }

  /** The default queue: in memory. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(name = "mta.queue.type", havingValue = "memory", matchIfMissing = true)
  static class MemoryQueueConfiguration {

    // closed by the MTA, which owns it
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    QueueStore mtaQueueStore() {
      return new MemoryQueueStore();
    }
  }

  /** {@code mta.queue.type=file}: a durable directory. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(name = "mta.queue.type", havingValue = "file")
  @ConditionalOnClass(name = "org.mta4j.queue.file.FileQueueStore")
  static class FileQueueConfiguration {

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    QueueStore mtaQueueStore(MtaProperties properties) throws IOException {
      MtaProperties.FileQueue f = properties.getQueue().getFile();
      if (f.getDirectory() == null) {
        throw new InvalidConfigurationPropertyValueException(
            "mta.queue.file.directory", null, "required with mta.queue.type=file");
      }
      FileQueueStore.Builder b = FileQueueStore.builder().directory(f.getDirectory());
      if (f.getDurability() != null) {
        String name = f.getDurability().trim().replace('-', '_').toUpperCase(Locale.ROOT);
        FileQueueStore.Durability d =
            MtaBuilderFactory.apply(
                "mta.queue.file.durability",
                f.getDurability(),
                () -> {
                  try {
                    return FileQueueStore.Durability.valueOf(name);
                  } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                        "must be group-commit, per-message or none", e);
                  }
                });
        b.durability(d);
      }
      return b.open();
    }
  }

  /** {@code mta.queue.type=file} without the module: fail and say what is missing. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(name = "mta.queue.type", havingValue = "file")
  @ConditionalOnMissingClass("org.mta4j.queue.file.FileQueueStore")
  static class FileQueueMissingConfiguration {

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    QueueStore mtaQueueStore() {
      throw new InvalidConfigurationPropertyValueException(
          "mta.queue.type", "file", "needs org.mta4j:mta-queue-file on the class path");
    }
  }
}
