package org.mineralcds.service;

import org.mineralcds.auth.Caller;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.HookResponse;
import org.mineralcds.hook.ServiceDescriptor;

/**
 * mineral-order-select on order-select: the selected draft orders against the patient's labs,
 * medications and problems; what it shows is remembered for order-sign (run-ahead).
 */
public final class OrderSelectService implements CdsService {

  private final OrderCheck check;

  public OrderSelectService(OrderCheck check) {
    this.check = check;
  }

  @Override
  public ServiceDescriptor descriptor() {
    return check.descriptor();
  }

  @Override
  public HookResponse call(HookRequest request, Caller caller, String baseUrl) {
    return check.call(request, caller, baseUrl, true);
  }

  /** As {@link #call}, also returning the orders, data and findings (for the check command). */
  public OrderCheck.Evaluation evaluate(HookRequest request, Caller caller, String baseUrl) {
    return check.evaluate(request, caller, baseUrl, true);
  }

  @Override
  public void feedback(Feedback feedback, Caller caller) {
    check.feedback(feedback, caller);
  }

  @Override
  public boolean memoryReady() {
    return check.memoryReady();
  }
}
