// Drives Debian's chromium (/usr/bin/chromium, or $SPANLOG_CHROMIUM) through a spanlog page and prints what a
// person would see, as one JSON object on standard output, for tests/view_browser.cpp to judge.
//   node check-page.mjs report FILE.html SCREENSHOT.png
//   node check-page.mjs live URL SCREENSHOT.png TRIGGER_FILE LATE_SPAN ERROR_SPAN
//   node check-page.mjs next-run URL SCREENSHOT.png TRIGGER_FILE NEXT_RUN_ID
//   node check-page.mjs metrics URL SCREENSHOT.png TRIGGER_FILE SERIES COUNT
// live: waits for the threads, then creates TRIGGER_FILE (the example then records LATE_SPAN and the failing
// ERROR_SPAN) and waits for both to appear without a reload. next-run: waits for the threads, creates
// TRIGGER_FILE (the test then starts the next run) and waits for the page to name NEXT_RUN_ID, without a reload.
// metrics: waits for the charts, creates TRIGGER_FILE (the test then appends metric lines) and waits for the
// histogram SERIES to count COUNT values, without a reload. report: when the page lists log lines, it shows
// only warnings and errors, then clicks the first error line, the first warning's mark on the timeline and
// the first span drawn, and says what each click selected. Exit 0 with the facts, 2 when it cannot run.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [mode, target, screenshot, trigger, lateSpan, errorSpan] = process.argv.slice(2);
if (!["report", "live", "next-run", "metrics"].includes(mode) || !target || !screenshot) {
  console.error("usage: check-page.mjs report FILE SCREENSHOT | live URL SCREENSHOT TRIGGER LATE_SPAN ERROR_SPAN");
  process.exit(2);
}

// What is on the page now: thread cards, timeline lanes, error entries, latest spans, log lines, summary rows.
async function facts(page) {
  return page.evaluate(() => {
    const texts = sel => Array.from(document.querySelectorAll(sel)).map(e => e.textContent.trim());
    const attr = (sel, name) => Array.from(document.querySelectorAll(sel)).map(e => e.getAttribute(name));
    const model = window.spanlog && window.spanlog.model;
    return {
      title: document.getElementById("title").textContent,
      run: document.getElementById("run").hidden ? "" : document.getElementById("run").textContent,
      lane_order: window.spanlog && window.spanlog.laneOrder ? window.spanlog.laneOrder() : [],
      status: document.getElementById("status").textContent,
      wall_time: document.getElementById("phase-total").textContent,
      threads: attr(".card", "data-thread"),
      thread_states: Array.from(document.querySelectorAll(".card")).map(c => c.getAttribute("data-thread") + ":" + c.querySelector(".state").textContent),
      lanes: model ? Array.from(model.lanes.keys()).length : 0,
      spans_drawn: model ? model.spanCount : 0,
      errors: attr("#errors li[data-span]", "data-span"),
      error_texts: texts("#errors li[data-span]"),
      recent: attr("#recent li[data-span]", "data-span"),
      summary_rows: texts("#summary tbody tr td:first-child"),
      phases: texts("#phase-bar .phase"),
      charts: attr(".chart", "data-metric"),
      notice: document.getElementById("notice").hidden ? "" : document.getElementById("notice").textContent,
      timeline_height: document.getElementById("timeline").clientHeight,
      log_lines: Array.from(document.querySelectorAll("#logs tr[data-level]")).map(r => r.getAttribute("data-level") + " " + r.querySelector(".msg").textContent),
      log_counts: texts("#log-levels label"),
      log_note: document.getElementById("log-note").hidden ? "" : document.getElementById("log-note").textContent,
      marks: Array.from(document.getElementById("timeline").markboxes || []).map(([, , line]) => line.level + " " + line.msg),
      // Each metric series' figures as its chart's legend holds them, by series name: "section" is the
      // program's metrics ("charts") or the vitals.
      metric_series: Object.fromEntries(Array.from(document.querySelectorAll(".chart .series")).map(e => [e.getAttribute("data-series"), {
        section: e.closest(".charts").id, metric: e.closest(".chart").getAttribute("data-metric"), text: e.textContent,
        total: e.getAttribute("data-total"), last: e.getAttribute("data-last"), peak: e.getAttribute("data-peak"),
        last_rate: e.getAttribute("data-last-rate")}])),
      chart_units: Object.fromEntries(Array.from(document.querySelectorAll(".chart")).map(e => [e.getAttribute("data-metric"), (e.querySelector(".unit") || {}).textContent || ""])),
      histograms: Object.fromEntries(Array.from(document.querySelectorAll(".chart.histogram")).map(e => [e.getAttribute("data-series"), Object.fromEntries(
        ["count", "p50", "p90", "p99", "max"].map(k => [k, Number(e.getAttribute("data-" + k))]))])),
      // The reader's own figures for the same series (summary --json), to be compared with the page's.
      summary_histograms: Object.fromEntries((window.spanlog.page.summary ? window.spanlog.page.summary.metrics.concat(window.spanlog.page.summary.vitals || []) : [])
        .filter(m => m.kind === "histogram").flatMap(m => m.series.map(s => [window.spanlog.seriesName(m.name, s.labels), {count: s.count, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max}]))),
      vitals_shown: !document.getElementById("vitals-section").hidden,
      left_out: texts(".left-out"),
    };
  });
}

// What the selection box shows and what the page holds as selected.
async function selection(page) {
  return page.evaluate(() => {
    const box = document.getElementById("selection"), chosen = window.spanlog.page.selected;
    return {
      shown: !box.hidden, text: box.textContent, span: box.getAttribute("data-span"), log: box.getAttribute("data-log"),
      selected_span: chosen.span ? chosen.span.name : null,
      selected_rows: Array.from(document.querySelectorAll("#logs tr.selected .msg")).map(e => e.textContent),
    };
  });
}
async function clickLogs(page) {
  const out = {};
  for (const level of ["trace", "debug", "info"]) await page.uncheck(`#log-levels input[data-level="${level}"]`);
  await page.waitForTimeout(200);
  out.warn_and_error = (await facts(page)).log_lines;
  await page.locator('#logs tr[data-level="error"]').first().click();
  await page.waitForTimeout(200);
  out.row = await selection(page);
  // The first warning's mark: its place on the canvas, as the page drew it.
  const mark = await page.evaluate(() => {
    const found = (document.getElementById("timeline").markboxes || []).find(([, , line]) => line.level === "warn");
    return found ? {x: found[0], y: found[1] + 3, msg: found[2].msg} : null;
  });
  if (mark) {
    const box = await page.locator("#timeline").boundingBox();
    await page.mouse.click(box.x + mark.x, box.y + mark.y);
    await page.waitForTimeout(200);
    out.mark = Object.assign({clicked: mark.msg}, await selection(page));
  }
  // A span itself: the middle of the first span drawn, below the marks.
  const span = await page.evaluate(() => {
    const found = (document.getElementById("timeline").hitboxes || [])[0];
    return found ? {x: found[0] + found[2] / 2, y: found[1] + 12, name: found[3].name} : null;
  });
  if (span) {
    const box = await page.locator("#timeline").boundingBox();
    await page.mouse.click(box.x + span.x, box.y + span.y);
    await page.waitForTimeout(200);
    out.span = Object.assign({clicked: span.name}, await selection(page));
  }
  return out;
}

const args = process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [];
let browser;
try {
  browser = await chromium.launch({ executablePath: process.env.SPANLOG_CHROMIUM || "/usr/bin/chromium", args, headless: true });
} catch (e) {
  console.error("cannot start chromium: " + e.message);
  process.exit(2);
}
const result = { mode };
const requests = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("request", r => requests.push(r.url()));
  page.on("pageerror", e => { (result.page_errors ||= []).push(String(e)); });
  const url = mode === "report" ? pathToFileURL(resolve(target)).href : target;
  const loading = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => window.spanlog && window.spanlog.ready, null, { timeout: 20000 });
  // A run with no spans has no thread cards: a report or a run of metrics shows its charts.
  await page.waitForSelector(mode === "metrics" ? ".chart" : mode === "report" ? ".card, .chart" : ".card", { timeout: 20000 });
  await page.waitForTimeout(300);  // a frame or two: the first render
  result.load_ms = Date.now() - loading;
  result.at_load = await facts(page);
  if (mode === "metrics") {
    await page.evaluate(() => { window.__same_page = true; });
    writeFileSync(trigger, "go\n");
    await page.waitForFunction(([series, count]) => Array.from(document.querySelectorAll(".chart.histogram"))
      .some(e => e.getAttribute("data-series") === series && e.getAttribute("data-count") === count), [lateSpan, errorSpan], { timeout: 20000 });
    await page.waitForTimeout(1200);  // the charts are redrawn at most once a second while records stream in
    result.after_trigger = await facts(page);
    result.same_page = await page.evaluate(() => window.__same_page === true);
  } else if (mode === "next-run") {
    await page.evaluate(() => { window.__same_page = true; });
    writeFileSync(trigger, "go\n");
    // The new run's title, cards and summary (the old run's summary is cleared at the switch).
    await page.waitForFunction(id => document.getElementById("title").textContent.includes(id) &&
                                     document.querySelectorAll(".card").length > 0 &&
                                     document.querySelectorAll("#summary tbody tr").length > 0, lateSpan, { timeout: 20000 });
    await page.waitForTimeout(300);
    result.after_trigger = await facts(page);
    result.same_page = await page.evaluate(() => window.__same_page === true);
  } else if (mode === "live") {
    await page.evaluate(() => { window.__same_page = true; });
    writeFileSync(trigger, "go\n");
    const started = Date.now();
    await page.waitForSelector(`#recent li[data-span="${lateSpan}"]`, { timeout: 20000 });
    await page.waitForSelector(`#errors li[data-span="${errorSpan}"]`, { timeout: 20000 });
    result.appeared_after_ms = Date.now() - started;
    // The log list is rebuilt at most twice a second: it has caught up when it lists every line received.
    await page.waitForFunction(() => document.querySelectorAll("#logs tr[data-level]").length === window.spanlog.model.logs.length, null, { timeout: 5000 });
    result.after_trigger = await facts(page);
    result.same_page = await page.evaluate(() => window.__same_page === true);
    await page.waitForTimeout(500);
  } else {
    // Hover the middle of the first lane: the tooltip names a span.
    const box = await page.locator("#timeline").boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + 32);
    await page.waitForTimeout(100);
    result.redraw_ms = await page.evaluate(() => window.spanlog.timeRedraw());
    result.tooltip = await page.evaluate(() => document.getElementById("tooltip").hidden ? "" : document.getElementById("tooltip").textContent);
    await page.mouse.move(0, 0);
    if (await page.locator("#logs tr[data-level]").count()) result.log_clicks = await clickLogs(page);
  }
  result.final = await facts(page);
  result.requests = requests;
  await page.screenshot({ path: screenshot, fullPage: true });
  result.screenshot = screenshot;
  // The other controls must not break the page (a script error would be in page_errors): colour by phase,
  // zoom in with the wheel, pan by dragging, sort the summary by p99.
  await page.selectOption("#colour-by", "phase");
  const box = await page.locator("#timeline").boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 40);
  await page.mouse.wheel(0, -600);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + 40, { steps: 5 });
  await page.mouse.up();
  await page.click('#summary th[data-key="p99_ns"]');
  await page.selectOption("#lanes-by", "name");  // threads by name instead of by first activity
  await page.waitForTimeout(200);
  result.lanes_by_name = await page.evaluate(() => window.spanlog.laneOrder());
  result.after_controls = await page.evaluate(() => ({
    view: window.spanlog.page.view,
    sorted_by: window.spanlog.page.sort.key,
    first_row: document.querySelector("#summary tbody tr td") ? document.querySelector("#summary tbody tr td").textContent : "",
  }));
} catch (e) {
  result.failure = String(e);
}
await browser.close();
console.log(JSON.stringify(result));
