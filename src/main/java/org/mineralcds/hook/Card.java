package org.mineralcds.hook;

import java.util.List;

/** A CDS Hooks 2.0 card. Optional members are null or empty and are then omitted on the wire. */
public record Card(
    String uuid,
    String summary,
    String detail,
    String indicator,
    Source source,
    List<Suggestion> suggestions,
    String selectionBehavior,
    List<Coding> overrideReasons,
    List<Link> links) {}
