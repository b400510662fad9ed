package org.mineralcds.memory;

/** The database cannot be reached or failed: the caller should retry later. */
public final class MemoryUnavailableException extends RuntimeException {
  public MemoryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
