// The exporters' span-duration series labelled by attributes (`prom --labels`, `otlp --metrics --labels`) and
// Prometheus's errors counter beside them, on tests/data/http (a server's run, its figures worked out by hand
// in tests/reader_dimensions.cpp) and on a generated run with more combinations than the bound. The files are
// judged by promtool and by the OTLP protobuf schema (tests/exporters/check-*.sh), as the other exports are.
#include <doctest/doctest.h>

#include <simdjson.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "reader/labelled_spans.hpp"
#include "support/process.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::contains;
namespace fs = std::filesystem;
namespace dom = simdjson::dom;

namespace {

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

std::string http_run() {
  return quoted(reader_test::data("http"));
}

std::size_t lines_starting(const std::string& text, const std::string& start) {
  std::size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.rfind(start, 0) == 0;
  return count;
}

// Judged by the checker, which must be there: a missing tool fails the test rather than passing it unjudged.
void check_accepted(const std::string& kind, const fs::path& file) {
  const fs::path checks = test_support::env("SPANLOG_EXPORTER_CHECKS");
  const std::string command = kind == "prom"
                                  ? quoted(checks / "check-prom.sh") + " " + quoted(file)
                                  : quoted(checks / "check-otlp.sh") + " " + kind + " " + quoted(file);
  const test_support::CommandResult judged = test_support::try_run(command);
  INFO(judged.output);
  CHECK(judged.status == 0);
}

// A run of one span name over `routes` routes, a span each, every third one in error.
fs::path write_many_routes(const fs::path& dir, int routes) {
  std::string text = R"({"event":"header","schema":1,"run_id":"many","start_ts":1000})"
                     "\n";
  for (int i = 0; i < routes; ++i)
    text += fmt::format(
        R"({{"event":"span","span_id":{},"name":"r","tid":1,"ts":{},"dur_ns":1000,"status":"{}","attrs":{{"route":"/{}"}}}})"
        "\n",
        i + 1, 2000 + i, i % 3 == 0 ? "error" : "ok", i);
  text +=
      R"({"event":"footer","ts":900000,"wall_ns":899000,"records":0,"spans":0,"events":0,"dropped":{"spans":0,"events":0,"metrics":0,"attrs":0},"sampled_out":0,"open_spans":0})"
      "\n";
  fs::create_directories(dir);
  reader_test::write_text(dir / "telemetry.jsonl", text);
  return dir;
}

}  // namespace

TEST_CASE("prom: spanlog_span_errors_total beside the durations, per span name") {
  const test_support::CommandResult prom = test_support::run_spanlog("prom " + http_run());
  REQUIRE(prom.status == 0);
  CHECK(contains(prom.output,
                 "# HELP spanlog_span_errors_total Spans that ended in error, per series of "
                 "spanlog_span_duration_seconds.\n# TYPE spanlog_span_errors_total counter\n"));
  CHECK(contains(prom.output, "spanlog_span_errors_total{name=\"http.request\"} 2\n"));
  CHECK(contains(prom.output, "spanlog_span_errors_total{name=\"validate\"} 3\n"));
  CHECK(contains(prom.output, "spanlog_span_errors_total{name=\"db.query\"} 0\n"));
  CHECK(contains(prom.output, "spanlog_span_duration_seconds_count{name=\"http.request\"} 10\n"));
}

TEST_CASE("prom --labels: a series per span name and combination of values, judged by promtool") {
  reader_test::TempDir dir;
  const fs::path file = dir / "metrics.prom";
  const test_support::CommandResult prom =
      test_support::run_spanlog("prom " + http_run() + " --labels http.route,http.status -o " + quoted(file));
  INFO(prom.output);
  REQUIRE(prom.status == 0);
  const std::string text = reader_test::read_text(file);
  // GET /search with status 200: 10, 20 and 30 ms, none in error.
  const std::string search = "name=\"http.request\",http_route=\"GET /search\",http_status=\"200\"";
  CHECK(contains(text, "spanlog_span_duration_seconds_bucket{" + search + ",le=\"0.01\"} 1\n"));
  CHECK(contains(text, "spanlog_span_duration_seconds_bucket{" + search + ",le=\"0.025\"} 2\n"));
  CHECK(contains(text, "spanlog_span_duration_seconds_bucket{" + search + ",le=\"+Inf\"} 3\n"));
  CHECK(contains(text, "spanlog_span_duration_seconds_sum{" + search + "} 0.06\n"));
  CHECK(contains(text, "spanlog_span_duration_seconds_count{" + search + "} 3\n"));
  CHECK(contains(text, "spanlog_span_errors_total{" + search + "} 0\n"));
  CHECK(contains(
      text,
      "spanlog_span_errors_total{name=\"http.request\",http_route=\"GET /search\",http_status=\"500\"}"
      " 1\n"));
  // Request 10 has no status: the label is left out. Children have neither attribute.
  CHECK(contains(
      text, "spanlog_span_duration_seconds_count{name=\"http.request\",http_route=\"GET /search\"} 1\n"));
  CHECK(contains(text, "spanlog_span_duration_seconds_count{name=\"validate\"} 5\n"));
  // Six combinations of http.request, four other names: ten series, one count line each.
  CHECK(lines_starting(text, "spanlog_span_duration_seconds_count{") == 10);
  CHECK(lines_starting(text, "spanlog_span_errors_total{") == 10);
  CHECK(lines_starting(text, "# TYPE ") == 4);
  CHECK_FALSE(contains(text, "otel_metric_overflow"));
  check_accepted("prom", file);
}

TEST_CASE(
    "prom and otlp --labels: past 100 combinations a name's spans go to one overflow series, with a "
    "warning") {
  REQUIRE(reader::kMaxLabelledSeries == 100);
  reader_test::TempDir dir;
  write_many_routes(dir / "run", 103);
  const fs::path prom_file = dir / "metrics.prom";
  const test_support::CommandResult prom =
      test_support::run_spanlog("prom " + quoted(dir / "run") + " --labels route -o " + quoted(prom_file));
  INFO(prom.output);
  REQUIRE(prom.status == 0);
  CHECK(contains(prom.output, "3 spans of r had label values past its first 100 combinations"));
  const std::string text = reader_test::read_text(prom_file);
  CHECK(lines_starting(text, "spanlog_span_duration_seconds_count{") == 101);
  // Routes /0 to /99 have series; /100, /101 and /102 share the overflow one, /102 in error.
  CHECK(contains(text, "spanlog_span_duration_seconds_count{name=\"r\",route=\"/99\"} 1\n"));
  CHECK_FALSE(contains(text, "route=\"/100\""));
  CHECK(contains(text, "spanlog_span_duration_seconds_count{name=\"r\",otel_metric_overflow=\"true\"} 3\n"));
  CHECK(contains(text, "spanlog_span_errors_total{name=\"r\",otel_metric_overflow=\"true\"} 1\n"));
  check_accepted("prom", prom_file);

  const fs::path metrics = dir / "metrics.jsonl";
  const test_support::CommandResult otlp =
      test_support::run_spanlog("otlp " + quoted(dir / "run") + " -o " + quoted(dir / "traces.jsonl") +
                                " --metrics " + quoted(metrics) + " --labels route");
  INFO(otlp.output);
  REQUIRE(otlp.status == 0);
  CHECK(contains(otlp.output, "3 spans of r had label values past its first 100 combinations"));
  const std::string json = reader_test::read_text(metrics);
  CHECK(contains(json, R"("attributes":[{"key":"span.name","value":{"stringValue":"r"}},)"
                       R"({"key":"otel.metric.overflow","value":{"boolValue":true}}],)"));
  check_accepted("metrics", metrics);
}

TEST_CASE(
    "otlp --metrics --labels: the values as typed attributes of each data point, judged by the schema") {
  reader_test::TempDir dir;
  const fs::path metrics = dir / "metrics.jsonl";
  const test_support::CommandResult otlp =
      test_support::run_spanlog("otlp " + http_run() + " -o " + quoted(dir / "traces.jsonl") + " --metrics " +
                                quoted(metrics) + " --labels http.route,http.status");
  INFO(otlp.output);
  REQUIRE(otlp.status == 0);
  const std::string text = reader_test::read_text(metrics);
  dom::parser parser;
  dom::element root;
  REQUIRE(parser.parse(text).get(root) == simdjson::SUCCESS);
  std::map<std::string, dom::element> points, errors;  // by the attributes as written
  for (dom::element metric : root.at_pointer("/resourceMetrics/0/scopeMetrics/0/metrics").get_array()) {
    if (std::string_view(metric["name"]) == "spanlog.span.errors")
      for (dom::element point : metric.at_pointer("/sum/dataPoints").get_array())
        errors.emplace(simdjson::to_string(point["attributes"]), point);
    if (std::string_view(metric["name"]) != "spanlog.span.duration") continue;
    for (dom::element point : metric.at_pointer("/histogram/dataPoints").get_array())
      points.emplace(simdjson::to_string(point["attributes"]), point);
  }
  CHECK(points.size() == 10);
  // The errors beside the durations, series by series, as prom's spanlog_span_errors_total (above): the
  // request to GET /search that answered 500 ended in error, the one that answered 200 did not.
  CHECK(errors.size() == 10);
  const std::string search_500 =
      R"([{"key":"span.name","value":{"stringValue":"http.request"}},)"
      R"({"key":"http.route","value":{"stringValue":"GET /search"}},{"key":"http.status","value":{"intValue":"500"}}])";
  REQUIRE(errors.count(search_500) == 1);
  CHECK(std::string_view(errors.at(search_500)["asInt"]) == "1");
  const std::string search_200 =
      R"([{"key":"span.name","value":{"stringValue":"http.request"}},)"
      R"({"key":"http.route","value":{"stringValue":"GET /search"}},{"key":"http.status","value":{"intValue":"200"}}])";
  REQUIRE(errors.count(search_200) == 1);
  CHECK(std::string_view(errors.at(search_200)["asInt"]) == "0");
  const std::string orders =
      R"([{"key":"span.name","value":{"stringValue":"http.request"}},)"
      R"({"key":"http.route","value":{"stringValue":"POST /orders"}},{"key":"http.status","value":{"intValue":"201"}}])";
  REQUIRE(points.count(orders) == 1);
  // Requests 5 and 7: 50 and 60 ms.
  CHECK(std::string_view(points.at(orders)["count"]) == "2");
  CHECK(double(points.at(orders)["sum"]) == doctest::Approx(0.11));
  CHECK(double(points.at(orders)["min"]) == doctest::Approx(0.05).epsilon(0.01));
  check_accepted("metrics", metrics);
}

TEST_CASE(
    "--labels: a label that clashes with the exporters' own, or with another once sanitised, is a usage "
    "error") {
  for (const std::string& arguments :
       {std::string("prom ") + http_run() + " --labels name", "prom " + http_run() + " --labels le",
        "prom " + http_run() + " --labels a.b,a_b", "prom " + http_run() + " --labels ,",
        "otlp " + http_run() + " --labels http.route"}) {
    const test_support::CommandResult result = test_support::run_spanlog(arguments);
    INFO(arguments << "\n" << result.output);
    CHECK(result.status == 2);
  }
  CHECK(contains(test_support::run_spanlog("prom " + http_run() + " --labels a.b,a_b").output,
                 "two attributes become the label 'a_b'"));
  CHECK(contains(test_support::run_spanlog("otlp " + http_run() + " --labels http.route").output,
                 "it needs --metrics FILE"));
}
