/**
 * Spring Boot support for an embedded mta4j relay: the {@code mta.*} {@link
 * org.mta4j.spring.MtaProperties}, the {@link org.mta4j.spring.MtaLifecycle} that starts and drains
 * the MTA with the context, a {@code JavaMailSender} that submits in-process, and the Actuator
 * parts (health, Micrometer meters from {@link org.mta4j.event.MtaEvent}s, the {@code mtaqueue}
 * endpoint). It sits beside the pipeline: it configures and observes it, it adds no stage.
 */
package org.mta4j.spring;
