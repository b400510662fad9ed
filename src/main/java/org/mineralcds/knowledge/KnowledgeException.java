package org.mineralcds.knowledge;

import java.util.List;

/** The knowledge files are malformed; the message lists every problem with file, rule and field. */
public final class KnowledgeException extends RuntimeException {

  private final List<String> problems;

  public KnowledgeException(List<String> problems) {
    super("invalid knowledge files:\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
