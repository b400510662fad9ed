package org.mineralcds.fhir;

import java.io.IOException;
import java.io.InputStream;
import org.apache.http.HttpEntity;
import org.apache.http.entity.HttpEntityWrapper;
import org.mineralcds.io.CappedInputStream;

/** A response body that fails once it exceeds a size cap, so no FHIR server can exhaust memory. */
final class SizeLimitedEntity extends HttpEntityWrapper {

  private final long maxBytes;

  SizeLimitedEntity(HttpEntity entity, long maxBytes) {
    super(entity);
    this.maxBytes = maxBytes;
  }

  @Override
  public InputStream getContent() throws IOException {
    return new CappedInputStream(super.getContent(), maxBytes);
  }
}
