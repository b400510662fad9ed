package org.mineralcds.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;
import org.mineralcds.config.ServiceConfig;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.slf4j.LoggerFactory;

/**
 * The demo page (src/main/resources/demo) in a real headless Chromium against the service started
 * in-process with its embedded scenario FHIR server: picking a patient fires patient-view, cards
 * render with their indicator and topic, and accepting or dismissing a card sends CDS Hooks
 * feedback that reaches the server. Uses Debian's chromium and chromedriver; nothing is downloaded.
 */
class DemoPageBrowserIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path profile;

  private static MineralCds service;
  private static ChromeDriverService driverService;
  private static ChromeDriver driver;

  private Logger hookLogger;
  private ListAppender<ILoggingEvent> serverLog;

  @BeforeAll
  static void startServiceAndBrowser() {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      String why = "the demo page test needs " + CHROMIUM + " and " + CHROMEDRIVER;
      if ("true".equals(System.getenv("CI"))) {
        fail(why + " (CI=true, so this is a failure, not a skip)");
      }
      Assumptions.assumeTrue(false, why);
    }
    service =
        MineralCds.start(
            new ServiceConfig(
                    "127.0.0.1",
                    0,
                    List.of("*"),
                    List.of(),
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(3),
                    Duration.ofSeconds(4),
                    10_000_000,
                    10,
                    null,
                    true,
                    false)
                .withMemory(MemorySettings.embedded(profile.resolve("mineral-cds-memory"))),
            Clock.systemUTC());

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toString());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        "--user-data-dir=" + profile.toAbsolutePath());
    // An explicit driver executable: Selenium Manager is never asked to download anything.
    driverService =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(driverService, options);
  }

  @AfterAll
  static void stopBrowserAndService() {
    try {
      if (driver != null) {
        driver.quit();
      }
    } finally {
      if (driverService != null) {
        driverService.stop();
      }
      if (service != null) {
        service.close();
      }
    }
  }

  @BeforeEach
  void attachServerLogAndOpenThePage() {
    hookLogger = (Logger) LoggerFactory.getLogger("mineralcds.hook");
    serverLog = new ListAppender<>();
    serverLog.start();
    hookLogger.addAppender(serverLog);
    driver.get(service.baseUrl() + "/");
    new WebDriverWait(driver, WAIT)
        .until(
            d ->
                !d.findElements(
                        By.cssSelector("#patient-select option[value='normal-labs-no-meds']"))
                    .isEmpty());
  }

  @AfterEach
  void detachServerLog() {
    hookLogger.detachAppender(serverLog);
    serverLog.stop();
  }

  @Test
  void prefetchModeShowsTheLowPotassiumCardAndAcceptingItsSuggestionSendsFeedback()
      throws IOException {
    Select patients = new Select(byTestId("patient-select"));
    assertThat(patients.getOptions())
        .as("a placeholder and every scenario patient")
        .hasSize(ScenarioStore.scenarioIds().size() + 1)
        .anySatisfy(o -> assertThat(o.getText()).contains("hypokalemia-on-furosemide", " y"));
    byTestId("mode-prefetch").click();
    patients.selectByValue("hypokalemia-on-furosemide");

    WebElement card =
        waitFor(
            () ->
                cards().stream()
                    .filter(c -> "potassium-low".equals(c.getDomAttribute("data-topic")))
                    .filter(c -> "warning".equals(c.getDomAttribute("data-indicator")))
                    .filter(
                        c -> {
                          String summary = c.findElement(testId("card-summary")).getText();
                          return summary.contains("Low potassium")
                              && summary.contains("furosemide");
                        })
                    .findFirst());
    String cardUuid = card.getDomAttribute("data-uuid");
    assertThat(cardUuid).matches("[0-9a-f-]{36}");
    assertThat(byTestId("status").getText()).matches("1 card in \\d+ ms");

    // The page behaved as an EHR that prefetches: the service fetched nothing itself.
    String request = byTestId("request-json").getDomProperty("textContent");
    assertThat(request)
        .contains("\"prefetch\"", "\"labs\"", "\"fhirServer\"", "Practitioner/demo-clinician");
    assertThat(awaitServerLog("hook call ", "cards=1"))
        .contains("prefetched=8", "fetched=0", "rules=[potassium-low]");

    // The chart: the lab row with its value and the active furosemide order.
    assertThat(driver.findElement(By.id("labs")).getText()).contains("Potassium", "3.1 mmol/L");
    assertThat(driver.findElement(By.id("meds")).getText()).containsIgnoringCase("furosemide");

    // The detail markdown: bold and safe external links only; the rule id is machine-readable (a
    // card extension), not in the clinician's text.
    WebElement detail = card.findElement(By.cssSelector(".card-detail"));
    assertThat(detail.findElements(By.tagName("strong"))).isNotEmpty();
    assertThat(detail.getText()).doesNotContainPattern("Rule\\W+potassium-low");
    assertThat(detail.findElements(By.tagName("a")))
        .isNotEmpty()
        .allSatisfy(
            a -> {
              assertThat(a.getDomAttribute("href")).startsWith("https://");
              assertThat(a.getDomAttribute("target")).isEqualTo("_blank");
              assertThat(a.getDomAttribute("rel")).isEqualTo("noopener");
            });

    WebElement orderMagnesium =
        card.findElements(testId("suggestion")).stream()
            .filter(b -> b.getText().equals("Order magnesium"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no 'Order magnesium' suggestion on the card"));
    orderMagnesium.click();

    WebElement entry = awaitFeedbackEntry("accepted", cardUuid);
    assertThat(entry.getText()).contains("accepted", "200");
    assertThat(card.getDomAttribute("data-state")).isEqualTo("accepted");
    assertThat(card.findElement(testId("draft-orders")).getText())
        .contains("magnesium", "draft", "LOINC 19123-9");
    assertThat(awaitServerLog("feedback service=mineral-balance card=" + cardUuid + " "))
        .contains("outcome=accepted", "acceptedSuggestions=1");

    saveFullPageScreenshot(Path.of("target", "demo-page.png"));

    // Fire again: the card is back (the low potassium is still there), the accepted test is not.
    byTestId("fire").click();
    WebElement again =
        waitFor(
            () ->
                cards().stream()
                    .filter(c -> "potassium-low".equals(c.getDomAttribute("data-topic")))
                    .filter(c -> !cardUuid.equals(c.getDomAttribute("data-uuid")))
                    .findFirst());
    assertThat(again.findElements(testId("suggestion")))
        .noneSatisfy(b -> assertThat(b.getText()).isEqualTo("Order magnesium"));
  }

  @Test
  void fetchModeShowsNoCardsThenACriticalCardThatCanBeDismissedWithAReason() {
    byTestId("mode-fetch").click();
    Select patients = new Select(byTestId("patient-select"));
    patients.selectByValue("normal-labs-no-meds");
    new WebDriverWait(driver, WAIT)
        .until(
            d ->
                "normal-labs-no-meds".equals(byTestId("cards").getDomAttribute("data-patient"))
                    && "done".equals(byTestId("cards").getDomAttribute("data-state")));
    assertThat(byTestId("cards").getText())
        .isEqualTo("No cards: nothing to flag for this patient.");
    assertThat(cards()).isEmpty();
    assertThat(byTestId("status").getText()).matches("0 cards in \\d+ ms");
    assertThat(byTestId("request-json").getDomProperty("textContent"))
        .contains("\"fhirServer\"", "\"access_token\": \"demo-token\"")
        .doesNotContain("\"prefetch\"");
    assertThat(awaitServerLog("hook call ", "cards=0")).contains("prefetched=0");

    patients.selectByValue("critical-potassium-flagged");
    WebElement first =
        waitFor(
            () -> {
              if (!"critical-potassium-flagged"
                      .equals(byTestId("cards").getDomAttribute("data-patient"))
                  || !"done".equals(byTestId("cards").getDomAttribute("data-state"))) {
                return Optional.empty();
              }
              return cards().stream().findFirst();
            });
    assertThat(first.getDomAttribute("data-indicator")).isEqualTo("critical");
    assertThat(first.getDomAttribute("data-topic")).isEqualTo("potassium-critical");
    assertThat(first.findElement(testId("card-summary")).getText())
        .startsWith("Critical low potassium");
    String cardUuid = first.getDomAttribute("data-uuid");

    new Select(first.findElement(testId("dismiss-reason")))
        .selectByVisibleText("Already addressed");
    first.findElement(testId("dismiss")).click();

    WebElement entry = awaitFeedbackEntry("overridden", cardUuid);
    assertThat(entry.getText()).contains("overridden", "200");
    assertThat(first.getDomAttribute("data-state")).isEqualTo("dismissed");
    assertThat(first.findElement(By.cssSelector(".card-body")).isDisplayed()).isFalse();
    assertThat(awaitServerLog("feedback service=mineral-balance card=" + cardUuid + " "))
        .contains("outcome=overridden", "overrideReason=already-addressed");

    // Fire again: the dismissed card stays away.
    byTestId("fire").click();
    new WebDriverWait(driver, WAIT)
        .until(
            d ->
                "done".equals(byTestId("cards").getDomAttribute("data-state"))
                    && cards().stream()
                        .noneMatch(c -> cardUuid.equals(c.getDomAttribute("data-uuid"))));
    assertThat(cards())
        .noneSatisfy(
            c -> assertThat(c.getDomAttribute("data-topic")).isEqualTo("potassium-critical"));

    // The analytics page counts it.
    byTestId("analytics-link").click();
    new WebDriverWait(driver, WAIT).until(d -> !d.findElements(By.id("topics")).isEmpty());
    WebElement topics = driver.findElement(By.id("topics"));
    assertThat(topics.getText()).contains("potassium-critical");
    assertThat(driver.findElements(By.tagName("svg"))).isNotEmpty();
  }

  @Test
  void theDetailRendererEscapesHtmlAndLinksOnlyHttpUrls() {
    Object html =
        ((JavascriptExecutor) driver)
            .executeScript(
                "return window.MineralDemo.renderMarkdown(arguments[0]);",
                "<img src=x onerror=alert(1)> **bold** `<b>` [ok](https://example.org/a?b=1&c=2)"
                    + " [bad](javascript:alert(1))\n\nsecond \"para\"");
    assertThat(html)
        .isEqualTo(
            "<p>&lt;img src=x onerror=alert(1)&gt; <strong>bold</strong> <code>&lt;b&gt;</code>"
                + " <a href=\"https://example.org/a?b=1&amp;c=2\" target=\"_blank\""
                + " rel=\"noopener\">ok</a> bad</p><p>second &quot;para&quot;</p>");
  }

  @Test
  void prescribingFiresOrderSelectThenOrderSignAndAppliesAcceptedSuggestionsAsAnEhrWould() {
    byTestId("mode-prefetch").click();
    new Select(byTestId("patient-select"))
        .selectByValue("order-arb-on-spironolactone-high-potassium");
    new WebDriverWait(driver, WAIT).until(d -> byTestId("rx-drug").isEnabled());

    // Choosing losartan for a patient on spironolactone with a high potassium: order-select.
    new Select(byTestId("rx-drug")).selectByValue("losartan");
    WebElement conflict =
        waitFor(
            () ->
                cards().stream()
                    .filter(c -> "order-lab-conflict".equals(c.getDomAttribute("data-topic")))
                    .findFirst());
    assertThat(byTestId("cards").getDomAttribute("data-hook")).isEqualTo("order-select");
    assertThat(conflict.findElement(testId("card-summary")).getText())
        .contains("losartan", "5.4 mmol/L", "spironolactone");
    assertThat(byTestId("request-json").getDomProperty("textContent"))
        .contains("\"hook\": \"order-select\"", "\"selections\"", "\"draftOrders\"");
    assertThat(awaitServerLog("hook call ", "service=mineral-order-select"))
        .contains("rules=[order-potassium-raising-high-potassium]", "cards=1");

    // Withdrawing the draft: the delete action removes it from the orders being written.
    String cardUuid = conflict.getDomAttribute("data-uuid");
    conflict.findElements(testId("suggestion")).stream()
        .filter(b -> b.getText().startsWith("Withdraw the losartan order"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no withdraw suggestion"))
        .click();
    awaitFeedbackEntry("accepted", cardUuid);
    assertThat(awaitServerLog("feedback service=mineral-order-select card=" + cardUuid + " "))
        .contains("outcome=accepted");
    new WebDriverWait(driver, WAIT).until(d -> d.findElements(testId("rx-draft")).isEmpty());
    assertThat(conflict.findElement(testId("other-actions")).getText()).contains("Withdrawn");

    // Starting lithium instead: order-select offers its baseline tests; accepting them lists the
    // lab orders; signing fires order-sign with the drafts and the accepted lab orders, which
    // count as ordered, and the draft is signed.
    new Select(byTestId("rx-drug")).selectByValue("lithium");
    WebElement baseline =
        waitFor(
            () ->
                cards().stream()
                    .filter(c -> "order-baseline-due".equals(c.getDomAttribute("data-topic")))
                    .findFirst());
    baseline.findElements(testId("suggestion")).stream()
        .filter(b -> b.getText().startsWith("Order all"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no 'Order all' suggestion"))
        .click();
    new WebDriverWait(driver, WAIT)
        .until(d -> d.findElement(By.id("orders")).getText().contains("from CDS"));
    byTestId("rx-sign").click();
    new WebDriverWait(driver, WAIT)
        .until(
            d ->
                "order-sign".equals(byTestId("cards").getDomAttribute("data-hook"))
                    && "done".equals(byTestId("cards").getDomAttribute("data-state")));
    assertThat(cards())
        .noneSatisfy(
            c -> assertThat(c.getDomAttribute("data-topic")).isEqualTo("order-baseline-due"));
    assertThat(awaitServerLog("hook call ", "service=mineral-order-sign")).contains("cards=0");
    assertThat(driver.findElements(testId("rx-draft")))
        .singleElement()
        .satisfies(d -> assertThat(d.getDomAttribute("data-status")).isEqualTo("signed"));
  }

  private WebElement byTestId(String id) {
    return driver.findElement(testId(id));
  }

  private static By testId(String id) {
    return By.cssSelector("[data-testid='" + id + "']");
  }

  private List<WebElement> cards() {
    return driver.findElements(By.cssSelector("[data-testid='cards'] [data-testid='card']"));
  }

  private WebElement waitFor(java.util.function.Supplier<Optional<WebElement>> finder) {
    return new WebDriverWait(driver, WAIT)
        .ignoring(StaleElementReferenceException.class)
        .until(d -> finder.get().orElse(null));
  }

  private WebElement awaitFeedbackEntry(String outcome, String cardUuid) {
    return waitFor(
        () ->
            byTestId("feedback-log").findElements(testId("feedback-entry")).stream()
                .filter(e -> outcome.equals(e.getDomAttribute("data-outcome")))
                .filter(e -> cardUuid.equals(e.getDomAttribute("data-card")))
                .filter(e -> "200".equals(e.getDomAttribute("data-status")))
                .findFirst());
  }

  /** The first server log line containing every fragment, waiting briefly for it to arrive. */
  private String awaitServerLog(String... fragments) {
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      List<String> lines = new ArrayList<>();
      synchronized (serverLog) { // AppenderBase.doAppend holds this lock while appending
        serverLog.list.forEach(e -> lines.add(e.getFormattedMessage()));
      }
      Optional<String> line =
          lines.stream().filter(l -> List.of(fragments).stream().allMatch(l::contains)).findFirst();
      if (line.isPresent()) {
        return line.get();
      }
      if (System.nanoTime() > until) {
        throw new AssertionError(
            "no server log line with " + List.of(fragments) + "; lines were " + lines);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** Grows the window until its viewport holds the whole page, then takes a screenshot. */
  private void saveFullPageScreenshot(Path file) throws IOException {
    Dimension original = driver.manage().window().getSize();
    try {
      for (int attempt = 0; attempt < 4; attempt++) {
        List<?> sizes =
            (List<?>)
                driver.executeScript(
                    "window.scrollTo(0, 0); return [document.documentElement.scrollHeight,"
                        + " window.innerHeight, window.outerHeight];");
        int page = ((Number) sizes.get(0)).intValue();
        int viewport = ((Number) sizes.get(1)).intValue();
        int window = ((Number) sizes.get(2)).intValue();
        if (viewport >= page) {
          break;
        }
        driver
            .manage()
            .window()
            .setSize(new Dimension(original.getWidth(), page + Math.max(0, window - viewport)));
      }
      byte[] png = driver.getScreenshotAs(OutputType.BYTES);
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, png);
    } finally {
      driver.manage().window().setSize(original);
    }
  }
}
