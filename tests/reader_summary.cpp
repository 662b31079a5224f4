// `spanlog summary` on hand-written runs: the expected values below are worked out by hand from
// tests/data/basic/telemetry.jsonl, and percentiles of a generated run are compared with exact ones.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "cli/commands.hpp"
#include "cli/usage_error.hpp"
#include "reader/aggregator.hpp"
#include "reader/metric_groups.hpp"
#include "reader/rules.hpp"
#include "reader/run_location.hpp"
#include "reader/summary_json.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::contains;
using reader_test::data;

namespace {

reader::Summary summarize_one(const std::filesystem::path& file, reader::AggregateOptions options = {}) {
  return reader::summarize({file}, options, {});
}

reader::AggregateOptions grouped_by(std::string attributes, std::vector<std::string> sums = {}) {
  reader::AggregateOptions options;
  options.group_by = std::move(attributes);
  options.sum_keys = std::move(sums);
  return options;
}

reader::AggregateOptions named(std::string glob) {
  reader::AggregateOptions options;
  options.name_filter = std::move(glob);
  return options;
}

}  // namespace

TEST_CASE("per span name: count, total, self time across threads and span forms, percentiles, errors") {
  const reader::Summary s = summarize_one(data("basic/telemetry.jsonl"));
  REQUIRE(s.spans.size() == 4);
  const auto& analysis = s.spans.at("analysis");
  CHECK(analysis.durations.count() == 1);
  CHECK(analysis.durations.sum() == 1'000'000);
  // minus its child request(20 µs, span_start/span_end) on its own thread 1; the other request (8 µs) ran on
  // thread 2, in parallel
  CHECK(analysis.self_ns == 980'000);
  CHECK(analysis.parallel_ns == 8'000);

  const auto& request = s.spans.at("request");
  CHECK(request.durations.count() == 2);
  CHECK(request.durations.sum() == 28'000);
  // 20000 - 2000 parse on its thread 1 (the db.query children ran on thread 2: 5000 + 1000 in parallel),
  // + 8000 - 3000 (an async child begun on the same thread 2, written after its parent)
  CHECK(request.self_ns == 23'000);
  CHECK(request.parallel_ns == 6'000);
  CHECK(request.durations.percentile(0.5) == 8'000);
  CHECK(request.durations.max() == 20'000);

  const auto& db = s.spans.at("db.query");
  CHECK(db.durations.count() == 2);
  CHECK(db.errors == 1);
  CHECK(db.self_ns == 6'000);
  CHECK(s.spans.at("parse").durations.sum() == 5'000);

  CHECK(s.phases.at("analysis").wall_ns == 1'000'000);
  CHECK(s.phases.at("analysis").spans == 6);  // the spans started within it, not the phase itself
  CHECK(s.counters.at("bytes").value() == 150);
  CHECK(s.wall_ns() == 2'000'000);
  const auto& gauge = s.gauges.at("queue.depth");
  CHECK(*gauge.last == 4);
  CHECK(*gauge.min == 1);
  CHECK(*gauge.max == 9);
  CHECK(gauge.sets == 7);
  CHECK(s.events.at("cache.miss") == 2);
  REQUIRE(s.threads.size() == 2);
  CHECK(s.threads[0].name == "main");
  CHECK(s.threads[0].spans == 3);
  CHECK(s.threads[1].name == "worker");
  CHECK(s.threads[1].spans == 4);
  CHECK(s.dropped.spans == 2);
  CHECK(s.dropped.events == 1);
  CHECK(s.total_spans == 7);
  CHECK(s.open_spans.empty());
}

TEST_CASE("--by groups spans by an attribute; --sum sums the numeric attributes it names per group") {
  const reader::Summary s = summarize_one(data("basic/telemetry.jsonl"), grouped_by("model", {"tokens"}));
  REQUIRE(s.spans.size() == 2);
  CHECK(s.spans.at("small").durations.sum() == 20'000);  // model set at span_start, tokens at span_end
  CHECK(s.spans.at("small").attr_sums.at("tokens") == 50);
  CHECK(s.spans.at("large").durations.sum() == 8'000);
  CHECK(s.spans.at("large").attr_sums.at("tokens") == 70);
  CHECK(s.ungrouped_spans == 5);
  // Without --sum nothing is added up.
  CHECK(
      summarize_one(data("basic/telemetry.jsonl"), grouped_by("model")).spans.at("small").attr_sums.empty());
  // The name filter still applies.
  CHECK(summarize_one(data("basic/telemetry.jsonl"), named("pars*")).spans.size() == 1);
}

TEST_CASE("several runs merge into one summary") {
  const auto file = data("basic/telemetry.jsonl");
  const reader::Summary s = reader::summarize({file, file}, {}, {});
  CHECK(s.spans.at("request").durations.count() == 4);
  CHECK(s.spans.at("request").self_ns == 46'000);
  CHECK(s.spans.at("request").parallel_ns == 12'000);
  CHECK(s.counters.at("bytes").value() == 300);
  CHECK(s.threads.size() == 4);
  CHECK(s.runs.size() == 2);
  CHECK(s.phases.at("analysis").occurrences == 2);
}

TEST_CASE("percentiles of a generated run are within 1% of exact, in any chunk size") {
  reader_test::TempDir dir;
  std::mt19937_64 random(99);
  std::lognormal_distribution<double> durations(10.0, 1.5);
  std::vector<std::uint64_t> values;
  std::string text = R"({"event":"header","schema":1,"run_id":"gen","start_ts":1000})"
                     "\n";
  std::uint64_t sum = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto d = static_cast<std::uint64_t>(durations(random));
    values.push_back(d);
    sum += d;
    text += fmt::format(R"({{"event":"span","span_id":{},"name":"work","tid":1,"ts":{},"dur_ns":{}}})"
                        "\n",
                        i + 1, 1000 + i, d);
  }
  reader_test::write_text(dir / "telemetry.jsonl", text);
  std::sort(values.begin(), values.end());
  for (const std::size_t chunk : {std::size_t{4096}, std::size_t{4} << 20}) {
    reader::ReadOptions options;
    options.chunk_bytes = chunk;
    const reader::Summary s = reader::summarize({dir / "telemetry.jsonl"}, {}, options);
    const auto& h = s.spans.at("work").durations;
    CHECK(h.count() == values.size());
    CHECK(h.sum() == sum);
    CHECK(h.max() == values.back());
    for (const double q : {0.5, 0.9, 0.99}) {
      const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size()) - 1e-9));
      const auto exact = static_cast<double>(values[rank - 1]);
      CHECK(std::fabs(static_cast<double>(h.percentile(q)) - exact) <= 0.01 * exact);
    }
  }
}

TEST_CASE("the summary table, --sort, --top and --filter") {
  cli::SummaryOptions options;
  options.runs = {data("basic").string()};
  options.write_run_summary = false;
  auto result = reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "run basic-1 (demo on testhost): wall 2.00 ms, 21 records, complete"));
  CHECK(contains(
      result.out,
      "span      count    total     self  parallel     mean      p50      p90      p99      max  errors"));
  CHECK(contains(result.out,
                 "request       2  28.0 µs  23.0 µs   6.00 µs  14.0 µs  8.00 µs  20.0 µs  20.0 µs  20.0 µs"
                 "       0"));
  CHECK(contains(result.out, "bytes      150   75000"));
  CHECK(contains(result.out, "dropped: 2 spans, 1 events, 0 metrics, 0 attrs"));
  // sorted by total: analysis first, parse last
  CHECK(result.out.find("analysis ") < result.out.find("parse "));

  options.sort = "name";
  options.top = 2;
  result = reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(result.out.find("analysis") < result.out.find("db.query"));
  CHECK_FALSE(contains(result.out, "request   "));
  CHECK(contains(result.out, "(2 more not shown)"));

  options.top.reset();
  options.filter = "db.*";
  result = reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(contains(result.out, "db.query"));
  CHECK_FALSE(contains(result.out, "request "));

  options.sort = "bogus";
  CHECK_THROWS_AS(
      reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); }),
      cli::UsageError);
}

TEST_CASE("--json is valid JSON with the same numbers") {
  cli::SummaryOptions options;
  options.runs = {data("basic/telemetry.jsonl").string()};
  options.json = true;
  options.write_run_summary = false;
  const auto result =
      reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  REQUIRE(result.status == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(result.out).get(doc) == simdjson::SUCCESS);
  std::uint64_t total = 0, self = 0, parallel = 0, wall = 0;
  for (auto span : doc["spans"].get_array()) {
    if (std::string_view(span["name"].get_string()) != "request") continue;
    total = span["total_ns"].get_uint64();
    self = span["self_ns"].get_uint64();
    parallel = span["parallel_ns"].get_uint64();
  }
  CHECK(total == 28'000);
  CHECK(self == 23'000);
  CHECK(parallel == 6'000);
  REQUIRE(doc["wall_ns"].get(wall) == simdjson::SUCCESS);
  CHECK(wall == 2'000'000);
  CHECK(double(doc["counters"]["bytes"]["rate_per_s"]) == 75000.0);
}

TEST_CASE("a run that died gets its run_summary.json regenerated in the documented shape") {
  reader_test::TempDir dir;
  std::filesystem::copy(data("crashed"), dir / "crashed");
  cli::SummaryOptions options;
  options.runs = {(dir / "crashed").string()};
  const auto result =
      reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.err, "the last line is incomplete"));
  CHECK(contains(result.out, "open spans (started, never ended): 3"));
  const std::string written = reader_test::read_text(dir / "crashed" / "run_summary.json");
  // As the recorder counts them: spans when they start (the 3 open ones too), per thread likewise.
  CHECK(
      written ==
      R"({"run_id":"crashed-1","schema":1,"start_ts":1795459260000000000,"total_wall_ns":4000,"phases":{},)"
      R"("totals":{"spans":4,"events":1,"stats_spans":0,"records":8,"dropped":0,"unwritten_records":0,"rings_grown":0,)"
      R"("largest_ring":1048576,"open_spans":3,)"
      R"("counters":{}},"threads":[{"tid":1,"name":"main","spans":3},{"tid":2,"name":"net","spans":1}]})"
      "\n");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  CHECK(parser.parse(written).get(doc) == simdjson::SUCCESS);
}

TEST_CASE("a complete run's run_summary.json matches the footer's totals") {
  const reader::Summary s = summarize_one(data("basic/telemetry.jsonl"));
  const std::string json = reader::run_summary_json(s);
  CHECK(contains(json, R"("phases":{"analysis":{"wall_ns":1000000,"spans":6}})"));
  CHECK(contains(
      json,
      R"("totals":{"spans":7,"events":2,"stats_spans":0,"records":21,"dropped":3,"unwritten_records":0,"rings_grown":0,)"
      R"("largest_ring":1048576,"open_spans":0,"counters":{"bytes":150}})"));
}

namespace {

reader::Summary summarize_text(const std::string& text) {
  reader::Aggregator aggregator;
  aggregator.begin_run("mem");
  reader::JsonlReader reader("mem", aggregator);
  reader.feed(text);
  reader.finish();
  aggregator.end_run(reader.report());
  return aggregator.take_summary();
}

}  // namespace

TEST_CASE("a gauge's last value is the newest line's, whatever the order of the lines; null is not finite") {
  // Threads report gauges in drain order: the file's last line is not the newest.
  const std::string text =
      R"({"event":"gauge","name":"q","tid":1,"ts":300,"value":7,"min":2,"max":9,"count":4})"
      "\n"
      R"({"event":"gauge","name":"q","tid":2,"ts":100,"value":1,"min":0,"max":3,"count":2})"
      "\n"
      R"({"event":"gauge","name":"q","tid":3,"ts":300,"value":5,"count":1})"
      "\n"  // the same time as the first: the later line wins
      R"({"event":"gauge","name":"r","tid":1,"ts":100,"value":2.5})"
      "\n"
      R"({"event":"gauge","name":"r","tid":2,"ts":200,"value":null,"min":null,"max":null,"count":3})"
      "\n";
  const reader::Summary s = summarize_text(text);
  const auto& q = s.gauges.at("q");
  CHECK(*q.last == 5);
  CHECK(*q.min == 0);
  CHECK(*q.max == 9);
  CHECK(q.sets == 7);
  const auto& r = s.gauges.at("r");
  CHECK_FALSE(r.last.has_value());  // the newest value was not finite
  CHECK(*r.min == 2.5);
  CHECK(*r.max == 2.5);

  reader_test::TempDir dir;
  reader_test::write_text(dir / "telemetry.jsonl", text);
  cli::SummaryOptions options;
  options.runs = {(dir / "telemetry.jsonl").string()};
  options.write_run_summary = false;
  auto result = reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(contains(result.out, "r      not finite  2.5  2.5"));
  options.json = true;
  result = reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(contains(result.out, R"("r":{"last":null,"min":2.5,"max":2.5,"sets":4})"));
  const auto rule = reader::evaluate(reader::parse_rule("gauge(r) >= 0"), s);
  CHECK_FALSE(rule.passed);
  CHECK(rule.explanation == "gauge(r) is not finite");
  CHECK(reader::evaluate(reader::parse_rule("gauge(q) == 5"), s).passed);
  CHECK(reader::evaluate(reader::parse_rule("gauge(nope) == 5"), s).explanation == "no gauge 'nope'");
}

TEST_CASE("a phase counts the other spans that started within [start, end), whenever their lines come") {
  const std::string text =
      // p1 [1000, 2000): its span_start comes after its first child's line, as when drained together
      R"({"event":"span","span_id":11,"parent":1,"name":"a","tid":1,"ts":1000,"dur_ns":10})"
      "\n"
      R"({"event":"span_start","span_id":1,"name":"p1","tid":1,"ts":1000,"kind":"phase"})"
      "\n"
      R"({"event":"span","span_id":12,"name":"b","tid":2,"ts":1500,"dur_ns":10})"
      "\n"
      // started at p1's end: p2's, not p1's; and drained before p1's end is known
      R"({"event":"span","span_id":13,"name":"c","tid":2,"ts":2000,"dur_ns":10})"
      "\n"
      R"({"event":"span","span_id":14,"name":"c","tid":2,"ts":2600,"dur_ns":10})"
      "\n"
      R"({"event":"span_end","span_id":1,"tid":1,"ts":2000,"dur_ns":1000,"status":"ok"})"
      "\n"
      R"({"event":"phase","name":"p1","span_id":1,"ts":1000,"end_ts":2000,"wall_ns":1000})"
      "\n"
      // p2 [2000, 3000), written whole after its spans; a phase inside it is not one of its spans
      R"({"event":"span","span_id":3,"name":"inner","tid":1,"ts":2100,"dur_ns":100,"kind":"phase"})"
      "\n"
      R"({"event":"phase","name":"inner","span_id":3,"ts":2100,"end_ts":2200,"wall_ns":100})"
      "\n"
      R"({"event":"span","span_id":2,"name":"p2","tid":1,"ts":2000,"dur_ns":1000,"kind":"phase"})"
      "\n"
      R"({"event":"phase","name":"p2","span_id":2,"ts":2000,"end_ts":3000,"wall_ns":1000})"
      "\n"
      // p3 never ends: still open when the file ends
      R"({"event":"span_start","span_id":4,"name":"p3","tid":1,"ts":3000,"kind":"phase"})"
      "\n"
      R"({"event":"span","span_id":15,"name":"d","tid":3,"ts":3500,"dur_ns":500})"
      "\n";
  const reader::Summary s = summarize_text(text);
  CHECK(s.phases.at("p1").spans == 2);  // a, b
  CHECK(s.phases.at("p2").spans == 2);  // c at 2000, c at 2600 (not inner)
  CHECK(s.phases.at("inner").spans == 0);
  CHECK(s.phases.at("p1").wall_ns == 1000);
  CHECK_FALSE(s.phases.at("p1").open);
  const auto& p3 = s.phases.at("p3");
  CHECK(p3.open);
  CHECK(p3.spans == 1);
  CHECK(p3.wall_ns == 1000);  // to the last time seen, 4000
  const std::string json = reader::run_summary_json(s);
  CHECK(contains(json, R"("p3":{"wall_ns":1000,"spans":1,"open":true})"));
  CHECK(contains(json, R"("totals":{"spans":9,)"));  // 8 ended, and p3 started
}

namespace {

constexpr const char* kEndedRunHeader =
    R"({"event":"header","schema":1,"schema_minor":1,"run_id":"ended","pid":4242,"host":"another-host",)"
    R"("start_ts":1795459260000000000})"
    "\n"
    R"({"event":"span","span_id":2,"name":"read","tid":4243,"ts":1795459260000001000,"dur_ns":500})"
    "\n";

reader_test::Captured summary_of(const std::filesystem::path& file, bool json) {
  cli::SummaryOptions options;
  options.runs = {file.string()};
  options.json = json;
  options.write_run_summary = false;
  return reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
}

}  // namespace

TEST_CASE("summary shows a crash's reason and thread, in the table and in --json") {
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "crashed.jsonl",
      std::string(kEndedRunHeader) +
          R"({"event":"crash","signal":6,"name":"SIGABRT","reason":"uncaught exception std::runtime_error: disk full","tid":4243,"ts":1795459261200000000})"
          "\n");
  auto result = summary_of(dir / "crashed.jsonl", false);
  REQUIRE(result.status == 0);
  CHECK(contains(result.out, "records, crashed (uncaught exception std::runtime_error: disk full)\n"));
  CHECK(contains(result.out,
                 "  crashed: uncaught exception std::runtime_error: disk full (thread 4243, at +1.20 s)\n"));

  result = summary_of(dir / "crashed.jsonl", true);
  REQUIRE(result.status == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(result.out).get(doc) == simdjson::SUCCESS);
  const simdjson::dom::element run = doc["runs"].at(0);
  CHECK(std::string_view(run["crash"]["reason"].get_string()) ==
        "uncaught exception std::runtime_error: disk full");
  CHECK(std::string_view(run["crash"]["name"].get_string()) == "SIGABRT");
  CHECK(std::uint64_t(run["crash"]["signal"]) == 6);
  CHECK(std::uint64_t(run["crash"]["tid"]) == 4243);
  CHECK(run["stopped_by"].is_null());

  // An older crash record, without reason: its name stands for it.
  reader_test::write_text(
      dir / "old.jsonl",
      std::string(kEndedRunHeader) +
          R"({"event":"crash","signal":11,"name":"SIGSEGV","tid":4243,"ts":1795459260500000000})"
          "\n");
  result = summary_of(dir / "old.jsonl", false);
  CHECK(contains(result.out, "  crashed: SIGSEGV (thread 4243, at +500 ms)\n"));
}

TEST_CASE("summary shows the footer's stopped_by, in the table and in --json") {
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "stopped.jsonl",
      std::string(kEndedRunHeader) +
          R"({"event":"footer","ts":1795459262000000000,"wall_ns":2000000000,"records":3,"stopped_by":"SIGINT"})"
          "\n");
  auto result = summary_of(dir / "stopped.jsonl", false);
  REQUIRE(result.status == 0);
  CHECK(contains(result.out, "records, stopped by SIGINT\n  written when the process got SIGINT\n"));
  CHECK_FALSE(contains(result.out, "crashed"));

  result = summary_of(dir / "stopped.jsonl", true);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(result.out).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["runs"].at(0)["stopped_by"].get_string()) == "SIGINT");
  CHECK(std::string_view(doc["runs"].at(0)["state"].get_string()) == "stopped by SIGINT");
  CHECK(doc["runs"].at(0)["crash"].is_null());
}

namespace {

// A run of schema 1.3 whose worker thread outran the flusher: its 64 KiB ring grew to 256 KiB, then 1 MiB
// (of an 8 MiB bound). `footer` ends it, or nothing (it died).
std::string grown_run(const std::string& footer) {
  std::string text =
      R"({"event":"header","schema":1,"schema_minor":3,"run_id":"grown","pid":4242,"host":"another-host",)"
      R"("start_ts":1795459260000000000,"options":{"ring_bytes":65536,"ring_max_bytes":8388608,)"
      R"("flush_interval_ms":100}})"
      "\n"
      R"({"event":"span","span_id":1,"name":"burst","tid":4243,"ts":1795459260000001000,"dur_ns":500})"
      "\n"
      R"({"event":"ring_grown","tid":4243,"ts":1795459260001000000,"bytes":131072})"
      "\n"
      R"({"event":"ring_grown","tid":4243,"ts":1795459260002000000,"bytes":262144})"
      "\n"
      R"({"event":"ring_grown","tid":4244,"ts":1795459260002500000,"bytes":1048576})"
      "\n"
      R"({"event":"span","span_id":2,"name":"burst","tid":4243,"ts":1795459260000002000,"dur_ns":500})"
      "\n";
  return footer.empty() ? text : text + footer + "\n";
}

}  // namespace

TEST_CASE("ring_grown lines and the footer's rings_grown and largest_ring give a run's ring growth") {
  // With a footer: its figures, or the lines' where larger (as for drops).
  reader::Summary s = summarize_text(
      grown_run(R"({"event":"footer","ts":1795459260003000000,"wall_ns":3000000,"records":7,"spans":2,)"
                R"("unwritten_records":0,"rings_grown":5,"largest_ring":2097152})"));
  REQUIRE(s.runs.size() == 1);
  CHECK(s.runs[0].rings_grown == 5);
  CHECK(s.runs[0].largest_ring == 2097152);
  CHECK(s.runs[0].ring_max_bytes == 8388608);
  CHECK(s.rings_grown == 5);
  CHECK(s.largest_ring == 2097152);
  CHECK(s.total_spans == 2);  // the ring_grown lines are records of their own, not spans
  CHECK(s.records == 7);
  // A footer that says less than its lines (it could not have): the lines'.
  s = summarize_text(
      grown_run(R"({"event":"footer","ts":1795459260003000000,"rings_grown":1,"largest_ring":65536})"));
  CHECK(s.rings_grown == 3);
  CHECK(s.largest_ring == 1048576);

  // Without a footer (the run died): the lines' count and their largest size.
  s = summarize_text(grown_run(""));
  CHECK(s.runs[0].rings_grown == 3);
  CHECK(s.runs[0].largest_ring == 1048576);
  // No line and no footer: the header's ring_bytes, else 0.
  s = summarize_text(
      R"({"event":"header","schema":1,"schema_minor":3,"run_id":"r","start_ts":1,"options":{"ring_bytes":65536}})"
      "\n");
  CHECK(s.rings_grown == 0);
  CHECK(s.largest_ring == 65536);
  s = summarize_text(R"({"event":"header","schema":1,"run_id":"r","start_ts":1})"
                     "\n");
  CHECK(s.largest_ring == 0);
  CHECK_FALSE(s.runs[0].ring_max_bytes.has_value());

  // Files older than schema 1.3: no growth; the largest ring is the one every thread had.
  s = summarize_one(data("basic/telemetry.jsonl"));
  CHECK(s.rings_grown == 0);
  CHECK(s.largest_ring == 1048576);

  // Several runs: growths add up, the largest is the largest of all.
  reader::Aggregator aggregator;
  for (const std::string& text :
       {grown_run(""),
        grown_run(R"({"event":"footer","ts":1795459260003000000,"rings_grown":4,"largest_ring":4194304})")}) {
    aggregator.begin_run("mem");
    reader::JsonlReader reader("mem", aggregator);
    reader.feed(text);
    reader.finish();
    aggregator.end_run(reader.report());
  }
  CHECK(aggregator.summary().rings_grown == 3 + 4);
  CHECK(aggregator.summary().largest_ring == 4194304);
}

TEST_CASE("a ring_grown line without bytes or tid, or with bytes of the wrong type, is malformed") {
  for (const char* line :
       {R"({"event":"ring_grown","tid":1,"ts":2})", R"({"event":"ring_grown","ts":2,"bytes":8192})",
        R"({"event":"ring_grown","tid":1,"ts":2,"bytes":"8192"})",
        R"({"event":"footer","ts":2,"rings_grown":-1})"}) {
    INFO(line);
    reader::Aggregator aggregator;
    aggregator.begin_run("mem");
    reader::ReadOptions options;
    options.skip_bad = true;
    reader::JsonlReader reader("mem", aggregator, options);
    reader.feed(std::string(line) + "\n");
    reader.finish();
    CHECK(reader.report().skipped_lines == 1);
  }
}

TEST_CASE("summary shows ring growth in the text and in --json; a run whose rings never grew says nothing") {
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "grown.jsonl",
      grown_run(R"({"event":"footer","ts":1795459260003000000,"wall_ns":3000000,"records":7,"spans":2,)"
                R"("rings_grown":3,"largest_ring":1048576})"));
  auto result = summary_of(dir / "grown.jsonl", false);
  REQUIRE(result.status == 0);
  CHECK(contains(result.out, "rings grew 3 times, the largest to 1 MiB (SPANLOG_RING_MAX bounds them)\n"));
  result = summary_of(dir / "grown.jsonl", true);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(result.out).get(doc) == simdjson::SUCCESS);
  CHECK(std::uint64_t(doc["rings_grown"].get_uint64()) == 3);
  CHECK(std::uint64_t(doc["largest_ring"].get_uint64()) == 1048576);
  CHECK(std::uint64_t(doc["runs"].at(0)["rings_grown"].get_uint64()) == 3);
  CHECK(std::uint64_t(doc["runs"].at(0)["largest_ring"].get_uint64()) == 1048576);

  // One growth, to 8 MiB.
  reader_test::write_text(dir / "once.jsonl",
                          std::string(kEndedRunHeader) +
                              R"({"event":"ring_grown","tid":4243,"ts":1795459260001000000,"bytes":8388608})"
                              "\n");
  CHECK(contains(summary_of(dir / "once.jsonl", false).out,
                 "rings grew once, the largest to 8 MiB (SPANLOG_RING_MAX bounds them)\n"));

  result = summary_of(data("basic/telemetry.jsonl"), false);
  CHECK_FALSE(contains(result.out, "rings grew"));
  result = summary_of(data("basic/telemetry.jsonl"), true);
  REQUIRE(parser.parse(result.out).get(doc) == simdjson::SUCCESS);
  CHECK(std::uint64_t(doc["rings_grown"].get_uint64()) == 0);
}

TEST_CASE("a died run's regenerated run_summary.json counts its rings' growth from the ring_grown lines") {
  reader_test::TempDir dir;
  std::filesystem::create_directory(dir / "died");
  reader_test::write_text(dir / "died" / "telemetry.jsonl", grown_run(""));
  cli::SummaryOptions options;
  options.runs = {(dir / "died").string()};
  const auto result =
      reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(result.status == 0);
  const std::string written = reader_test::read_text(dir / "died" / "run_summary.json");
  CHECK(contains(written, R"("unwritten_records":0,"rings_grown":3,"largest_ring":1048576,"open_spans":0,)"));
}

namespace {

reader_test::Captured summary_of_logs_run(bool json) {
  cli::SummaryOptions options;
  options.runs = {data("logs").string()};
  options.json = json;
  options.write_run_summary = false;
  return reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
}

}  // namespace

TEST_CASE("log lines counted per level; warn and error sites with their count and most recent message") {
  const reader::Summary s = summarize_one(data("logs/telemetry.jsonl"));
  CHECK(s.logs.total() == 8);
  CHECK(s.logs.count(reader::LogLevel::trace) == 1);
  CHECK(s.logs.count(reader::LogLevel::info) == 1);
  CHECK(s.logs.count(reader::LogLevel::warn) == 3);
  CHECK(s.logs.count(reader::LogLevel::error) == 2);
  const auto warnings = s.logs.sites_by_count(reader::LogLevel::warn);
  REQUIRE(warnings.size() == 2);
  // Two lines of one site with different messages: one row, the newer message (by time, not file order).
  CHECK(warnings[0]->file == "src/fetch.cpp");
  CHECK(warnings[0]->line == 88);
  CHECK(warnings[0]->count == 2);
  CHECK(warnings[0]->last_message == "retrying https://example.com after 3 ms");
  CHECK(warnings[1]->file == "src/queue.cpp");
  CHECK(s.logs.sites_by_count(reader::LogLevel::info).empty());  // below warn only counted

  // Several runs: the counts add up and a site's lines merge.
  const reader::Summary twice =
      reader::summarize({data("logs/telemetry.jsonl"), data("logs/telemetry.jsonl")}, {}, {});
  CHECK(twice.logs.count(reader::LogLevel::warn) == 6);
  CHECK(twice.logs.sites_by_count(reader::LogLevel::warn)[0]->count == 4);
}

TEST_CASE("summary shows the log lines per level and the warn and error sites, in the table and in --json") {
  const auto text = summary_of_logs_run(false);
  CHECK(text.status == 0);
  CHECK(contains(text.out,
                 "log lines: 1 trace, 1 debug, 1 info, 3 warn, 2 error\n"
                 "level  site               lines  most recent message\n"
                 "error  src/fetch.cpp:95       1  fetch failed: timeout\n"
                 "error  src/server.cpp:30      1  shutting down after 1 error\n"
                 "warn   src/fetch.cpp:88       2  retrying https://example.com after 3 ms\n"
                 "warn   src/queue.cpp:40       1  queue full\n"));
  // A run without log lines has no such section.
  cli::SummaryOptions options;
  options.runs = {data("basic").string()};
  options.write_run_summary = false;
  const auto basic =
      reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK_FALSE(contains(basic.out, "log lines"));

  const auto json = summary_of_logs_run(true);
  REQUIRE(json.status == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json.out).get(doc) == simdjson::SUCCESS);
  const simdjson::dom::element logs = doc["logs"];
  CHECK(logs["trace"].get_uint64().value() == 1);
  CHECK(logs["warn"].get_uint64().value() == 3);
  CHECK(logs["error"].get_uint64().value() == 2);
  const simdjson::dom::array sites = logs["sites"].get_array();
  REQUIRE(sites.size() == 4);
  const simdjson::dom::element busiest_warning = sites.at(2);
  CHECK(std::string_view(busiest_warning["level"].get_string()) == "warn");
  CHECK(std::string_view(busiest_warning["file"].get_string()) == "src/fetch.cpp");
  CHECK(busiest_warning["line"].get_uint64().value() == 88);
  CHECK(busiest_warning["count"].get_uint64().value() == 2);
  CHECK(std::string_view(busiest_warning["last_message"].get_string()) ==
        "retrying https://example.com after 3 ms");
}

// ---- schema 1.7 metrics, on tests/data/metrics: every figure below is worked out by hand from its lines
// ----

TEST_CASE("metrics: counters and gauges per label set, histograms merged per series, units, overflow") {
  const reader::Summary s = summarize_one(data("metrics/telemetry.jsonl"));
  // The series without labels stay where older files have them.
  CHECK(s.counters.size() == 1);
  CHECK(s.counters.at("bytes.parsed").value() == 1000);
  const auto& tokens = s.labelled_counters.at("llm.tokens");
  REQUIRE(tokens.size() == 4);
  // 812 + 188 over two lines, written with the labels in either order: one series.
  CHECK(tokens.at(R"(kind="input",model="m-large")").stats.value() == 1000);
  CHECK(tokens.at(R"(kind="input",model="m-small")").stats.value() == 50);
  CHECK(tokens.at(R"(kind="output",model="m-large")").stats.value() == 200);
  CHECK(tokens.at("otel.metric.overflow=true").stats.value() == 7);
  CHECK(tokens.at(R"(kind="input",model="m-large")").labels.front().key == "kind");

  const auto& db = s.labelled_gauges.at("pool.in_use").at(R"(pool="db")").stats;
  CHECK(db.last == 2.0);  // the newer line's value
  CHECK(db.min == 1.0);
  CHECK(db.max == 5.0);
  CHECK(db.sets == 15);
  CHECK(s.labelled_gauges.at("pool.in_use").at(R"(pool="cache")").stats.last == 7.0);

  // request.bytes: 1000 | 4096, 4100 | 21504 on one thread, 5000 on another: buckets [1000,1007],
  // [4096,4159] x2, [4992,5055], [21504,21759]. Rank 3 of 5 is the [4096,4159] bucket: its midpoint 4127.
  const reader::Histogram& bytes = s.histograms.at("request.bytes").at("").stats;
  CHECK(bytes.count() == 5);
  CHECK(bytes.sum() == 35700);
  CHECK(bytes.min() == 1000);
  CHECK(bytes.percentile(0.5) == 4127);
  CHECK(bytes.percentile(0.9) == 21759);  // rank 5: the top bucket's upper edge, the maximum
  CHECK(bytes.max() == 21759);
  // queue.wait{queue="io"}: 12, 12, 49 then 100, all below 128 and so exact.
  const reader::Histogram& io = s.histograms.at("queue.wait").at(R"(queue="io")").stats;
  CHECK(io.count() == 4);
  CHECK(io.sum() == 173);
  CHECK(io.percentile(0.5) == 12);
  CHECK(io.percentile(0.99) == 100);
  CHECK(s.histograms.at("queue.wait").at(R"(queue="net")").stats.count() == 2);

  CHECK(s.metric_info.at("llm.tokens").unit == "{token}");
  CHECK(s.metric_info.at("queue.wait").unit == "us");  // from the metric_info line
  CHECK(s.metric_info.at("queue.wait").description == "Time waiting in a queue");
  CHECK(s.metric_overflow == 7);
}

TEST_CASE("metrics: check rules name a labelled series and a histogram's percentile") {
  const reader::Summary s = summarize_one(data("metrics/telemetry.jsonl"));
  auto judge = [&](const char* rule) { return reader::evaluate(reader::parse_rule(rule), s); };
  // llm.tokens: 812 + 188 (input, m-large) + 200 (output, m-large) + 50 (input, m-small) + 7 (overflow).
  CHECK(judge("counter(llm.tokens) == 1257").passed);
  CHECK(judge(R"(counter(llm.tokens{model="m-large"}) == 1200)").passed);
  CHECK(judge(R"(counter(llm.tokens{kind="input",model="m-large"}) == 1000)").passed);
  CHECK(judge(R"(counter(llm.tokens{model="m-none"}) == 0)").passed);
  // The program's counters only: bytes.parsed 1000 and llm.tokens 1257, not the vitals' CPU seconds.
  CHECK(judge("counter(*) == 2257").passed);
  CHECK(judge(R"(counter(spanlog.process.cpu.time{cpu.mode="user"}) == 0.75)").passed);
  // pool.in_use has two series: a gauge rule names one.
  CHECK(judge(R"(gauge(pool.in_use{pool="db"}) == 2)").passed);
  CHECK(judge(R"(gauge_max(pool.in_use{pool="db"}) == 5)").passed);
  const reader::RuleResult both = judge("gauge(pool.in_use) == 2");
  CHECK_FALSE(both.passed);
  CHECK(both.explanation ==
        R"(2 series of gauge 'pool.in_use': name one with its labels, pool.in_use{label="value"})");
  CHECK(judge(R"(gauge(pool.in_use{pool="none"}) == 2)").explanation ==
        R"(no gauge 'pool.in_use{pool="none"}')");
  // queue.wait{queue="io"}: 12, 12, 49, 100 (exact below 128); queue="net": two zeros.
  CHECK(judge(R"(histogram_count(queue.wait{queue="io"}) == 4)").passed);
  CHECK(judge(R"(histogram_sum(queue.wait{queue="io"}) == 173)").passed);
  CHECK(judge(R"(histogram_p50(queue.wait{queue="io"}) == 12)").passed);
  CHECK(judge(R"(histogram_max(queue.wait{queue="io"}) == 100)").passed);
  CHECK(judge("histogram_count(queue.wait) == 6").passed);
  // request.bytes: rank 3 of 5 in the [4096, 4159] bucket, its midpoint.
  CHECK(judge("histogram_p50(request.bytes) == 4127").passed);
  CHECK_FALSE(judge("histogram_p50(request.bytes) < 4000").passed);
  const reader::RuleResult none = judge("histogram_p99(request.byts) < 1");
  CHECK_FALSE(none.passed);
  CHECK(none.explanation == "no histogram values match 'request.byts'");
  CHECK(judge("histogram_count(request.byts) == 0").passed);
  CHECK_THROWS_WITH_AS(reader::parse_rule(R"(event(x{a=1}) == 0)"),
                       doctest::Contains("filters '{...}' select spans or metric series: 'event' takes none"),
                       reader::RuleSyntaxError);
}

TEST_CASE("metrics: --by LABEL groups labelled series by its value; the others are listed apart") {
  const reader::Summary s = summarize_one(data("metrics/telemetry.jsonl"), grouped_by("kind"));
  const reader::MetricGroups groups = reader::group_metrics_by_label(s, "kind");
  REQUIRE(groups.by_value.size() == 2);
  CHECK(groups.by_value.at("input").counters.at("llm.tokens").value() == 1050);  // 1000 + 50
  CHECK(groups.by_value.at("output").counters.at("llm.tokens").value() == 200);
  CHECK(std::find(groups.without_label.begin(), groups.without_label.end(),
                  "llm.tokens{otel.metric.overflow=true}") != groups.without_label.end());
  CHECK(std::find(groups.without_label.begin(), groups.without_label.end(), "bytes.parsed") !=
        groups.without_label.end());
  // The vitals are the recorder's: in no group and not listed.
  for (const std::string& name : groups.without_label) CHECK(name.rfind("spanlog.", 0) != 0);

  const reader::MetricGroups by_queue = reader::group_metrics_by_label(s, "queue");
  const reader::Histogram& io = by_queue.by_value.at("io").histograms.at("queue.wait");
  CHECK(io.count() == 4);
  CHECK(io.sum() == 173);
}

TEST_CASE("metrics: the summary's text has label sets under their metric, units, and the vitals apart") {
  cli::SummaryOptions options;
  options.runs = {data("metrics").string()};
  options.write_run_summary = false;
  auto result = reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(result.status == 0);
  const std::string& out = result.out;
  // 1000 + 50 + 200 + 7 over 4.1 s of wall time
  CHECK(contains(out,
                 "llm.tokens                          1257   306.6  {token}  Tokens used by LLM calls\n"
                 "  {kind=\"input\",model=\"m-large\"}    1000   243.9"));
  CHECK(contains(out, "  {pool=\"db\"}        2    1    5"));
  CHECK(contains(out, "request.bytes        5  35700  4127  21759  21759  21759  By    Request body sizes"));
  CHECK(contains(out, "7 metric values past a metric's label-set limit"));
  // The vitals' table, after the program's metrics, values in their units.
  const std::size_t vitals = out.find("\nvital ");
  REQUIRE(vitals != std::string::npos);
  CHECK(out.find("spanlog.") > out.find("request.bytes"));
  CHECK(contains(out.substr(vitals),
                 "spanlog.process.memory.rss                       12 MiB   10 MiB  12 MiB"));
  CHECK(contains(out.substr(vitals),
                 "spanlog.ring.fill{tid=4243}                         75%      50%   87.5%"));
  // The counter and gauge tables are the program's: no vital among them.
  CHECK(out.substr(0, vitals).find("spanlog.") == std::string::npos);

  options.group_by = "kind";
  result = reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(contains(result.out, "input   llm.tokens        1050"));
  CHECK(contains(result.out, "output  llm.tokens         200"));
  CHECK(contains(result.out,
                 "(metrics without label 'kind': bytes.parsed, llm.tokens{otel.metric.overflow=true}"));
  // Grouping spans and metrics prints each table once.
  std::size_t counter_tables = 0;
  for (std::size_t at = result.out.find("\ncounter "); at != std::string::npos;
       at = result.out.find("\ncounter ", at + 1))
    ++counter_tables;
  CHECK(counter_tables == 1);
}

TEST_CASE("metrics: --json has every series with its labels, histogram figures, units and the vitals apart") {
  const reader::Summary s = summarize_one(data("metrics/telemetry.jsonl"), grouped_by("model"));
  const std::string json = reader::summary_json(s);
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(json);
  simdjson::dom::array metrics = doc["metrics"].get_array();
  REQUIRE(metrics.size() == 5);  // bytes.parsed, llm.tokens, pool.in_use, queue.wait, request.bytes
  const simdjson::dom::element tokens = metrics.at(1);
  CHECK(std::string_view(tokens["name"]) == "llm.tokens");
  CHECK(std::string_view(tokens["kind"]) == "counter");
  CHECK(std::string_view(tokens["unit"]) == "{token}");
  CHECK(std::string_view(tokens["description"]) == "Tokens used by LLM calls");
  const simdjson::dom::element first = tokens["series"].at(0);
  CHECK(std::string_view(first["labels"]["kind"]) == "input");
  CHECK(std::string_view(first["labels"]["model"]) == "m-large");
  CHECK(std::int64_t(first["total"]) == 1000);
  const simdjson::dom::element overflow = tokens["series"].at(3);
  CHECK(bool(overflow["labels"]["otel.metric.overflow"]) == true);

  const simdjson::dom::element bytes = metrics.at(4);
  CHECK(std::string_view(bytes["kind"]) == "histogram");
  CHECK(bytes["series"].at(0)["labels"].get_object().size() == 0);
  CHECK(std::uint64_t(bytes["series"].at(0)["count"]) == 5);
  CHECK(std::uint64_t(bytes["series"].at(0)["sum"]) == 35700);
  CHECK(std::uint64_t(bytes["series"].at(0)["p50"]) == 4127);
  CHECK(std::uint64_t(bytes["series"].at(0)["max"]) == 21759);

  simdjson::dom::array vitals = doc["vitals"].get_array();
  REQUIRE(vitals.size() == 4);  // flusher.lag, process.cpu.time, process.memory.rss, ring.fill
  CHECK(std::string_view(vitals.at(2)["name"]) == "spanlog.process.memory.rss");
  CHECK(std::string_view(vitals.at(2)["unit"]) == "By");
  CHECK(double(vitals.at(1)["series"].at(1)["total"]) == doctest::Approx(0.75));  // user: 0.25 + 0.5
  CHECK(std::uint64_t(doc["metric_overflow"]) == 7);

  CHECK(std::string_view(doc["metric_groups"]["label"]) == "model");
  CHECK(std::int64_t(doc["metric_groups"]["groups"]["m-large"]["counters"]["llm.tokens"]) == 1200);
  CHECK(std::int64_t(doc["metric_groups"]["groups"]["m-small"]["counters"]["llm.tokens"]) == 50);
}

TEST_CASE(
    "metrics: run_summary.json's totals.counters: the program's counters over their series, no vitals") {
  // As the recorder writes them at stop(): a labelled counter is one total over its label sets.
  const reader::Summary s = summarize_one(data("metrics/telemetry.jsonl"));
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(reader::run_summary_json(s));
  const simdjson::dom::object counters = doc["totals"]["counters"].get_object();
  CHECK(counters.size() == 2);
  CHECK(std::int64_t(counters["bytes.parsed"]) == 1000);
  CHECK(std::int64_t(counters["llm.tokens"]) == 1257);  // 1000 + 50 + 200 + 7 (the overflow series)
  // The summary's --json counters alike.
  const simdjson::dom::element summary = parser.parse(reader::summary_json(s));
  CHECK(summary["counters"].get_object().size() == 2);
  CHECK(std::int64_t(summary["counters"]["llm.tokens"]["total"]) == 1257);
}
