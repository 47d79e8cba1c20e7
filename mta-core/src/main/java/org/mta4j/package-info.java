/**
 * mta4j's entry point: {@link org.mta4j.Mta}, an embedded MTA built with a fluent builder.
 *
 * <p>The pipeline (see ARCHITECTURE.md): server → intake → queue → scheduler → routing → delivery.
 * This release has the server; the message handler is where an application takes the mail.
 */
package org.mta4j;
