package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.Mta;
import org.mta4j.queue.QueueFilter;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueuedMessage;
import org.mta4j.queue.jdbc.JdbcQueueStore;
import org.mta4j.spring.autoconfigure.MtaAutoConfiguration;
import org.mta4j.testing.Peers;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/** {@code mta.queue.type=jdbc}: the queue in the application's own H2 DataSource. */
class MtaJdbcQueueTest {

  private static ApplicationContextRunner withH2(Path dir) {
    return Runners.mta()
        .withConfiguration(
            AutoConfigurations.of(DataSourceAutoConfiguration.class, MtaAutoConfiguration.class))
        .withPropertyValues(Runners.relayTo(Peers.freePort())) // nothing there: mail stays queued
        .withPropertyValues(
            "spring.datasource.url=jdbc:h2:file:" + dir.resolve("app") + ";DB_CLOSE_DELAY=0",
            "spring.datasource.username=sa",
            "mta.queue.type=jdbc");
  }

  private static void send(JavaMailSender sender, String to) {
    SimpleMailMessage m = new SimpleMailMessage();
    m.setFrom("app@starter.test");
    m.setTo(to);
    m.setSubject("jdbc queue");
    m.setText("hello");
    sender.send(m);
  }

  @Test
  void theQueueLivesInTheAppsDataSourceAndSurvivesARestart(@TempDir Path dir) {
    withH2(dir)
        .withPropertyValues("mta.queue.jdbc.table-prefix=relay_")
        .run(
            context -> {
              assertThat(context.getBean(QueueStore.class)).isInstanceOf(JdbcQueueStore.class);
              assertThat(context.getBean(Mta.class).queue())
                  .isSameAs(context.getBean(QueueStore.class));
              send(context.getBean(JavaMailSender.class), "rita@remote.test");
              List<String> tables =
                  new JdbcTemplate(context.getBean(DataSource.class))
                      .queryForList(
                          "SELECT LOWER(TABLE_NAME) FROM INFORMATION_SCHEMA.TABLES"
                              + " WHERE LOWER(TABLE_NAME) LIKE 'relay\\_%'",
                          String.class);
              assertThat(tables).contains("relay_message");
            });
    withH2(dir)
        .withPropertyValues("mta.queue.jdbc.table-prefix=relay_")
        .run(
            context -> {
              List<QueuedMessage> queued =
                  context.getBean(Mta.class).queue().list(QueueFilter.all(Instant.now()));
              assertThat(queued).singleElement();
              assertThat(queued.get(0).recipients().get(0).recipient().address())
                  .isEqualTo("rita@remote.test");
            });
  }

  @Test
  void healthIsDownWhenTheQueueTablesCannotBeRead(@TempDir Path dir) {
    withH2(dir)
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                MtaAutoConfiguration.class,
                org.mta4j.spring.autoconfigure.MtaActuatorAutoConfiguration.class))
        .withPropertyValues("mta.metrics.queue-scan-interval=1ms")
        .run(
            context -> {
              MtaHealthIndicator health = context.getBean(MtaHealthIndicator.class);
              assertThat(health.health().getStatus())
                  .isEqualTo(org.springframework.boot.health.contributor.Status.UP);
              // the queue's tables vanish under the store
              new JdbcTemplate(context.getBean(DataSource.class)).execute("DROP ALL OBJECTS");
              var h = health.health();
              assertThat(h.getStatus())
                  .isEqualTo(org.springframework.boot.health.contributor.Status.DOWN);
              assertThat(h.getDetails()).containsEntry("reason", "the queue store cannot be read");
            });
  }

  @Test
  void withoutADataSourceStartupFailsNamingTheQueueType() {
    Runners.mta()
        .withPropertyValues("mta.queue.type=jdbc")
        .run(
            context ->
                assertThat(Startup.failedOn(context, "mta.queue.type").getReason())
                    .contains("DataSource"));
  }

  @Test
  void withoutTheModuleStartupFailsNamingIt(@TempDir Path dir) {
    withH2(dir)
        .withClassLoader(new FilteredClassLoader(JdbcQueueStore.class))
        .run(
            context ->
                assertThat(Startup.failedOn(context, "mta.queue.type").getReason())
                    .contains("mta-queue-jdbc"));
  }

  @Test
  void aBadTablePrefixIsNamed(@TempDir Path dir) {
    withH2(dir)
        .withPropertyValues("mta.queue.jdbc.table-prefix=drop table;")
        .run(context -> Startup.failedOn(context, "mta.queue.jdbc.table-prefix"));
  }
}
