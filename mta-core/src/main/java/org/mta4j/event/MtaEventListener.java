package org.mta4j.event;

/**
 * Receives {@link MtaEvent}s. Called on the thread where the event happens: keep it quick. A
 * listener that throws is logged and ignored; it never disturbs delivery.
 */
@FunctionalInterface
public interface MtaEventListener {
  void onEvent(MtaEvent event);
}
