// Statistics-mode spans (span_stats lines, schema 1.4) in the reader: merged into their name's figures as
// full spans of the name would be, with the full spans' stats_ns taken off their self time. The expected
// values are worked out by hand from tests/data/span_stats/telemetry.jsonl:
//   kv.get (thread 1): 10 µs, its full child table.lookup 2 µs, stats_ns 6 µs -> self 2 µs
//   kv.put (thread 2, span_start/span_end): 5 µs, stats_ns 1.5 µs -> self 3.5 µs
//   block.read: 4 lines over 2 threads and 2 intervals, count 2+3+1+4 = 10, total 6000+4085+2000+400 = 12485,
//   self 6000+3000+2000+400 = 11400; buckets 100 x4, 1000 x2, 1536 x2, 2000 x1, 4992 x1.
#include <string>

#include "cli/commands.hpp"
#include "reader/aggregator.hpp"
#include "reader/rules.hpp"
#include "reader/summary_json.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::capture;
using reader_test::contains;
using reader_test::data;

namespace {

std::filesystem::path fixture() {
  return data("span_stats/telemetry.jsonl");
}

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

// The fixture's first five lines (header, threads, two spans) and one more line.
std::string fixture_with(const std::string& line) {
  const std::string all = reader_test::read_text(fixture());
  std::size_t at = 0;
  for (int i = 0; i < 5; ++i) at = all.find('\n', at) + 1;
  return all.substr(0, at) + line + "\n";
}

std::string read_error_of(const std::string& text) {
  reader_test::TempDir dir;
  reader_test::write_text(dir / "telemetry.jsonl", text);
  try {
    summarize_one(dir / "telemetry.jsonl");
  } catch (const reader::ReadError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("span_stats lines merge into their name: exact count, total and self; percentiles by bucket") {
  const reader::Summary s = summarize_one(fixture());
  REQUIRE(s.spans.size() == 4);
  const reader::SpanStats& block = s.spans.at("block.read");
  CHECK(block.statistics == 10);
  CHECK(block.durations.count() == 10);
  CHECK(block.durations.sum() == 12'485);
  CHECK(block.self_ns == 11'400);
  CHECK(block.raw_self_ns == 11'400);
  CHECK(block.parallel_ns == 0);
  // Known to their bucket's bounds: the lowest bucket's lower bound, the highest bucket's upper bound.
  CHECK(block.durations.min() == 100);
  CHECK(block.durations.max() == 5'055);            // the bucket of 4992 holds 4992 to 5055
  CHECK(block.durations.percentile(0.5) == 1'003);  // rank 5: the bucket of 1000 (1000 to 1007), its middle
  CHECK(block.durations.percentile(0.9) == 2'007);  // rank 9: the bucket of 2000 (2000 to 2015)

  // stats_ns comes off a full span's self time, on a span line and on a span_end line.
  CHECK(s.spans.at("kv.get").self_ns == 2'000);
  CHECK(s.spans.at("kv.get").raw_self_ns == 2'000);
  CHECK(s.spans.at("kv.get").statistics == 0);
  CHECK(s.spans.at("kv.put").self_ns == 3'500);
  CHECK(s.spans.at("table.lookup").self_ns == 2'000);

  CHECK(s.total_spans == 13);
  REQUIRE(s.threads.size() == 2);
  CHECK(s.threads[0].spans == 5);  // table.lookup, kv.get, 2 + 1 statistics spans
  CHECK(s.threads[1].spans == 8);  // kv.put, 3 + 4 statistics spans
  REQUIRE(s.runs.size() == 1);
  CHECK(s.runs[0].spans == 13);
  CHECK(s.phases.empty());
}

TEST_CASE("span_stats: the name filter applies; with --by an attribute they are ungrouped") {
  const reader::Summary filtered = summarize_one(fixture(), named("block.*"));
  REQUIRE(filtered.spans.size() == 1);
  CHECK(filtered.spans.at("block.read").durations.count() == 10);
  CHECK(filtered.total_spans == 13);

  const reader::Summary other = summarize_one(fixture(), named("kv.*"));
  CHECK(other.spans.count("block.read") == 0);

  const reader::Summary grouped = summarize_one(fixture(), grouped_by("model"));
  CHECK(grouped.spans.empty());
  CHECK(grouped.ungrouped_spans == 13);
}

TEST_CASE("span_stats: a bucket value that is not a lower bound lands in the bucket that holds it") {
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "telemetry.jsonl",
      fixture_with(
          R"({"event":"span_stats","name":"odd","tid":1,"ts":1795459260100000000,"count":2,"total_ns":2010,)"
          R"("self_ns":2010,"buckets":[[1003,2]]})"));
  const reader::Summary odd = summarize_one(dir / "telemetry.jsonl");
  const reader::Histogram& h = odd.spans.at("odd").durations;
  CHECK(h.count() == 2);
  CHECK(h.sum() == 2'010);
  CHECK(h.min() == 1'000);
  CHECK(h.max() == 1'007);
}

TEST_CASE("span_stats: a bad line names the file, the line and the field; --skip-bad goes on past it") {
  const std::string good =
      R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":2,"total_ns":30,"self_ns":20,"buckets":[[10,1],[20,1]]})";
  CHECK(read_error_of(fixture_with(good)).empty());
  const std::pair<std::string, std::string> cases[] = {
      {R"({"event":"span_stats","name":"","tid":1,"ts":5,"count":0,"total_ns":0,"self_ns":0,"buckets":[]})",
       "field \"name\": expected a non-empty string"},
      {R"({"event":"span_stats","name":7,"tid":1,"ts":5,"count":0,"total_ns":0,"self_ns":0,"buckets":[]})",
       "field \"name\": expected a string"},
      {R"({"event":"span_stats","tid":1,"ts":5,"count":0,"total_ns":0,"self_ns":0,"buckets":[]})",
       "field \"name\": missing"},
      {R"({"event":"span_stats","name":"b","tid":-1,"ts":5,"count":0,"total_ns":0,"self_ns":0,"buckets":[]})",
       "field \"tid\": expected an unsigned integer"},
      {R"({"event":"span_stats","name":"b","tid":1,"count":0,"total_ns":0,"self_ns":0,"buckets":[]})",
       "field \"ts\": missing"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":1.5,"total_ns":0,"self_ns":0,"buckets":[]})",
       "field \"count\": expected an unsigned integer"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":0,"self_ns":0,"buckets":[]})",
       "field \"total_ns\": missing"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":0,"total_ns":0,"self_ns":"0","buckets":[]})",
       "field \"self_ns\": expected an unsigned integer"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":0,"total_ns":0,"self_ns":0})",
       "field \"buckets\": missing"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":1,"total_ns":9,"self_ns":0,"buckets":[[9]]})",
       "field \"buckets\": expected an array of [lower_ns, count] pairs of unsigned integers"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":1,"total_ns":9,"self_ns":0,"buckets":{}})",
       "field \"buckets\": expected an array of [lower_ns, count] pairs"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":1,"total_ns":9,"self_ns":0,"buckets":[[9,-1]]})",
       "field \"buckets\": expected an array of [lower_ns, count] pairs"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":3,"total_ns":9,"self_ns":0,"buckets":[[9,2]]})",
       "field \"buckets\": the counts sum to 2, not to count 3"},
      {R"({"event":"span_stats","name":"b","tid":1,"ts":5,"count":1,"total_ns":9,"self_ns":10,"buckets":[[9,1]]})",
       "field \"self_ns\": 10 is above total_ns 9"},
      {R"({"event":"span","span_id":9,"name":"s","tid":1,"ts":5,"dur_ns":9,"stats_ns":-2})",
       "field \"stats_ns\": expected an unsigned integer"},
  };
  for (const auto& bad : cases) {
    // Named references, not a structured binding: clang before 16 cannot capture one in INFO's lambda.
    const auto& line = bad.first;
    const auto& message = bad.second;
    INFO("line: " << line);
    CHECK(contains(read_error_of(fixture_with(line)), "telemetry.jsonl:6: " + message));
  }

  // The summary command stops on it (the program's exit status 2 path: a ReadError); --skip-bad reads the
  // rest.
  reader_test::TempDir dir;
  reader_test::write_text(dir / "telemetry.jsonl", fixture_with(cases[12].first));
  cli::SummaryOptions options;
  options.runs = {(dir / "telemetry.jsonl").string()};
  options.write_run_summary = false;
  CHECK_THROWS_WITH_AS(capture([&](const cli::Console& c) { return cli::summary_command(options, c); }),
                       doctest::Contains("telemetry.jsonl:6: field \"buckets\": the counts sum to 2"),
                       reader::ReadError);
  options.skip_bad = true;
  const auto result = capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "kv.get"));
}

TEST_CASE("summary: statistics names are rows of the spans table, marked, and --json counts them") {
  cli::SummaryOptions options;
  options.runs = {fixture().string()};
  options.write_run_summary = false;
  auto result = capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  REQUIRE(result.status == 0);
  CHECK(contains(result.out, "stats"));
  CHECK(contains(result.out, "block.read"));
  CHECK(contains(result.out, "(stats: spans of statistics mode"));
  // The row of block.read: 10 spans, 12.5 µs total, 10 of them from statistics.
  const auto row = result.out.find("block.read");
  REQUIRE(row != std::string::npos);
  const std::string line = result.out.substr(row, result.out.find('\n', row) - row);
  CHECK(contains(line, " 10 "));
  CHECK(line.substr(line.find_last_not_of(' ') - 1, 2) == "10");

  options.json = true;
  result = capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  REQUIRE(result.status == 0);
  CHECK(contains(result.out, "\"name\":\"block.read\",\"count\":10,\"total_ns\":12485,\"self_ns\":11400"));
  CHECK(contains(result.out, "\"statistics\":10"));
  CHECK(contains(result.out, "\"name\":\"kv.get\",\"count\":1,\"total_ns\":10000,\"self_ns\":2000"));

  // A file without statistics has no stats column.
  options.json = false;
  options.runs = {data("basic").string()};
  result = capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  CHECK_FALSE(contains(result.out, "stats"));
}

TEST_CASE("diff and check see statistics names as any other") {
  reader_test::TempDir dir;
  // The candidate's block.read is twice as slow: every bucket and total doubled.
  std::string slower = reader_test::read_text(fixture());
  for (const auto& [from, to] : std::initializer_list<std::pair<std::string, std::string>>{
           {R"("total_ns":6000,"self_ns":6000,"buckets":[[1000,1],[4992,1]])",
            R"("total_ns":12000,"self_ns":12000,"buckets":[[2000,1],[9984,1]])"},
           {R"("total_ns":4085,"self_ns":3000,"buckets":[[1000,1],[1536,2]])",
            R"("total_ns":8170,"self_ns":6000,"buckets":[[2000,1],[3072,2]])"},
           {R"("total_ns":2000,"self_ns":2000,"buckets":[[2000,1]])",
            R"("total_ns":4000,"self_ns":4000,"buckets":[[4000,1]])"},
           {R"("total_ns":400,"self_ns":400,"buckets":[[100,4]])",
            R"("total_ns":800,"self_ns":800,"buckets":[[200,4]])"}}) {
    const auto at = slower.find(from);
    REQUIRE(at != std::string::npos);
    slower.replace(at, from.size(), to);
  }
  reader_test::write_text(dir / "slower.jsonl", slower);

  cli::DiffOptions diff;
  diff.base = fixture().string();
  diff.candidate = (dir / "slower.jsonl").string();
  diff.fail_above_percent = 50;
  auto result = capture([&](const cli::Console& c) { return cli::diff_command(diff, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, "block.read"));
  CHECK(contains(result.out, "REGRESSION"));
  CHECK(contains(result.out, "+100.0%"));  // total 12485 -> 24970 ns, exact
  CHECK(contains(result.out, "1 span regressed by more than 50%"));

  cli::CheckOptions check;
  check.run = fixture().string();
  check.rules = {"p99(block.read) < 1ms",     "count(block.read) == 10", "total(block.read) == 12485",
                 "self(block.read) == 11400", "self(kv.get) == 2us",     "count(*) == 13"};
  result = capture([&](const cli::Console& c) { return cli::check_command(check, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "ok    p99(block.read) < 1ms"));
  check.rules = {"p99(block.read) < 5us"};
  result = capture([&](const cli::Console& c) { return cli::check_command(check, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, "FAIL  p99(block.read) < 5us"));
}

TEST_CASE("a regenerated run_summary.json counts statistics-mode spans apart, as the recorder does") {
  const std::string json = reader::run_summary_json(summarize_one(fixture()));
  CHECK(contains(json, R"("totals":{"spans":3,"events":0,"stats_spans":10,)"));
  CHECK(
      contains(json, R"("threads":[{"tid":1,"name":"main","spans":2},{"tid":2,"name":"worker","spans":1}])"));
}

TEST_CASE("a phase does not count statistics-mode spans: a span_stats line's ts is a write time") {
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "telemetry.jsonl",
      fixture_with(
          R"({"event":"span","span_id":7,"name":"load","tid":1,"ts":1795459260000000000,"dur_ns":300000000,)"
          R"("status":"ok","kind":"phase"})"
          "\n"
          R"({"event":"span_stats","name":"block.read","tid":1,"ts":1795459260100000000,"count":2,)"
          R"("total_ns":2000,"self_ns":2000,"buckets":[[1000,2]]})"));
  const reader::Summary s = summarize_one(dir / "telemetry.jsonl");
  // kv.get and table.lookup started within it; the 2 statistics spans are counted in the run only.
  CHECK(s.phases.at("load").spans == 2);
  CHECK(s.spans.at("block.read").durations.count() == 2);
  CHECK(s.total_spans == 5);
}

TEST_CASE("stats_ns holds when a child's line comes after its parent's, and never takes self below 0") {
  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "telemetry.jsonl",
      fixture_with(
          R"({"event":"span","span_id":20,"name":"outer","tid":1,"ts":1795459260000100000,"dur_ns":9000,)"
          R"("status":"ok","stats_ns":4000})"
          "\n"
          R"({"event":"span","span_id":21,"parent":20,"name":"inner","tid":1,"ts":1795459260000101000,)"
          R"("dur_ns":3000,"status":"ok"})"
          "\n"
          R"({"event":"span","span_id":22,"name":"over","tid":1,"ts":1795459260000200000,"dur_ns":1000,)"
          R"("status":"ok","stats_ns":5000})"));
  const reader::Summary s = summarize_one(dir / "telemetry.jsonl");
  CHECK(s.spans.at("outer").self_ns == 2'000);  // 9000 - 3000 (a late child) - 4000
  CHECK(s.spans.at("outer").raw_self_ns == 2'000);
  CHECK(s.spans.at("over").self_ns == 0);
}
