package org.mineralcds.clinical;

/** A coding as found in the source data: system and code may be null, display may be null. */
public record CodeRef(String system, String code, String display) {}
