package org.mineralcds.hook;

import java.util.List;
import java.util.Map;

/**
 * A CDS Hooks 2.0 card. Optional members are null or empty and are then omitted on the wire.
 *
 * @param extension CDS Hooks 2.0 extensions: machine-readable data for EHRs and analytics (the rule
 *     ids behind the card), kept out of the clinician's text
 */
public record Card(
    String uuid,
    String summary,
    String detail,
    String indicator,
    Source source,
    List<Suggestion> suggestions,
    String selectionBehavior,
    List<Coding> overrideReasons,
    List<Link> links,
    Map<String, Object> extension) {}
