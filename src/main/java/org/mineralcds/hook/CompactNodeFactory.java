package org.mineralcds.hook;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Jackson's tree with each object's members in a {@link SmallObjectMap}; nothing else differs. */
final class CompactNodeFactory extends JsonNodeFactory {

  private static final long serialVersionUID = 1L;

  @Override
  public ObjectNode objectNode() {
    return new ObjectNode(this, new SmallObjectMap());
  }
}
