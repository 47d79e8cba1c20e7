/**
 * Spring Boot auto-configuration of an embedded mta4j relay.
 *
 * <p>Not built yet: see the project's issues. The module exists so that the reactor has the shape
 * of the design card from the first commit.
 */
package org.mta4j.spring;
