// Metrics as the recorder writes them (schema 1.7): labelled counters, gauges and histograms summed per
// series over threads, unlabelled histograms kept per thread in place, the bound on a metric's label sets,
// units and descriptions in the header and in metric_info lines, and the process's vitals.
#include <doctest/doctest.h>
// This program compiles the implementation itself, as the recorder's other output tests do.
#define SPANLOG_IMPLEMENTATION
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "support/run_options.hpp"
#include "support/run_reader.hpp"

using test_support::read_run;

namespace {

spanlog::Options metric_options(const std::string& dir, const char* run_id) {
  spanlog::Options o = test_support::run_options(dir, run_id, spanlog::OverflowPolicy::block);
  o.flush_interval = std::chrono::milliseconds(5);
  o.stats_interval = std::chrono::milliseconds(5);
  return o;
}

test_support::RunContents record(const char* run_id, void (*body)(),
                                 void (*adjust)(spanlog::Options&) = nullptr) {
  const std::string dir = test_support::make_temp_dir();
  spanlog::Options o = metric_options(dir, run_id);
  if (adjust) adjust(o);
  REQUIRE(spanlog::start(o));
  body();
  spanlog::stop();
  return read_run(dir + "/" + run_id);
}

// The reader's rule for a bucket's lower bound (format.md, span_stats): exact below 128, then 64 a power
// of 2.
std::uint64_t bucket_lower(std::uint64_t v) {
  if (v < 128) return v;
  unsigned top = 63 - static_cast<unsigned>(__builtin_clzll(v));
  const unsigned shift = top - 6;
  return (v >> shift) << shift;
}

}  // namespace

TEST_CASE("labelled counters sum per label set over threads, whatever order the labels are named in") {
  const auto run = record("labelled_counters", [] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([] {
        for (int i = 0; i < 1000; ++i) {
          SPANLOG_COUNTER_ADD("llm.tokens", 3, "model", "small", "kind", "input");
          SPANLOG_COUNTER_ADD("llm.tokens", 5, "kind", "input", "model", std::string("large"));
        }
      });
    for (auto& t : threads) t.join();
    static const spanlog::Counter errors("tool.errors");
    errors.add(2, "tool", "grep");
    SPANLOG_COUNTER_ADD("llm.cost", 0.25, "model", "large");
    SPANLOG_COUNTER_ADD("llm.cost", 0.5, "model", "large");
    SPANLOG_COUNTER_ADD("plain", 7);
  });
  CHECK(run.schema_errors == 0);
  CHECK(run.series_sums.at(R"(llm.tokens{"kind":"input","model":"small"})") == 12000);
  CHECK(run.series_sums.at(R"(llm.tokens{"kind":"input","model":"large"})") == 20000);
  CHECK(run.series_sums.at(R"(tool.errors{"tool":"grep"})") == 2);
  CHECK(run.series_sums.at(R"(llm.cost{"model":"large"})") == doctest::Approx(0.75));
  CHECK(run.series_sums.at("plain") == 7);
  CHECK(run.footer.find("\"metric_overflow\":0") != std::string::npos);
}

TEST_CASE("labelled gauges keep each series' last value and its maximum") {
  const auto run = record("labelled_gauges", [] {
    static const spanlog::Gauge in_use("pool.in_use");
    for (int i = 1; i <= 10; ++i) in_use.set(i, "pool", "db");
    in_use.set(4, "pool", "db");
    SPANLOG_GAUGE_SET("pool.in_use", 2.5, "pool", "cache");
  });
  CHECK(run.schema_errors == 0);
  CHECK(run.series_gauge_last.at(R"(pool.in_use{"pool":"db"})") == 4);
  CHECK(run.series_gauge_max.at(R"(pool.in_use{"pool":"db"})") == 10);
  CHECK(run.series_gauge_last.at(R"(pool.in_use{"pool":"cache"})") == 2.5);
}

TEST_CASE(
    "a histogram's values land in the reader's buckets, per thread unlabelled and per series labelled") {
  const auto run = record("histograms", [] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([] {
        for (std::uint64_t v = 0; v < 5000; v += 7) SPANLOG_HISTOGRAM("request.bytes", v);
      });
    for (auto& t : threads) t.join();
    static const spanlog::Histogram waits("queue.wait_us");
    for (int v : {12, 12, 49, 100000}) waits.record(v, "queue", "io");
    SPANLOG_HISTOGRAM("zeros", 0);
    SPANLOG_HISTOGRAM("zeros", 0u);
  });
  CHECK(run.schema_errors == 0);
  std::uint64_t expected_sum = 0, expected_count = 0;
  std::map<std::uint64_t, std::uint64_t> expected_buckets;
  for (std::uint64_t v = 0; v < 5000; v += 7) {
    expected_sum += 3 * v;
    expected_count += 3;
    expected_buckets[bucket_lower(v)] += 3;
  }
  const auto& bytes = run.histograms.at("request.bytes");
  CHECK(bytes.count == expected_count);
  CHECK(bytes.sum == expected_sum);
  CHECK(bytes.buckets == expected_buckets);
  const auto& waits = run.histograms.at(R"(queue.wait_us{"queue":"io"})");
  CHECK(waits.count == 4);
  CHECK(waits.sum == 12 + 12 + 49 + 100000);
  CHECK(waits.buckets == std::map<std::uint64_t, std::uint64_t>{{12, 2}, {49, 1}, {bucket_lower(100000), 1}});
  // Values of 0 add nothing to the sum: the count tells the flusher they are there.
  CHECK(run.histograms.at("zeros").count == 2);
}

TEST_CASE("a negative histogram value is refused and counted as a dropped metric") {
  const auto run = record("negative_value", [] {
    SPANLOG_HISTOGRAM("delta", -5);
    SPANLOG_HISTOGRAM("delta", 5);
    SPANLOG_HISTOGRAM("delta", -1, "side", "left");
  });
  CHECK(run.schema_errors == 0);
  CHECK(run.histograms.at("delta").count == 1);
  CHECK(run.histograms.count(R"(delta{"side":"left"})") == 0);
  CHECK(run.dropped.at("metrics") == 2);
}

TEST_CASE("past the bound on label sets, values go to the overflow series and are counted") {
  const auto run = record(
      "overflow",
      [] {
        for (int i = 0; i < 10; ++i) SPANLOG_COUNTER_ADD("requests", 1, "user", i);
        SPANLOG_COUNTER_ADD("requests", 1, "user", 0);  // a set already kept stays its own
        SPANLOG_COUNTER_ADD("other", 1, "user", 99);    // the bound is per metric
      },
      [](spanlog::Options& o) { o.metric_series_max = 4; });
  CHECK(run.schema_errors == 0);
  CHECK(run.series_sums.at(R"(requests{"user":0})") == 2);
  CHECK(run.series_sums.at(R"(requests{"user":3})") == 1);
  CHECK(run.series_sums.count(R"(requests{"user":4})") == 0);
  CHECK(run.series_sums.at(R"(requests{"otel.metric.overflow":true})") == 6);
  CHECK(run.series_sums.at(R"(other{"user":99})") == 1);
  CHECK(run.footer.find("\"metric_overflow\":6") != std::string::npos);
  CHECK(run.header.find("\"metric_series_max\":4") != std::string::npos);
}

TEST_CASE("units and descriptions: declared before the start in the header, after it in metric_info lines") {
  static const spanlog::MetricInfo tokens("llm.tokens", "{token}", "Tokens used by LLM calls");
  const auto run = record("metric_infos", [] {
    SPANLOG_METRIC_INFO("request.bytes", "By", "Size of a \"request\" body");
    SPANLOG_HISTOGRAM("request.bytes", 10);
  });
  CHECK(run.schema_errors == 0);
  CHECK(run.header.find(R"("llm.tokens":{"unit":"{token}","description":"Tokens used by LLM calls"})") !=
        std::string::npos);
  CHECK(run.header.find(R"("spanlog.process.memory.rss":{"unit":"By")") != std::string::npos);
  REQUIRE(run.metric_infos.count("request.bytes") == 1);
  CHECK(run.metric_infos.at("request.bytes").unit == "By");
  CHECK(run.metric_infos.at("request.bytes").description == "Size of a \"request\" body");
  // Declared once, however often the statement runs; known to the next run from its start.
  const auto next = record("metric_infos_next", [] {});
  CHECK(next.metric_info_lines == 0);
  CHECK(next.header.find(R"("request.bytes":{"unit":"By")") != std::string::npos);
}

TEST_CASE("the vitals: resident memory, CPU time, threads, bytes and records written, fill, lag") {
  const auto run = record("vitals", [] {
    std::vector<char> touched(8 << 20, 1);
    for (int i = 0; i < 2000; ++i) SPANLOG_SPAN("work");
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    CHECK(touched[touched.size() / 2] == 1);
  });
  CHECK(run.schema_errors == 0);
  CHECK(run.header.find("\"vitals\":true") != std::string::npos);
  CHECK(run.series_gauge_max.at("spanlog.process.memory.rss") > 8e6);
  CHECK(run.series_sums.count(R"(spanlog.process.cpu.time{"cpu.mode":"user"})") == 1);
  CHECK(run.series_sums.count(R"(spanlog.process.cpu.time{"cpu.mode":"system"})") == 1);
  CHECK(run.series_gauge_max.at("spanlog.process.threads") >= 1);
  // Bytes and records written before the last vitals: at least the header and the spans' lines, at most the
  // file.
  CHECK(run.series_sums.at("spanlog.written.records") >= 2);
  CHECK(run.series_sums.at("spanlog.written.records") <= static_cast<double>(run.lines));
  CHECK(run.series_sums.at("spanlog.written.bytes") > 100);
  CHECK(run.series_sums.at("spanlog.dropped.records") == 0);
  bool ring_fill_seen = false;
  for (const auto& [series, max] : run.series_gauge_max)
    if (series.rfind("spanlog.ring.fill{\"tid\":", 0) == 0) {
      ring_fill_seen = true;
      CHECK(max > 0);
      CHECK(max <= 1);
    }
  CHECK(ring_fill_seen);
  REQUIRE(run.series_gauge_max.count("spanlog.flusher.lag") == 1);
  CHECK(run.series_gauge_max.at("spanlog.flusher.lag") >= 0);
  CHECK(run.series_sums.count("spanlog.flusher.cpu.time") == 1);

  const auto off = record(
      "vitals_off", [] { SPANLOG_SPAN("work"); }, [](spanlog::Options& o) { o.vitals = false; });
  CHECK(off.header.find("\"vitals\":false") != std::string::npos);
  for (const auto& [series, sum] : off.series_sums) CHECK(series.rfind("spanlog.", 0) != 0);
  CHECK(off.header.find("spanlog.process") == std::string::npos);
}
