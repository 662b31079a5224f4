// The exporters (tools/export) on the hand-written runs of tests/data and on small generated ones: what each
// format says about every record kind, open spans, nesting, ids, buckets, names, and the command's errors.
#include <sys/wait.h>

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <sstream>

#include "cli/export_commands.hpp"
#include "export/chrome_trace.hpp"
#include "export/duration_buckets.hpp"
#include "export/otlp_json.hpp"
#include "export/otlp_metrics.hpp"
#include "export/otlp_traces.hpp"
#include "export/prometheus.hpp"
#include "reader/aggregator.hpp"
#include "reader/run_location.hpp"
#include "support/process.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::contains;
using reader_test::data;
namespace dom = simdjson::dom;

namespace {

std::filesystem::path telemetry(const std::string& run) {
  return data(run) / "telemetry.jsonl";
}

struct Chrome {
  std::string text;
  exporters::ChromeTraceReport report;
};

Chrome chrome_of(const std::filesystem::path& file) {
  const exporters::RunContext context = exporters::scan_run(file, {});
  std::ostringstream out;
  Chrome chrome;
  chrome.report = exporters::write_chrome_trace(context, file, out, {});
  chrome.text = out.str();
  return chrome;
}

std::string otlp_traces_of(const std::filesystem::path& file, std::size_t batch = 512,
                           exporters::OtlpTracesReport* report = nullptr) {
  const exporters::RunContext context = exporters::scan_run(file, {});
  std::ostringstream out;
  exporters::OtlpTracesOptions options;
  options.batch_spans = batch;
  const auto written = exporters::write_otlp_traces(context, file, out, {}, options);
  if (report != nullptr) *report = written;
  return out.str();
}

std::string otlp_metrics_of(const std::filesystem::path& file) {
  const exporters::RunContext context = exporters::scan_run(file, {});
  std::ostringstream out;
  exporters::write_otlp_metrics(context, reader::summarize({file}, {}, {}), out);
  return out.str();
}

std::string prometheus_of(const std::filesystem::path& file) {
  std::ostringstream out;
  exporters::write_prometheus(reader::summarize({file}, {}, {}), out);
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string text_of(dom::element e) {
  std::string_view s;
  REQUIRE(e.get(s) == simdjson::SUCCESS);
  return std::string(s);
}

// The events of a Chrome trace, each as its minified JSON, plus fields looked up by the tests.
struct TraceEvent {
  std::string ph, name, cat;
  std::uint64_t pid = 0, tid = 0;
  double ts = -1, dur = -1;
  std::string args;  // minified
  std::string json;
};

std::vector<TraceEvent> events_of(const std::string& chrome_text) {
  dom::parser parser;
  dom::element root;
  REQUIRE_MESSAGE(parser.parse(chrome_text).get(root) == simdjson::SUCCESS, chrome_text);
  std::string_view unit;
  CHECK(root["displayTimeUnit"].get(unit) == simdjson::SUCCESS);
  CHECK(unit == "ns");
  dom::array array;
  REQUIRE(root["traceEvents"].get(array) == simdjson::SUCCESS);
  std::vector<TraceEvent> events;
  for (dom::element e : array) {
    TraceEvent event;
    event.json = simdjson::minify(e);
    // Every event, metadata included, has ph, ts, pid and tid.
    INFO(event.json);
    CHECK(e["ph"].get_string().error() == simdjson::SUCCESS);
    CHECK(e["ts"].get(event.ts) == simdjson::SUCCESS);
    CHECK(e["pid"].get(event.pid) == simdjson::SUCCESS);
    CHECK(e["tid"].get(event.tid) == simdjson::SUCCESS);
    event.ph = text_of(e["ph"]);
    event.name = text_of(e["name"]);
    std::string_view cat;
    if (e["cat"].get(cat) == simdjson::SUCCESS) event.cat = cat;
    if (e["dur"].get(event.dur) != simdjson::SUCCESS) event.dur = -1;
    dom::element args;
    if (e["args"].get(args) == simdjson::SUCCESS) event.args = simdjson::minify(args);
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<TraceEvent> with_phase(const std::vector<TraceEvent>& events, const std::string& ph) {
  std::vector<TraceEvent> selected;
  std::copy_if(events.begin(), events.end(), std::back_inserter(selected),
               [&](const TraceEvent& e) { return e.ph == ph; });
  return selected;
}

// The spans of OTLP/JSON trace lines, by name (a name seen twice keeps both, in order).
std::multimap<std::string, std::string> otlp_spans(const std::string& text) {
  std::multimap<std::string, std::string> spans;
  dom::parser parser;
  for (const std::string& line : lines_of(text)) {
    dom::element root;
    REQUIRE_MESSAGE(parser.parse(line).get(root) == simdjson::SUCCESS, line);
    for (dom::element resource : root["resourceSpans"].get_array())
      for (dom::element scope : resource["scopeSpans"].get_array())
        for (dom::element span : scope["spans"].get_array())
          spans.emplace(text_of(span["name"]), simdjson::minify(span));
  }
  return spans;
}

using test_support::run_spanlog;

std::string shell_quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Chrome Trace Event format

TEST_CASE("chrome: slices per thread with their args, instants, async slices, counters, names") {
  const Chrome chrome = chrome_of(telemetry("basic"));
  const std::vector<TraceEvent> events = events_of(chrome.text);
  CHECK(chrome.report.events == events.size());
  CHECK(chrome.report.thread_slices == 6);
  CHECK(chrome.report.async_slices == 1);
  CHECK(chrome.report.open_spans == 0);
  CHECK(chrome.report.clamped == 0);
  for (const TraceEvent& e : events) CHECK(e.pid == 100);

  // Metadata: the process, its labels (service, host, run) and both threads.
  const auto metadata = with_phase(events, "M");
  REQUIRE(metadata.size() == 4);
  CHECK(metadata[0].json ==
        R"({"ph":"M","name":"process_name","pid":100,"tid":100,"ts":0,"args":{"name":"demo"}})");
  CHECK(metadata[1].args == R"({"labels":"demo,host testhost,run basic-1"})");
  CHECK(metadata[2].args == R"({"name":"main"})");
  CHECK(metadata[2].tid == 1);
  CHECK(metadata[3].args == R"({"name":"worker"})");

  // Complete slices, in microseconds from the run's start with the nanoseconds as decimals.
  const auto slices = with_phase(events, "X");
  REQUIRE(slices.size() == 6);
  CHECK(
      slices[0].json ==
      R"({"ph":"X","cat":"phase","name":"analysis","pid":100,"tid":1,"ts":5.0,"dur":1000.0,"args":{"status":"ok"}})");
  CHECK(slices[1].name == "request");  // the parent before its child: sorted by start
  CHECK(slices[1].args == R"({"model":"small","tokens":50,"status":"ok"})");  // start and end attributes
  CHECK(slices[2].name == "parse");
  CHECK(slices[2].ts == doctest::Approx(11.0));
  CHECK(slices[2].dur == doctest::Approx(2.0));
  CHECK(slices[4].args == R"({"status":"error","message":"timeout"})");
  CHECK(contains(chrome.text, R"("ts":11.000,"dur":2.000)"));  // three decimals: nanoseconds kept as written

  const auto instants = with_phase(events, "i");
  REQUIRE(instants.size() == 2);
  CHECK(contains(instants[0].json, R"("s":"t")"));
  CHECK(instants[0].args == R"({"key":"users/42"})");

  // The async span: begin and end with the same id and category.
  const auto begins = with_phase(events, "b"), ends = with_phase(events, "e");
  REQUIRE(begins.size() == 1);
  REQUIRE(ends.size() == 1);
  CHECK(begins[0].cat == "async");
  CHECK(contains(begins[0].json, R"("id":"0x7")"));
  CHECK(contains(ends[0].json, R"("id":"0x7")"));
  CHECK(ends[0].ts == doctest::Approx(44.0));

  // Counters as the running total at each interval; gauges as their value.
  const auto counters = with_phase(events, "C");
  REQUIRE(counters.size() == 4);
  CHECK(counters[0].name == "bytes");
  CHECK(counters[0].args == R"({"total":100})");
  CHECK(counters[2].name == "bytes");
  CHECK(counters[2].args == R"({"total":150})");
  CHECK(counters[1].args == R"({"value":7})");
  CHECK(counters[3].args == R"({"value":4})");

  // Sorted by time.
  for (std::size_t i = 1; i < events.size(); ++i) CHECK(events[i - 1].ts <= events[i].ts);
}

TEST_CASE("chrome: log lines are instants of their thread named by their message, level and attrs in args") {
  const std::vector<TraceEvent> events = events_of(chrome_of(telemetry("logs")).text);
  std::vector<TraceEvent> logs;
  std::copy_if(events.begin(), events.end(), std::back_inserter(logs),
               [](const TraceEvent& e) { return e.cat == "log"; });
  REQUIRE(logs.size() == 8);
  // In time order across threads, as every event.
  CHECK(logs[0].name == "worker ready");
  CHECK(logs[7].name == "shutting down after 1 error");
  const auto warning = std::find_if(logs.begin(), logs.end(), [](const TraceEvent& e) {
    return e.name == "retrying https://example.com after 3 ms";
  });
  REQUIRE(warning != logs.end());
  CHECK(warning->ph == "i");
  CHECK(warning->tid == 10);
  CHECK(warning->ts == 5000.0);
  CHECK(warning->args ==
        R"({"level":"warn","site":"src/fetch.cpp:88","url":"https://example.com","ms":3.0})");
  CHECK(contains(warning->json, R"("s":"t")"));  // scoped to its thread

  // An argument named like the exporter's own args keeps its value under attr.
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "run.jsonl",
      R"({"event":"header","schema":1,"schema_minor":6,"run_id":"r","start_ts":1000})"
      "\n"
      R"({"event":"log","level":"error","tid":1,"ts":2000,"msg":"m","attrs":{"level":3},"site":{"file":"a.cpp","line":7}})"
      "\n");
  const auto clash = with_phase(events_of(chrome_of(dir / "run.jsonl").text), "i");
  REQUIRE(clash.size() == 1);
  CHECK(clash[0].args == R"({"level":"error","site":"a.cpp:7","attr.level":3})");
}

TEST_CASE("chrome: spans still open at a crash begin and never end") {
  const Chrome chrome = chrome_of(telemetry("crashed"));
  const std::vector<TraceEvent> events = events_of(chrome.text);
  const auto begun = with_phase(events, "B");
  REQUIRE(begun.size() == 3);
  CHECK(with_phase(events, "E").empty());
  CHECK(chrome.report.open_spans == 3);
  for (const TraceEvent& e : begun) CHECK(e.args == R"({"spanlog.open":true})");  // no status: it never ended
  CHECK(begun[0].name == "load");
  CHECK(begun[1].name == "decode");
  CHECK(chrome.report.read.torn_last_line.has_value());
}

TEST_CASE("chrome: a child that ends after its parent is shortened to nest; equal slices keep parent first") {
  reader_test::TempDir dir;
  const std::string header = R"({"event":"header","schema":1,"run_id":"nest","pid":7,"start_ts":1000000})";
  reader_test::write_text(
      dir / "run.jsonl",
      header + "\n" +
          // The child (id 2) overruns its parent by 1 ns; 4 and 3 start and end together, 3 being the parent.
          R"({"event":"span","span_id":2,"parent":1,"name":"child","tid":5,"ts":1000100,"dur_ns":901})"
          "\n"
          R"({"event":"span","span_id":1,"name":"parent","tid":5,"ts":1000000,"dur_ns":1000})"
          "\n"
          R"({"event":"span","span_id":4,"parent":3,"name":"inner","tid":5,"ts":1002000,"dur_ns":0})"
          "\n"
          R"({"event":"span","span_id":3,"name":"outer","tid":5,"ts":1002000,"dur_ns":0})"
          "\n");
  const Chrome chrome = chrome_of(dir / "run.jsonl");
  CHECK(chrome.report.clamped == 1);
  const auto slices = with_phase(events_of(chrome.text), "X");
  REQUIRE(slices.size() == 4);
  CHECK(slices[0].name == "parent");
  CHECK(slices[1].name == "child");
  CHECK(contains(chrome.text,
                 R"("name":"child","pid":7,"tid":5,"ts":0.100,"dur":0.900)"));  // ends with its parent
  CHECK(slices[2].name == "outer");
  CHECK(slices[3].name == "inner");
}

TEST_CASE("chrome: an attribute named like the exporter's own args keeps its value under attr.") {
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "run.jsonl",
      R"({"event":"header","schema":1,"run_id":"r","pid":1,"start_ts":10})"
      "\n"
      R"({"event":"span","span_id":1,"name":"s","tid":1,"ts":10,"dur_ns":5,"status":"error","message":"m","attrs":{"status":"mine","n":null}})"
      "\n");
  const auto slices = with_phase(events_of(chrome_of(dir / "run.jsonl").text), "X");
  REQUIRE(slices.size() == 1);
  CHECK(slices[0].args == R"({"attr.status":"mine","n":null,"status":"error","message":"m"})");
}

TEST_CASE("chrome: a counter total past the int64 range goes on as a floating-point total") {
  reader_test::TempDir dir;
  reader_test::write_text(dir / "run.jsonl",
                          R"({"event":"header","schema":1,"run_id":"r","pid":1,"start_ts":10})"
                          "\n"
                          R"({"event":"counter","name":"big","tid":1,"ts":20,"delta":9000000000000000000})"
                          "\n"
                          R"({"event":"counter","name":"big","tid":1,"ts":30,"delta":9000000000000000000})"
                          "\n");
  const auto counters = with_phase(events_of(chrome_of(dir / "run.jsonl").text), "C");
  REQUIRE(counters.size() == 2);
  CHECK(counters[0].args == R"({"total":9000000000000000000})");
  CHECK(counters[1].args == R"({"total":1.8e+19})");
}

// ---------------------------------------------------------------------------------------------------------
// OTLP/JSON

TEST_CASE("otlp: trace ids are a hash of the run id, never zero; span ids are zero-padded hex") {
  const std::string id = exporters::otlp::trace_id("basic-1");
  CHECK(id.size() == 32);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id == exporters::otlp::trace_id("basic-1"));
  CHECK(id != exporters::otlp::trace_id("basic-2"));
  CHECK(exporters::otlp::trace_id("") != std::string(32, '0'));
  CHECK(exporters::otlp::span_id(1099511627777ull) == "0000010000000001");
  CHECK(exporters::otlp::span_id(~0ull) == "ffffffffffffffff");
}

TEST_CASE("otlp: spans with typed attributes, thread attributes, events, status and the process resource") {
  exporters::OtlpTracesReport report;
  const std::string text = otlp_traces_of(telemetry("basic"), 512, &report);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 1);
  CHECK(report.lines == 1);
  CHECK(report.spans == 8);  // 7 spans and the instant that had no span
  CHECK(report.span_events == 1);
  CHECK(report.instant_spans == 1);

  CHECK(contains(
      lines[0],
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"demo"}},)"
      R"({"key":"service.instance.id","value":{"stringValue":"basic-1"}},)"
      R"({"key":"process.pid","value":{"intValue":"100"}},)"
      R"({"key":"process.executable.name","value":{"stringValue":"demo"}},)"
      R"({"key":"host.name","value":{"stringValue":"testhost"}}]},)"
      R"("scopeSpans":[{"scope":{"name":"spanlog","version":"0.1.0"},"spans":[)"));

  const auto spans = otlp_spans(text);
  const std::string trace = exporters::otlp::trace_id("basic-1");
  for (const auto& [name, span] : spans) CHECK(contains(span, R"("traceId":")" + trace + "\""));

  const std::string parse = spans.find("parse")->second;
  CHECK(
      parse ==
      R"({"traceId":")" + trace +
          R"(","spanId":"0000000000000003","parentSpanId":"0000000000000002","name":"parse","kind":1,)"
          R"("startTimeUnixNano":"1795459260000011000","endTimeUnixNano":"1795459260000013000",)"
          R"("attributes":[{"key":"bytes","value":{"intValue":"100"}},{"key":"thread.id","value":{"intValue":"1"}},)"
          R"({"key":"thread.name","value":{"stringValue":"main"}}],"status":{"code":1}})");

  // The request holds the instant as an event and the attributes of its start and its end.
  const std::string request = spans.find("request")->second;
  CHECK(contains(request, R"("attributes":[{"key":"model","value":{"stringValue":"small"}},)"
                          R"({"key":"tokens","value":{"intValue":"50"}},)"));
  CHECK(contains(request, R"("events":[{"timeUnixNano":"1795459260000012000","name":"cache.miss",)"
                          R"("attributes":[{"key":"key","value":{"stringValue":"users/42"}}]}])"));

  auto queries = spans.equal_range("db.query");
  REQUIRE(std::distance(queries.first, queries.second) == 2);
  const bool one_failed = std::any_of(queries.first, queries.second, [](const auto& entry) {
    return contains(entry.second, R"("status":{"code":2,"message":"timeout"})");
  });
  CHECK(one_failed);

  CHECK(contains(spans.find("analysis")->second, R"({"key":"spanlog.phase","value":{"boolValue":true}})"));
  const auto async_parse = std::find_if(spans.begin(), spans.end(), [](const auto& entry) {
    return contains(entry.second, R"("spanId":"0000000000000007")");
  });
  REQUIRE(async_parse != spans.end());
  CHECK(contains(async_parse->second, R"({"key":"spanlog.async","value":{"boolValue":true}})"));

  // The instant without a parent: a zero-length span of its own, with a made-up id (top bit set).
  const std::string instant = spans.find("cache.miss")->second;
  CHECK(contains(instant, R"("spanId":"8000000000000001")"));
  CHECK(!contains(instant, "parentSpanId"));
  CHECK(contains(instant,
                 R"("startTimeUnixNano":"1795459260001006000","endTimeUnixNano":"1795459260001006000")"));
  CHECK(contains(instant, R"({"key":"spanlog.instant","value":{"boolValue":true}})"));
  CHECK(contains(instant, R"({"key":"thread.name","value":{"stringValue":"worker"}})"));
}

TEST_CASE("otlp: lines hold at most the batch size, and every line carries the resource") {
  exporters::OtlpTracesReport report;
  const auto lines = lines_of(otlp_traces_of(telemetry("basic"), 3, &report));
  CHECK(lines.size() == 3);  // 8 spans: 3 + 3 + 2
  CHECK(report.lines == 3);
  for (const std::string& line : lines)
    CHECK(contains(line, R"({"key":"service.name","value":{"stringValue":"demo"}})"));
  CHECK(otlp_spans(lines[2] + "\n").size() == 2);
}

TEST_CASE("otlp: spans open at a crash end at the run's last timestamp, marked open, without a status") {
  exporters::OtlpTracesReport report;
  const auto spans = otlp_spans(otlp_traces_of(telemetry("crashed"), 512, &report));
  CHECK(report.open_spans == 3);
  const std::string load = spans.find("load")->second;
  CHECK(contains(load, R"({"key":"spanlog.open","value":{"boolValue":true}})"));
  CHECK(!contains(load, "status"));
  // The last complete line's timestamp: the torn line after it is ignored.
  const exporters::RunContext context = exporters::scan_run(telemetry("crashed"), {});
  CHECK(contains(load, fmt::format(R"("endTimeUnixNano":"{}")", context.last_ts)));
}

TEST_CASE("otlp metrics: counters as monotonic cumulative sums, gauges, span durations as histograms") {
  const std::string text = otlp_metrics_of(telemetry("basic"));
  REQUIRE(lines_of(text).size() == 1);
  CHECK(contains(
      text,
      R"({"name":"bytes","description":"spanlog counter: the sum of its additions","sum":{"dataPoints":)"
      R"([{"startTimeUnixNano":"1795459260000000000","timeUnixNano":"1795459260002000000","asInt":"150"}],)"
      R"("aggregationTemporality":2,"isMonotonic":true}})"));
  CHECK(contains(text, R"("gauge":{"dataPoints":[{"timeUnixNano":"1795459260000200000","asDouble":4}]})"));

  dom::parser parser;
  dom::element root;
  REQUIRE(parser.parse(text).get(root) == simdjson::SUCCESS);
  dom::element histogram;
  for (dom::element metric : root.at_pointer("/resourceMetrics/0/scopeMetrics/0/metrics").get_array())
    if (text_of(metric["name"]) == "spanlog.span.duration") histogram = metric;
  REQUIRE(histogram.is_object());
  CHECK(text_of(histogram["unit"]) == "s");
  CHECK(int64_t(histogram.at_pointer("/histogram/aggregationTemporality")) == 2);
  std::map<std::string, dom::element> points;
  for (dom::element point : histogram.at_pointer("/histogram/dataPoints").get_array())
    points.emplace(text_of(point.at_pointer("/attributes/0/value/stringValue")), point);
  REQUIRE(points.size() == 4);  // analysis, db.query, parse, request
  const dom::element queries = points.at("db.query");
  CHECK(text_of(queries["count"]) == "2");
  CHECK(double(queries["sum"]) == doctest::Approx(6e-6));
  CHECK(double(queries["min"]) == doctest::Approx(1e-6));
  CHECK(double(queries["max"]) == doctest::Approx(5e-6));
  const dom::array bounds = queries["explicitBounds"].get_array();
  const dom::array buckets = queries["bucketCounts"].get_array();
  CHECK(bounds.size() == exporters::duration_bounds_ns().size());
  CHECK(buckets.size() == bounds.size() + 1);
  // Per bucket, not cumulative: 1 µs falls in (0.5 µs, 1 µs], 5 µs in (2.5 µs, 5 µs].
  std::vector<std::string> counts;
  for (dom::element count : buckets) counts.push_back(text_of(count));
  CHECK(double(bounds.at(3)) == doctest::Approx(1e-6));
  CHECK(counts[3] == "1");
  CHECK(double(bounds.at(5)) == doctest::Approx(5e-6));
  CHECK(counts[5] == "1");
  CHECK(std::count(counts.begin(), counts.end(), "0") == static_cast<std::ptrdiff_t>(counts.size()) - 2);
}

// ---------------------------------------------------------------------------------------------------------
// Prometheus

TEST_CASE("prometheus: counters, gauges and the span-duration histogram with HELP and TYPE") {
  const std::string text = prometheus_of(telemetry("basic"));
  CHECK(contains(
      text,
      "# HELP spanlog_bytes_total spanlog counter \"bytes\": the sum of its additions over the run.\n"
      "# TYPE spanlog_bytes_total counter\n"
      "spanlog_bytes_total 150\n"));
  CHECK(contains(text, "# TYPE spanlog_queue_depth gauge\nspanlog_queue_depth 4\n"));
  CHECK(contains(text, "# TYPE spanlog_span_duration_seconds histogram\n"));
  // db.query took 5 µs and 1 µs: cumulative buckets, +Inf, the sum in seconds and the count.
  CHECK(contains(text,
                 "spanlog_span_duration_seconds_bucket{name=\"db.query\",le=\"0.0000005\"} 0\n"
                 "spanlog_span_duration_seconds_bucket{name=\"db.query\",le=\"0.000001\"} 1\n"
                 "spanlog_span_duration_seconds_bucket{name=\"db.query\",le=\"0.0000025\"} 1\n"
                 "spanlog_span_duration_seconds_bucket{name=\"db.query\",le=\"0.000005\"} 2\n"));
  CHECK(contains(text,
                 "spanlog_span_duration_seconds_bucket{name=\"db.query\",le=\"100\"} 2\n"
                 "spanlog_span_duration_seconds_bucket{name=\"db.query\",le=\"+Inf\"} 2\n"
                 "spanlog_span_duration_seconds_sum{name=\"db.query\"} 0.000006\n"
                 "spanlog_span_duration_seconds_count{name=\"db.query\"} 2\n"));
  // Beside the durations, the spans in error per name: db.query's second one failed.
  CHECK(contains(text,
                 "# TYPE spanlog_span_errors_total counter\n"
                 "spanlog_span_errors_total{name=\"analysis\"} 0\n"
                 "spanlog_span_errors_total{name=\"db.query\"} 1\n"));
  // Exactly one HELP and one TYPE per family.
  std::size_t help = 0, type = 0;
  for (const std::string& line : lines_of(text)) {
    help += line.rfind("# HELP ", 0) == 0;
    type += line.rfind("# TYPE ", 0) == 0;
  }
  CHECK(help == 4);
  CHECK(type == 4);
}

TEST_CASE("prometheus: statistics-mode spans are in the duration histogram as full spans of the name") {
  const std::string text = prometheus_of(telemetry("span_stats"));
  // block.read's 10 spans by bucket (tests/data/span_stats): 100 x4, 1000 x2, 1536 x2, 2000, 4992. A bucket
  // counts at its middle, as a full span's duration in it would (1000 reads 1003: above the 1 µs bound).
  CHECK(contains(text,
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"0.0000001\"} 4\n"
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"0.00000025\"} 4\n"
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"0.0000005\"} 4\n"
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"0.000001\"} 4\n"
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"0.0000025\"} 9\n"
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"0.000005\"} 9\n"
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"0.00001\"} 10\n"));
  CHECK(contains(text,
                 "spanlog_span_duration_seconds_bucket{name=\"block.read\",le=\"+Inf\"} 10\n"
                 "spanlog_span_duration_seconds_sum{name=\"block.read\"} 0.000012485\n"
                 "spanlog_span_duration_seconds_count{name=\"block.read\"} 10\n"));
  CHECK(contains(text, "spanlog_span_duration_seconds_count{name=\"kv.get\"} 1\n"));

  // promtool, where it is installed, accepts it.
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    reader_test::TempDir dir;
    reader_test::write_text(dir / "metrics.prom", text);
    const int status = std::system(("promtool check metrics < '" + (dir / "metrics.prom").string() + "' > '" +
                                    (dir / "out").string() + "' 2>&1")
                                       .c_str());
    INFO(reader_test::read_text(dir / "out"));
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(reader_test::read_text(dir / "out").empty());
  }
}

TEST_CASE("prometheus: names sanitised to snake_case, label values escaped, collisions renamed") {
  CHECK(exporters::prometheus_name("queue.depth") == "spanlog_queue_depth");
  CHECK(exporters::prometheus_name("bytesParsed") == "spanlog_bytes_parsed");
  CHECK(exporters::prometheus_name("HTTP2Requests") == "spanlog_http2_requests");
  CHECK(exporters::prometheus_name("a:b-c/d é") == "spanlog_a_b_c_d___");
  CHECK(exporters::prometheus_label_value("say \"hi\"\\\n") == "say \\\"hi\\\"\\\\\\n");

  reader_test::TempDir dir;
  reader_test::write_text(dir / "run.jsonl",
                          R"({"event":"header","schema":1,"run_id":"r","start_ts":10})"
                          "\n"
                          R"({"event":"counter","name":"a.b","tid":1,"ts":20,"delta":1})"
                          "\n"
                          R"({"event":"counter","name":"a_b","tid":1,"ts":20,"delta":2})"
                          "\n"
                          R"({"event":"counter","name":"sent_total","tid":1,"ts":20,"delta":2.5})"
                          "\n"
                          R"({"event":"gauge","name":"open_count","tid":1,"ts":20,"value":3})"
                          "\n"
                          R"({"event":"gauge","name":"ratio","tid":1,"ts":20,"value":null})"
                          "\n"
                          R"({"event":"span","span_id":1,"name":"say \"hi\"","tid":1,"ts":20,"dur_ns":7})"
                          "\n");
  std::ostringstream out;
  const auto report = exporters::write_prometheus(reader::summarize({dir / "run.jsonl"}, {}, {}), out);
  const std::string text = out.str();
  CHECK(contains(text, "spanlog_a_b_total 1\n"));
  CHECK(contains(text, "spanlog_a_b_2_total 2\n"));
  REQUIRE(report.renamed.size() == 1);
  CHECK(report.renamed[0] == "a_b -> spanlog_a_b_2_total");
  CHECK(contains(text, "spanlog_sent_total 2.5\n"));      // no "_total_total"
  CHECK(contains(text, "spanlog_open_count_value 3\n"));  // "_count" is a histogram's
  CHECK(contains(text, "spanlog_ratio NaN\n"));           // the last value was not finite
  CHECK(contains(text, "{name=\"say \\\"hi\\\"\",le=\"+Inf\"} 1\n"));
  CHECK(report.families == 7);  // the five above, the durations and the span errors
}

TEST_CASE(
    "duration buckets: counts at or below each bound from the reader's histogram; exact decimal seconds") {
  reader::Histogram h;
  for (std::uint64_t ns : {50ull, 150ull, 300ull, 2'000ull, 2'000ull, 7'000'000ull, 200'000'000'000ull})
    h.add(ns);
  const std::array<std::uint64_t, 6> bounds = {100, 250, 1'000, 2'500, 10'000'000, 100'000'000'000};
  const std::vector<std::uint64_t> counts = exporters::cumulative_counts(h, bounds);
  CHECK(counts == std::vector<std::uint64_t>{1, 2, 3, 5, 6, 6});
  CHECK(exporters::cumulative_counts(reader::Histogram(), bounds) == std::vector<std::uint64_t>(6, 0));

  // A value equal to a bound counts as at or below it (the smallest and largest are kept exactly).
  reader::Histogram edges;
  edges.add(1'000);
  edges.add(5'000'000);
  const std::array<std::uint64_t, 3> edge_bounds = {1'000, 4'999'999, 5'000'000};
  CHECK(exporters::cumulative_counts(edges, edge_bounds) == std::vector<std::uint64_t>{1, 1, 2});

  // Many values: each bound's count matches counting by hand, for values away from the bounds.
  reader::Histogram many;
  std::uint64_t expected_at_10us = 0;
  for (std::uint64_t i = 1; i <= 5000; ++i) {
    const std::uint64_t ns = i * 37;            // up to 185 µs
    if (ns >= 9'800 && ns <= 10'200) continue;  // stay clear of the 10 µs bound's bucket
    many.add(ns);
    expected_at_10us += ns <= 10'000;
  }
  const std::array<std::uint64_t, 1> ten_us = {10'000};
  CHECK(exporters::cumulative_counts(many, ten_us)[0] == expected_at_10us);

  CHECK(exporters::seconds_text(0) == "0");
  CHECK(exporters::seconds_text(2'500) == "0.0000025");
  CHECK(exporters::seconds_text(1'000'000'000) == "1");
  CHECK(exporters::seconds_text(12'345'678'901) == "12.345678901");
  const auto all = exporters::duration_bounds_ns();
  CHECK(std::is_sorted(all.begin(), all.end()));
  CHECK(all.front() == 100);
  CHECK(all.back() == 100'000'000'000ull);
}

// ---------------------------------------------------------------------------------------------------------
// The commands

TEST_CASE("export commands: a malformed line stops them with file:line:field and status 2, leaving no file") {
  reader_test::TempDir dir;
  const std::string bad = shell_quoted(data("bad_lines.jsonl"));
  for (const std::string& command :
       {"chrome " + bad + " -o " + shell_quoted(dir / "out"),
        "otlp " + bad + " -o " + shell_quoted(dir / "out"),
        "otlp " + bad + " -o " + shell_quoted(dir / "out") + " --metrics " + shell_quoted(dir / "metrics"),
        "prom " + bad + " -o " + shell_quoted(dir / "out")}) {
    const test_support::CommandResult result = run_spanlog(command);
    INFO(command << "\n" << result.output);
    CHECK(result.status == 2);
    CHECK(contains(result.output, "bad_lines.jsonl:3: field \"dur_ns\": expected an unsigned integer"));
    CHECK(std::filesystem::is_empty(dir.path()));  // neither the file nor a partial one
  }
  CHECK(run_spanlog("chrome /nonexistent/run").status == 2);
  CHECK(run_spanlog("otlp " + shell_quoted(data("basic")) + " --batch 0").status == 2);
  CHECK(run_spanlog("chrome " + shell_quoted(data("basic")) + " -o /nonexistent/dir/trace.json").status == 2);
  CHECK(run_spanlog("chrome " + shell_quoted(data("bad_lines.jsonl")) + " --skip-bad -o " +
                    shell_quoted(dir / "t.json"))
            .status == 0);
}

TEST_CASE("export commands: files written whole, a summary on the console, standard output without -o") {
  reader_test::TempDir dir;
  const test_support::CommandResult chrome =
      run_spanlog("chrome " + shell_quoted(data("basic")) + " -o " + shell_quoted(dir / "trace.json"));
  CHECK(chrome.status == 0);
  CHECK(contains(chrome.output, "trace.json: 18 events, 6 slices on threads, 1 async, 0 still open"));
  CHECK(reader_test::read_text(dir / "trace.json") == chrome_of(telemetry("basic")).text);

  const test_support::CommandResult otlp =
      run_spanlog("otlp " + shell_quoted(data("basic")) + " -o " + shell_quoted(dir / "traces.jsonl") +
                  " --metrics " + shell_quoted(dir / "metrics.jsonl"));
  CHECK(otlp.status == 0);
  CHECK(contains(otlp.output, "traces.jsonl: 8 spans in 1 lines"));
  CHECK(
      contains(otlp.output, "metrics.jsonl: 4 metrics, 10 data points"));  // 4 span names: durations, errors
  CHECK(reader_test::read_text(dir / "traces.jsonl") == otlp_traces_of(telemetry("basic")));
  CHECK(reader_test::read_text(dir / "metrics.jsonl") == otlp_metrics_of(telemetry("basic")));

  const test_support::CommandResult prom = run_spanlog("prom " + shell_quoted(data("basic")));
  CHECK(prom.status == 0);
  CHECK(prom.output == prometheus_of(telemetry("basic")));

  const auto captured = reader_test::capture([&](const cli::Console& console) {
    cli::ChromeOptions options;
    options.run = data("crashed").string();
    return cli::chrome_command(options, console);
  });
  CHECK(captured.status == 0);
  CHECK(contains(captured.out, R"("ph":"B")"));
  CHECK(contains(captured.err, "the last line is incomplete"));
}
