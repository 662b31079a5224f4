// Schema 1.7 metrics in the exports, on the hand-written run in tests/data/metrics: labels, units and
// descriptions, and histograms in `spanlog prom` (classic histograms, power-of-two bounds, base units) and in
// `spanlog otlp --metrics` (ExponentialHistograms of scale 6). Every expected figure is worked out by hand
// from the run's lines (the comments show how); promtool and the OTLP protobuf schema judge the files.
#include <simdjson.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "export/otlp_metrics.hpp"
#include "export/prometheus.hpp"
#include "export/prometheus_units.hpp"
#include "reader/aggregator.hpp"
#include "support/process.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::contains;
namespace dom = simdjson::dom;
namespace fs = std::filesystem;

namespace {

fs::path metrics_run() {
  return reader_test::data("metrics") / "telemetry.jsonl";
}

reader::Summary summary_of(const fs::path& file) {
  return reader::summarize({file}, {}, {});
}

std::string prometheus_of(const fs::path& file) {
  return exporters::prometheus_text(summary_of(file));
}

std::string otlp_metrics_of(const fs::path& file) {
  const exporters::RunContext context = exporters::scan_run(file, {});
  std::ostringstream out;
  exporters::write_otlp_metrics(context, summary_of(file), out);
  return out.str();
}

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

std::string text_of(dom::element e) {
  std::string_view s;
  REQUIRE(e.get(s) == simdjson::SUCCESS);
  return std::string(s);
}

}  // namespace

TEST_CASE("prometheus units: base units with their factor, annotations dropped, ratios on gauges only") {
  CHECK(exporters::prometheus_unit("ms", false).suffix == "seconds");
  CHECK(exporters::prometheus_unit("ms", false).scale == 1e-3);
  CHECK(exporters::prometheus_unit("us", false).scale == 1e-6);
  CHECK(exporters::prometheus_unit("ns", true).scale == 1e-9);
  CHECK(exporters::prometheus_unit("By", false).suffix == "bytes");
  CHECK(exporters::prometheus_unit("KiBy", false).scale == 1024);
  CHECK(exporters::prometheus_unit("{token}", false).suffix.empty());
  CHECK(exporters::prometheus_unit("1", true).suffix == "ratio");
  CHECK(exporters::prometheus_unit("1", false).suffix.empty());
  CHECK(exporters::prometheus_unit("By/s", true).suffix == "bytes_per_second");
  CHECK(exporters::prometheus_unit("{request}/s", false).suffix.empty());
  CHECK(exporters::prometheus_label_name("otel.metric.overflow") == "otel_metric_overflow");
  CHECK(exporters::prometheus_label_name("0day") == "_0day");
  CHECK(exporters::prometheus_label_name("__name") == "label__name");
}

TEST_CASE("prometheus: labelled counters and gauges, units as suffixes in base units, the vitals") {
  const std::string text = prometheus_of(metrics_run());
  CHECK(contains(text,
                 "# HELP spanlog_llm_tokens_total Tokens used by LLM calls\n"
                 "# TYPE spanlog_llm_tokens_total counter\n"
                 "spanlog_llm_tokens_total{kind=\"input\",model=\"m-large\"} 1000\n"  // 812 + 188
                 "spanlog_llm_tokens_total{kind=\"input\",model=\"m-small\"} 50\n"
                 "spanlog_llm_tokens_total{kind=\"output\",model=\"m-large\"} 200\n"
                 "spanlog_llm_tokens_total{otel_metric_overflow=\"true\"} 7\n"));
  CHECK(contains(text, "spanlog_bytes_parsed_total 1000\n"));
  CHECK(contains(text,
                 "# TYPE spanlog_pool_in_use gauge\n"
                 "spanlog_pool_in_use{pool=\"cache\"} 7\n"
                 "spanlog_pool_in_use{pool=\"db\"} 2\n"));
  // The vitals, named once under spanlog_: cpu time in seconds already, the lag's last 3 ms from ns, rss.
  CHECK(contains(text, "spanlog_process_cpu_time_seconds_total{cpu_mode=\"user\"} 0.75\n"));
  CHECK(contains(text, "# TYPE spanlog_flusher_lag_seconds gauge\nspanlog_flusher_lag_seconds 0.003\n"));
  CHECK(contains(text, "spanlog_process_memory_rss_bytes 12582912\n"));
  CHECK(contains(text, "spanlog_ring_fill_ratio{tid=\"4243\"} 0.75\n"));
  CHECK_FALSE(contains(text, "spanlog_spanlog_"));
}

TEST_CASE("prometheus: histograms as classic histograms with power-of-two bounds, exact per bound") {
  const std::string text = prometheus_of(metrics_run());
  // request.bytes: buckets whose largest values are 1007, 4159 (x2), 5055 and 21759 go under 1024, 8192
  // (x3) and 32768; unit By: the name ends in _bytes already.
  CHECK(contains(text,
                 "# HELP spanlog_request_bytes Request body sizes\n"
                 "# TYPE spanlog_request_bytes histogram\n"
                 "spanlog_request_bytes_bucket{le=\"1024\"} 1\n"
                 "spanlog_request_bytes_bucket{le=\"2048\"} 1\n"
                 "spanlog_request_bytes_bucket{le=\"4096\"} 1\n"
                 "spanlog_request_bytes_bucket{le=\"8192\"} 4\n"
                 "spanlog_request_bytes_bucket{le=\"16384\"} 4\n"
                 "spanlog_request_bytes_bucket{le=\"32768\"} 5\n"
                 "spanlog_request_bytes_bucket{le=\"+Inf\"} 5\n"
                 "spanlog_request_bytes_sum 35700\n"
                 "spanlog_request_bytes_count 5\n"));
  // queue.wait in us, written in seconds: io's 12, 12, 49, 100 under 16, 64 and 128 us; net's two zeros
  // under 0. One set of bounds for both series: 0 to 128 us.
  CHECK(contains(text,
                 "# TYPE spanlog_queue_wait_seconds histogram\n"
                 "spanlog_queue_wait_seconds_bucket{queue=\"io\",le=\"0\"} 0\n"));
  CHECK(contains(text,
                 "spanlog_queue_wait_seconds_bucket{queue=\"io\",le=\"8e-06\"} 0\n"
                 "spanlog_queue_wait_seconds_bucket{queue=\"io\",le=\"1.6e-05\"} 2\n"
                 "spanlog_queue_wait_seconds_bucket{queue=\"io\",le=\"3.2e-05\"} 2\n"
                 "spanlog_queue_wait_seconds_bucket{queue=\"io\",le=\"6.4e-05\"} 3\n"
                 "spanlog_queue_wait_seconds_bucket{queue=\"io\",le=\"0.000128\"} 4\n"
                 "spanlog_queue_wait_seconds_bucket{queue=\"io\",le=\"+Inf\"} 4\n"
                 "spanlog_queue_wait_seconds_sum{queue=\"io\"} 0.000173\n"
                 "spanlog_queue_wait_seconds_count{queue=\"io\"} 4\n"
                 "spanlog_queue_wait_seconds_bucket{queue=\"net\",le=\"0\"} 2\n"));
  CHECK(contains(text, "spanlog_queue_wait_seconds_bucket{queue=\"net\",le=\"0.000128\"} 2\n"));
}

TEST_CASE("prometheus: promtool accepts the labelled run without a lint problem") {
  const fs::path checks = test_support::env("SPANLOG_EXPORTER_CHECKS");
  reader_test::TempDir dir;
  reader_test::write_text(dir / "metrics.prom", prometheus_of(metrics_run()));
  const test_support::CommandResult checked =
      test_support::try_run(quoted(checks / "check-prom.sh") + " " + quoted(dir / "metrics.prom"));
  if (checked.status == 2) {
    MESSAGE("promtool is not installed: " << checked.output);
    return;
  }
  INFO(checked.output);
  CHECK(checked.status == 0);
  // 3 counters, 4 gauges, 2 histograms
  CHECK(contains(checked.output, "ok: promtool check metrics: 9 metric families, no lint problems"));
  // A label value that needs escaping stays one valid sample.
  reader_test::write_text(dir / "telemetry.jsonl",
                          reader_test::read_text(metrics_run()) +
                              R"({"event":"counter","name":"llm.tokens","ts":1795459264200000000,"delta":1,)"
                              R"("labels":{"kind":"a \"quoted\"\nline \\ end"}})"
                              "\n");
  const std::string escaped = prometheus_of(dir / "telemetry.jsonl");
  CHECK(contains(escaped, "spanlog_llm_tokens_total{kind=\"a \\\"quoted\\\"\\nline \\\\ end\"} 1\n"));
  reader_test::write_text(dir / "escaped.prom", escaped);
  CHECK(test_support::try_run(quoted(checks / "check-prom.sh") + " " + quoted(dir / "escaped.prom")).status ==
        0);
}

TEST_CASE(
    "otlp metrics: labels as attributes, units and descriptions, histograms as exponential histograms") {
  const std::string text = otlp_metrics_of(metrics_run());
  dom::parser parser;
  const dom::element doc = parser.parse(text);
  std::map<std::string, dom::element> metrics;
  for (dom::element metric : doc.at_pointer("/resourceMetrics/0/scopeMetrics/0/metrics").get_array())
    metrics.emplace(text_of(metric["name"]), metric);
  REQUIRE(metrics.size() == 9);  // 5 of the program, 4 vitals

  const dom::element tokens = metrics.at("llm.tokens");
  CHECK(text_of(tokens["unit"]) == "{token}");
  CHECK(text_of(tokens["description"]) == "Tokens used by LLM calls");
  const dom::array token_points = tokens.at_pointer("/sum/dataPoints").get_array();
  REQUIRE(token_points.size() == 4);
  CHECK(text_of(token_points.at(0).at_pointer("/attributes/0/key")) == "kind");
  CHECK(text_of(token_points.at(0).at_pointer("/attributes/0/value/stringValue")) == "input");
  CHECK(text_of(token_points.at(0).at_pointer("/attributes/1/value/stringValue")) == "m-large");
  CHECK(text_of(token_points.at(0)["asInt"]) == "1000");
  CHECK(bool(token_points.at(3).at_pointer("/attributes/0/value/boolValue")) == true);
  CHECK(text_of(token_points.at(3)["asInt"]) == "7");
  CHECK(text_of(
            metrics.at("spanlog.ring.fill").at_pointer("/gauge/dataPoints/1/attributes/0/value/intValue")) ==
        "4243");

  // request.bytes: bucket midpoints 1004, 4128 (x2), 5024, 21632; ceil(64 log2 m) - 1 = 638, 768, 786, 921.
  const dom::element bytes = metrics.at("request.bytes");
  CHECK(text_of(bytes["unit"]) == "By");
  CHECK(int64_t(bytes.at_pointer("/exponentialHistogram/aggregationTemporality")) == 2);
  const dom::element point = bytes.at_pointer("/exponentialHistogram/dataPoints/0");
  CHECK(text_of(point["count"]) == "5");
  CHECK(double(point["sum"]) == 35700);
  CHECK(int64_t(point["scale"]) == 6);
  CHECK(text_of(point["zeroCount"]) == "0");
  CHECK(double(point["min"]) == 1000);   // the lowest bucket's lower edge
  CHECK(double(point["max"]) == 21759);  // the highest bucket's upper edge
  CHECK(int64_t(point.at_pointer("/positive/offset")) == 638);
  const dom::array counts = point.at_pointer("/positive/bucketCounts").get_array();
  REQUIRE(counts.size() == 921 - 638 + 1);
  std::map<std::size_t, std::string> nonzero;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (text_of(counts.at(i)) != "0") nonzero[i + 638] = text_of(counts.at(i));
  CHECK(nonzero == std::map<std::size_t, std::string>{{638, "1"}, {768, "2"}, {786, "1"}, {921, "1"}});

  // queue.wait{queue="net"}: two zeros, no positive bucket.
  const dom::element net = metrics.at("queue.wait").at_pointer("/exponentialHistogram/dataPoints/1");
  CHECK(text_of(net.at_pointer("/attributes/0/value/stringValue")) == "net");
  CHECK(text_of(net["zeroCount"]) == "2");
  CHECK(net["positive"].error() == simdjson::NO_SUCH_FIELD);
  // queue="io": 12, 49, 100 at 229, 359, 425.
  const dom::element io = metrics.at("queue.wait").at_pointer("/exponentialHistogram/dataPoints/0");
  CHECK(int64_t(io.at_pointer("/positive/offset")) == 229);
  CHECK(io.at_pointer("/positive/bucketCounts").get_array().size() == 425 - 229 + 1);
}

TEST_CASE("otlp metrics: the labelled run round-trips through the OTLP protobuf schema") {
  const fs::path checks = test_support::env("SPANLOG_EXPORTER_CHECKS");
  const test_support::CommandResult node = test_support::try_run(
      "node -e \"require.resolve('@opentelemetry/otlp-transformer/build/src/generated/root.js', {paths: ['" +
      checks.string() + "']})\"");
  REQUIRE_MESSAGE(node.status == 0,
                  "the schema checker cannot run (install nodejs and run npm ci --prefix "
                  "tests/exporters, as scripts/test.sh does):\n"
                      << node.output);
  reader_test::TempDir dir;
  reader_test::write_text(dir / "metrics.jsonl", otlp_metrics_of(metrics_run()));
  const test_support::CommandResult checked =
      test_support::try_run(quoted(checks / "check-otlp.sh") + " metrics " + quoted(dir / "metrics.jsonl"));
  INFO(checked.output);
  CHECK(checked.status == 0);
}
