package org.mineralcds;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering the package names promise, enforced. */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.mineralcds");
  }

  @Test
  void theDomainKnowsNothingOfFhirLibrariesHttpOrJson() {
    noClasses()
        .that()
        .resideInAnyPackage("org.mineralcds.clinical..", "org.mineralcds.rules..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "ca.uhn..", "org.hl7..", "org.eclipse.jetty..", "jakarta.servlet..", "com.fasterxml..")
        .check(classes);
  }

  @Test
  void onlyTheMemoryPackageTalksToTheDatabase() {
    noClasses()
        .that()
        .resideOutsideOfPackages("org.mineralcds.memory..")
        .and()
        .doNotHaveFullyQualifiedName("org.mineralcds.MineralCds")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "java.sql..",
            "javax.sql..",
            "com.zaxxer..",
            "org.flywaydb..",
            "org.sqlite..",
            "org.postgresql..")
        .check(classes);
    noClasses()
        .that()
        .resideInAnyPackage(
            "org.mineralcds.clinical..", "org.mineralcds.rules..", "org.mineralcds.cards..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.mineralcds.memory..")
        .check(classes);
  }

  @Test
  void theDomainDoesNotReachOutwards() {
    noClasses()
        .that()
        .resideInAnyPackage("org.mineralcds.clinical..", "org.mineralcds.rules..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.mineralcds.fhir..",
            "org.mineralcds.hook..",
            "org.mineralcds.http..",
            "org.mineralcds.service..",
            "org.mineralcds.cards..",
            "org.mineralcds.knowledge..")
        .check(classes);
  }

  @Test
  void dataAccessDoesNotEvaluateOrRender() {
    noClasses()
        .that()
        .resideInAPackage("org.mineralcds.fhir..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.mineralcds.rules..",
            "org.mineralcds.cards..",
            "org.mineralcds.http..",
            "org.mineralcds.service..")
        .check(classes);
  }

  @Test
  void onlyTransportTheDemoServerAndTheRootTouchJettyOrServlets() {
    noClasses()
        .that()
        .resideOutsideOfPackages("org.mineralcds.http..", "org.mineralcds.demo..")
        .and()
        .doNotHaveFullyQualifiedName("org.mineralcds.MineralCds")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.eclipse.jetty..", "jakarta.servlet..")
        .check(classes);
  }

  @Test
  void cardsAndTheWireModelDoNotUseHapi() {
    noClasses()
        .that()
        .resideInAnyPackage("org.mineralcds.cards..", "org.mineralcds.hook..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ca.uhn..", "org.hl7..")
        .check(classes);
  }

  @Test
  void nothingDependsOnTheTransport() {
    noClasses()
        .that()
        .resideOutsideOfPackage("org.mineralcds.http..")
        .and()
        .doNotHaveFullyQualifiedName("org.mineralcds.MineralCds")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.mineralcds.http..")
        .check(classes);
  }

  @Test
  void packagesAreFreeOfCycles() {
    slices().matching("org.mineralcds.(*)..").should().beFreeOfCycles().check(classes);
  }
}
