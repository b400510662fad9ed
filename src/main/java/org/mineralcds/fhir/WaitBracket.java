package org.mineralcds.fhir;

/**
 * What the loader does around each wait for a FHIR server. The HTTP transport gives up the hook
 * call's CPU slot meanwhile, so a call waiting on the network does not keep another from running.
 */
@FunctionalInterface
public interface WaitBracket {

  /** No bracket: the wait simply runs (the check command, tests). */
  WaitBracket NONE = Runnable::run;

  /** Runs {@code wait}, which blocks on FHIR server calls, on the calling thread. */
  void around(Runnable wait);
}
