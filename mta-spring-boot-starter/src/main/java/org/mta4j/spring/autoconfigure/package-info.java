/**
 * The auto-configuration classes of the starter, listed in {@code
 * META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports}. Applications
 * do not use them directly; they exclude or order against them.
 */
package org.mta4j.spring.autoconfigure;
