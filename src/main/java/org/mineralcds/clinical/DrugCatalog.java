package org.mineralcds.clinical;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Recognises drugs in medication codings and text: by RxNorm ingredient code, by ATC code (the
 * ingredient's own code, or a class prefix), or by ingredient, alias or brand name appearing as
 * whole words in a display or text. Name matching is what makes SCD/SBD product codes and free-text
 * medications work without an RxNorm terminology server.
 */
public final class DrugCatalog {

  public static final String RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm";
  public static final String ATC_SYSTEM = "http://www.whocc.no/atc";
  private static final Pattern NON_WORD = Pattern.compile("[^a-z0-9]+");

  private final List<DrugClass> classes;
  private final List<Ingredient> ingredients;
  private final Map<String, Ingredient> byRxnorm = new LinkedHashMap<>();
  private final Map<String, Ingredient> byAtc = new LinkedHashMap<>();
  private final Map<String, Ingredient> byName = new LinkedHashMap<>();

  /** Each name's position in {@link #byName}: matches are reported in catalogue order. */
  private final Map<String, Integer> nameOrder = new HashMap<>();

  /**
   * Medications already recognised, by their codings, texts, route and form. A record lists the
   * same few drug concepts over and over (every renewal, every patient on the same product), and
   * matching names in text is the costly part of mapping a medication.
   */
  private final Map<Recognition, Set<Ingredient>> recognised = new ConcurrentHashMap<>();

  private static final int RECOGNISED_MAX = 4096;

  private record Recognition(
      List<CodeRef> codings, List<String> texts, List<CodeRef> routeAndForm) {}

  /** The most words in one name: longer runs of words in a text cannot be a name. */
  private final int maxNameWords;

  public DrugCatalog(List<DrugClass> classes, List<Ingredient> ingredients) {
    this.classes = List.copyOf(classes);
    this.ingredients = List.copyOf(ingredients);
    for (Ingredient ingredient : ingredients) {
      if (ingredient.rxnorm() != null) {
        putUnique(byRxnorm, ingredient.rxnorm(), ingredient, "RxNorm code");
      }
      if (ingredient.atc() != null) {
        putUnique(byAtc, ingredient.atc(), ingredient, "ATC code");
      }
      putUnique(byName, words(ingredient.name()), ingredient, "name");
      for (String alias : ingredient.aliases()) {
        putUnique(byName, words(alias), ingredient, "alias");
      }
      for (String brand : ingredient.brands()) {
        putUnique(byName, words(brand), ingredient, "brand");
      }
    }
    int longest = 1;
    for (String name : byName.keySet()) {
      nameOrder.put(name, nameOrder.size());
      longest = Math.max(longest, name.split(" ").length);
    }
    this.maxNameWords = longest;
  }

  private static void putUnique(
      Map<String, Ingredient> map, String key, Ingredient ingredient, String what) {
    Ingredient previous = map.putIfAbsent(key, ingredient);
    if (previous != null && previous != ingredient) {
      throw new IllegalArgumentException(
          what + " '" + key + "' given to both " + previous.name() + " and " + ingredient.name());
    }
  }

  /** The drug classes, in declaration order. */
  public List<DrugClass> classes() {
    return classes;
  }

  /** The ingredients (class members), in declaration order. */
  public List<Ingredient> ingredients() {
    return ingredients;
  }

  /**
   * Words of a route or dose form applied locally (skin, eye, ear, airways, vagina). Nasal is not
   * among them: intranasal ketorolac, for one, is absorbed systemically.
   */
  private static final Set<String> LOCAL_WORDS =
      Set.of(
          "topical",
          "cutaneous",
          "dermal",
          "cream",
          "ointment",
          "lotion",
          "gel",
          "foam",
          "shampoo",
          "ophthalmic",
          "ocular",
          "eye",
          "otic",
          "auricular",
          "ear",
          "inhalation",
          "inhalant",
          "inhaled",
          "inhaler",
          "nebulizer",
          "vaginal");

  /** Words of a systemic route or dose form: they win over a local word in the same texts. */
  private static final Set<String> SYSTEMIC_WORDS =
      Set.of(
          "oral",
          "tablet",
          "tablets",
          "capsule",
          "capsules",
          "injection",
          "injectable",
          "intravenous",
          "intramuscular",
          "subcutaneous",
          "infusion",
          "transdermal",
          "rectal",
          "enema",
          "suppository");

  /** SNOMED CT route codes of local routes, for a route coded without a display. */
  private static final Set<String> LOCAL_ROUTE_CODES =
      Set.of("6064005", "448598008", "54485002", "10547007", "447694001", "16857009");

  private static final Set<String> SYSTEMIC_ROUTE_CODES =
      Set.of("26643006", "47625008", "78421000", "34206005", "45890007", "37161004");

  /** Every ingredient recognised in the codings and texts of one medication. */
  public Set<Ingredient> recognise(List<CodeRef> codings, List<String> texts) {
    return recognise(codings, texts, List.of());
  }

  /**
   * As {@link #recognise(List, List)}, knowing the medication's route and dose form (codings and
   * texts of its dosage route and its Medication.form): a class that acts only systemically is left
   * out when the medication is applied locally, and several members of one class in one product
   * (sacubitril/valsartan) count as one ingredient of that class.
   */
  public Set<Ingredient> recognise(
      List<CodeRef> codings, List<String> texts, List<CodeRef> routeAndForm) {
    Recognition key =
        new Recognition(
            Collections.unmodifiableList(new ArrayList<>(codings)),
            Collections.unmodifiableList(new ArrayList<>(texts)),
            Collections.unmodifiableList(new ArrayList<>(routeAndForm)));
    Set<Ingredient> known = recognised.get(key);
    if (known != null) {
      return known;
    }
    Set<Ingredient> result =
        Collections.unmodifiableSet(recogniseAnew(key.codings(), key.texts(), key.routeAndForm()));
    if (recognised.size() >= RECOGNISED_MAX) {
      // Bounded by design: a population with more distinct medication concepts than this starts
      // over rather than growing without limit.
      recognised.clear();
    }
    recognised.put(key, result);
    return result;
  }

  private Set<Ingredient> recogniseAnew(
      List<CodeRef> codings, List<String> texts, List<CodeRef> routeAndForm) {
    Set<Ingredient> found = ingredients(codings, texts);
    boolean local = isLocal(codings, texts, routeAndForm);
    Map<DrugClass, List<Ingredient>> byClass = new LinkedHashMap<>();
    for (Ingredient i : found) {
      if (!(local && i.drugClass().systemicOnly())) {
        byClass.computeIfAbsent(i.drugClass(), c -> new ArrayList<>()).add(i);
      }
    }
    Set<Ingredient> result = new LinkedHashSet<>();
    for (Map.Entry<DrugClass, List<Ingredient>> e : byClass.entrySet()) {
      List<Ingredient> members = e.getValue();
      if (members.size() == 1) {
        result.add(members.get(0));
      } else {
        result.add(
            new Ingredient(
                String.join("/", members.stream().map(Ingredient::name).sorted().toList()),
                null,
                null,
                List.of(),
                List.of(),
                e.getKey()));
      }
    }
    return result;
  }

  /**
   * Whether the medication is applied locally: a local route or dose form is named (in the route,
   * the form or the product's name, e.g. "hydrocortisone 1 % Topical Cream") and no systemic one.
   */
  static boolean isLocal(List<CodeRef> codings, List<String> texts, List<CodeRef> routeAndForm) {
    boolean local = false;
    boolean systemic = false;
    List<String> all = new ArrayList<>(texts);
    for (CodeRef c : codings) {
      all.add(c.display());
    }
    for (CodeRef c : routeAndForm) {
      all.add(c.display());
      if (c.code() != null) {
        local |= LOCAL_ROUTE_CODES.contains(c.code().trim());
        systemic |= SYSTEMIC_ROUTE_CODES.contains(c.code().trim());
      }
    }
    for (String text : all) {
      if (text == null) {
        continue;
      }
      for (String word : words(text).split(" ")) {
        local |= LOCAL_WORDS.contains(word);
        systemic |= SYSTEMIC_WORDS.contains(word);
      }
    }
    return local && !systemic;
  }

  private Set<Ingredient> ingredients(List<CodeRef> codings, List<String> texts) {
    Set<Ingredient> found = new LinkedHashSet<>();
    List<String> names = new ArrayList<>(texts);
    for (CodeRef coding : codings) {
      if (coding.code() != null && RXNORM_SYSTEM.equals(coding.system())) {
        Ingredient i = byRxnorm.get(coding.code().trim());
        if (i != null) {
          found.add(i);
        }
      }
      if (coding.code() != null && ATC_SYSTEM.equals(coding.system())) {
        found.addAll(byAtcCode(coding.code().trim().toUpperCase(Locale.ROOT)));
      }
      if (coding.display() != null) {
        names.add(coding.display());
      }
    }
    for (String text : names) {
      if (text == null) {
        continue;
      }
      found.addAll(namesIn(text));
    }
    return found;
  }

  /**
   * The ingredients whose name appears as whole words in {@code text}, in catalogue order: every
   * run of up to {@link #maxNameWords} consecutive words is looked up, instead of searching the
   * text for every name.
   */
  private Collection<Ingredient> namesIn(String text) {
    String normalised = words(text);
    if (normalised.isEmpty()) {
      return List.of();
    }
    String[] tokens = normalised.split(" ");
    SortedMap<Integer, Ingredient> hits = new TreeMap<>();
    for (int start = 0; start < tokens.length; start++) {
      StringBuilder run = new StringBuilder();
      for (int end = start; end < tokens.length && end - start < maxNameWords; end++) {
        if (end > start) {
          run.append(' ');
        }
        run.append(tokens[end]);
        Integer order = nameOrder.get(run.toString());
        if (order != null) {
          hits.put(order, byName.get(run.toString()));
        }
      }
    }
    return hits.values();
  }

  private List<Ingredient> byAtcCode(String atc) {
    Ingredient exact = byAtc.get(atc);
    if (exact != null) {
      return List.of(exact);
    }
    // A class-level or combination ATC code (C03CA, C09BA) names classes, not an ingredient:
    // represent each class it belongs to by a synthetic ingredient, so class effects still apply.
    List<Ingredient> matching = new ArrayList<>();
    for (DrugClass drugClass : classes) {
      if (drugClass.atcPrefixes().stream().anyMatch(atc::startsWith)) {
        matching.add(new Ingredient(drugClass.name(), null, atc, List.of(), List.of(), drugClass));
      }
    }
    return matching;
  }

  static String words(String text) {
    return NON_WORD.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ").trim();
  }
}
