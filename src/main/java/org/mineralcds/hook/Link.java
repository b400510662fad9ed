package org.mineralcds.hook;

/** A card link: {@code type} is absolute or smart. */
public record Link(
    String label, String url, String type, String appContext, Boolean autolaunchable) {}
