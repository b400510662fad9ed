package org.mineralcds.service;

import org.mineralcds.auth.Caller;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.HookResponse;
import org.mineralcds.hook.ServiceDescriptor;

/** One CDS service: its discovery entry, its hook call and its feedback. Thread-safe. */
public interface CdsService {

  ServiceDescriptor descriptor();

  /**
   * @param baseUrl the service's public base URL (configured, else the one the request came to):
   *     cards link to pages under it
   * @throws org.mineralcds.hook.HookError for calls that cannot be answered with cards
   */
  HookResponse call(HookRequest request, Caller caller, String baseUrl);

  /**
   * Stores feedback from {@code caller}; returns once it is durably stored.
   *
   * @throws org.mineralcds.hook.HookError 4xx for feedback that cannot be accepted, 503 when it
   *     cannot be stored now
   */
  void feedback(Feedback feedback, Caller caller);

  /** Everything the service needs to store feedback is up (readiness). */
  default boolean memoryReady() {
    return true;
  }
}
