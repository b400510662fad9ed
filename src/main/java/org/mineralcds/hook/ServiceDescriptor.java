package org.mineralcds.hook;

import java.util.Map;

/** One entry of the discovery response. */
public record ServiceDescriptor(
    String hook,
    String title,
    String description,
    String id,
    Map<String, String> prefetch,
    String usageRequirements) {}
