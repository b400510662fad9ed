package org.mineralcds.clinical;

import java.util.List;

/** A drug ingredient: codes are optional (unverified codes are left out of the data). */
public record Ingredient(
    String name,
    String rxnorm,
    String atc,
    List<String> aliases,
    List<String> brands,
    DrugClass drugClass) {

  public Ingredient {
    aliases = List.copyOf(aliases);
    brands = List.copyOf(brands);
  }
}
