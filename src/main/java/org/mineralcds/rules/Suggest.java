package org.mineralcds.rules;

/** Offer {@code test} unless it was resulted within {@code notWithinDays} or is pending. */
public record Suggest(TestSpec test, int notWithinDays) {}
