package org.mineralcds.rules;

/**
 * A test to offer as a draft order.
 *
 * @param reasonReference the result that prompted it, e.g. "Observation/123", or null
 */
public record SuggestedTest(TestSpec test, String reasonReference, String reasonDisplay) {}
