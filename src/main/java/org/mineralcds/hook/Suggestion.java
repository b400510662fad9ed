package org.mineralcds.hook;

import java.util.List;

/** A suggestion a clinician can accept in one click. */
public record Suggestion(String label, String uuid, Boolean isRecommended, List<Action> actions) {}
