package org.mineralcds.hook;

/** Card source: label required; url to the evidence; topic for filtering and analytics. */
public record Source(String label, String url, String icon, Coding topic) {}
