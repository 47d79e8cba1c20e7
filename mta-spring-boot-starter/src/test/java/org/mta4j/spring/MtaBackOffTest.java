package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.mta4j.Mta;
import org.mta4j.queue.MemoryQueueStore;
import org.mta4j.queue.QueueStore;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.mail.autoconfigure.MailSenderAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.JavaMailSenderImpl;

/** When the starter steps aside for the application's own beans and settings. */
class MtaBackOffTest {

  @Test
  void withNoCodeTheJavaMailSenderIsTheInProcessOne() {
    Runners.mta()
        .run(
            context ->
                assertThat(context)
                    .getBean(JavaMailSender.class)
                    .isInstanceOf(MtaJavaMailSender.class));
  }

  @Test
  void anApplicationJavaMailSenderWins() {
    Runners.mta()
        .withUserConfiguration(OwnMailSender.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(JavaMailSender.class);
              assertThat(context).doesNotHaveBean(MtaJavaMailSender.class);
              assertThat(context).hasSingleBean(Mta.class);
            });
  }

  @Test
  void springMailHostMeansBootsClientSenderAndOursBacksOff() {
    Runners.mta()
        .withConfiguration(
            AutoConfigurations.of(
                MailSenderAutoConfiguration.class,
                org.mta4j.spring.autoconfigure.MtaAutoConfiguration.class))
        .withPropertyValues("spring.mail.host=smtp.example.test")
        .run(
            context -> {
              assertThat(context).hasSingleBean(JavaMailSender.class);
              assertThat(context.getBean(JavaMailSender.class))
                  .isInstanceOf(JavaMailSenderImpl.class);
            });
  }

  @Test
  void mailSenderCanBeTurnedOff() {
    Runners.mta()
        .withPropertyValues("mta.mail-sender.enabled=false")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(JavaMailSender.class);
              assertThat(context).hasSingleBean(Mta.class);
            });
  }

  @Test
  void noSpringMailOnTheClassPathMeansNoMailSender() {
    Runners.mta()
        .withClassLoader(new FilteredClassLoader(JavaMailSender.class))
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(MtaJavaMailSender.class);
              assertThat(context).hasSingleBean(Mta.class);
            });
  }

  @Test
  void mtaEnabledFalseConfiguresNothing() {
    Runners.mta()
        .withPropertyValues("mta.enabled=false")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(Mta.class);
              assertThat(context).doesNotHaveBean(MtaLifecycle.class);
              assertThat(context).doesNotHaveBean(JavaMailSender.class);
            });
  }

  @Test
  void anApplicationMtaWinsAndIsStillStartedAndStopped() {
    Runners.mta()
        .withUserConfiguration(OwnMta.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(Mta.class);
              Mta mta = context.getBean(Mta.class);
              assertThat(mta.hostname()).isEqualTo("own.example.test");
              assertThat(mta.boundPorts()).hasSize(1);
              assertThat(context.getBean(MtaJavaMailSender.class)).isNotNull();
            });
  }

  @Test
  void anApplicationQueueStoreIsTheMtasQueue() {
    Runners.mta()
        .withUserConfiguration(OwnStore.class)
        .run(
            context ->
                assertThat(context.getBean(Mta.class).queue())
                    .isSameAs(context.getBean(OwnStore.class).store));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnMailSender {
    @Bean
    JavaMailSender ownSender() {
      return new JavaMailSenderImpl();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnMta {
    @Bean(destroyMethod = "")
    Mta ownMta() {
      return Mta.builder()
          .hostname("own.example.test")
          .listener(org.mta4j.server.Listener.smtp("127.0.0.1", 0))
          .build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnStore {
    final MemoryQueueStore store = new MemoryQueueStore();

    @Bean(destroyMethod = "")
    QueueStore ownStore() {
      return store;
    }
  }
}
