package org.mineralcds.rules;

/** A source a threshold or card relies on. */
public record Citation(String key, String title, String url) {}
