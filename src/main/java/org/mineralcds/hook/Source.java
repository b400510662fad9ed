package org.mineralcds.hook;

/**
 * Card source: label required; url to a page about the source of the card (mineral-cds serves one
 * per rule); topic for filtering and analytics.
 */
public record Source(String label, String url, String icon, Coding topic) {}
