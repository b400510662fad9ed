package org.mineralcds.memory;

/** Feedback the memory refuses (another caller's card, a suggestion not on the card). */
public final class FeedbackRejectedException extends RuntimeException {

  private final boolean forbidden;

  public FeedbackRejectedException(String message, boolean forbidden) {
    super(message);
    this.forbidden = forbidden;
  }

  /** The card belongs to another caller (as opposed to a malformed item). */
  public boolean forbidden() {
    return forbidden;
  }
}
