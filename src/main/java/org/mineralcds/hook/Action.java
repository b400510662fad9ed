package org.mineralcds.hook;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A suggested action. {@code resource} is a FHIR R4 resource as JSON; {@code resourceId} a relative
 * reference (delete actions).
 */
public record Action(String type, String description, JsonNode resource, String resourceId) {}
