package org.mta4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;

/** Assertions on a context that failed to start. */
final class Startup {
  private Startup() {}

  /** The failure's cause that names {@code property}, asserting there is one. */
  static InvalidConfigurationPropertyValueException failedOn(
      AssertableApplicationContext context, String property) {
    assertThat(context).hasFailed();
    Throwable t = context.getStartupFailure();
    while (t != null && !(t instanceof InvalidConfigurationPropertyValueException)) {
      t = t.getCause();
    }
    assertThat(t)
        .as("an InvalidConfigurationPropertyValueException in %s", context.getStartupFailure())
        .isInstanceOf(InvalidConfigurationPropertyValueException.class);
    InvalidConfigurationPropertyValueException e = (InvalidConfigurationPropertyValueException) t;
    assertThat(e.getName()).isEqualTo(property);
    return e;
  }
}
