package org.mineralcds.hook;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** {@code GET /cds-services}: always has a services array. */
public record Discovery(
    @JsonInclude(JsonInclude.Include.ALWAYS) List<ServiceDescriptor> services) {}
