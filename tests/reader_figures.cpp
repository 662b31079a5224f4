// The figures the reader derives rather than copies, on hand-written runs whose expected values are worked
// out by hand below, and on a run recorded by tests/figures_program.cpp with several threads: self time (a
// span's time minus the union of its direct children on its own thread) and parallel time (the union of its
// direct children on other threads), in the summary, its table, --json and the history.
#include <simdjson.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "command.hpp"
#include "reader/aggregator.hpp"
#include "reader/self_time.hpp"
#include "reader_support.hpp"

using namespace spanlog;
using reader_test::contains;
using reader_test::TempDir;

namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

fs::path write_run(const TempDir& dir, const std::string& name, const std::string& lines) {
  const fs::path file = dir / (name + ".jsonl");
  reader_test::write_text(file, lines);
  return file;
}

reader::Summary summarize_one(const fs::path& file) {
  return reader::summarize({file}, {}, {});
}

reader_test::Captured summary_of(const fs::path& file, bool json) {
  cli::SummaryOptions options;
  options.runs = {file.string()};
  options.json = json;
  options.write_run_summary = false;
  return reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
}

struct Spanlog {
  int status = -1;
  std::string output;
};

Spanlog run_spanlog(const std::string& arguments) {
  const auto result = test_support::try_run(test_support::env("SPANLOG_BIN") + " " + arguments);
  return {WIFEXITED(result.status) ? WEXITSTATUS(result.status) : -1, result.output};
}

// A parent on thread 1, [1000, 101000), with direct children:
//   tail        thread 1  [95000, 110000)  written before the parent's span_start; sticks out: 6000 inside
//   step        thread 1  [10000, 30000)
//   async.step  thread 1  [20000, 40000)   begun on thread 1, ended on thread 4, written after the parent
//                                          ended; overlaps step: together they cover [10000, 40000) = 30000
//   helper      thread 2  [50000, 90000)
//   helper      thread 3  [60000, 120000)  written after the parent ended; sticks out
// Own thread: [10000, 40000) + [95000, 101000) = 36000, so self = 100000 - 36000 = 64000.
// Other threads: [50000, 90000) united with [60000, 101000) = [50000, 101000) = 51000 parallel.
const char* const kParentRun =
    R"({"event":"header","schema":1,"schema_minor":1,"run_id":"figures","pid":0,"host":"elsewhere","start_ts":1000}
{"event":"span","span_id":6,"parent":1,"name":"tail","tid":1,"ts":95000,"dur_ns":15000,"status":"ok"}
{"event":"span_start","span_id":1,"name":"parent","tid":1,"ts":1000}
{"event":"span","span_id":2,"parent":1,"name":"step","tid":1,"ts":10000,"dur_ns":20000,"status":"ok"}
{"event":"span_start","span_id":3,"parent":1,"name":"async.step","tid":1,"ts":20000,"async":true}
{"event":"span","span_id":4,"parent":1,"name":"helper","tid":2,"ts":50000,"dur_ns":40000,"status":"ok"}
{"event":"span_end","span_id":1,"tid":1,"ts":101000,"dur_ns":100000,"status":"ok"}
{"event":"span_end","span_id":3,"tid":4,"ts":40000,"dur_ns":20000,"status":"ok"}
{"event":"span","span_id":5,"parent":1,"name":"helper","tid":3,"ts":60000,"dur_ns":60000,"status":"ok"}
{"event":"footer","ts":130000,"wall_ns":129000,"records":10,"spans":6,"events":0,"dropped":{"spans":0,"events":0,"metrics":0,"attrs":0,"async_ends":0},"sampled_out":0,"open_spans":0}
)";

}  // namespace

TEST_CASE("self time: the union of same-thread children clipped to the parent; other threads are parallel") {
  TempDir dir;
  const fs::path file = write_run(dir, "parent", kParentRun);
  const reader::Summary s = summarize_one(file);
  const auto& parent = s.spans.at("parent");
  CHECK(parent.durations.sum() == 100'000);
  CHECK(parent.self_ns == 64'000);
  CHECK(parent.raw_self_ns == 64'000);  // no `overhead` in the header: nothing subtracted
  CHECK(parent.parallel_ns == 51'000);
  // Spans without children are all self time.
  CHECK(s.spans.at("step").self_ns == 20'000);
  CHECK(s.spans.at("async.step").self_ns == 20'000);
  CHECK(s.spans.at("tail").self_ns == 15'000);
  CHECK(s.spans.at("helper").self_ns == 100'000);
  CHECK(s.spans.at("helper").parallel_ns == 0);

  const auto table = summary_of(file, false);
  CHECK(table.status == 0);
  INFO(table.out);
  CHECK(contains(table.out, "span        count    total     self  parallel"));
  CHECK(contains(table.out, "parent          1   100 µs  64.0 µs   51.0 µs   100 µs"));
  CHECK_FALSE(contains(table.out, "in parallel on other threads"));

  const auto json = summary_of(file, true);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json.out).get(doc) == simdjson::SUCCESS);
  bool seen = false;
  for (auto span : doc["spans"].get_array()) {
    if (std::string_view(span["name"].get_string()) != "parent") continue;
    seen = true;
    CHECK(std::uint64_t(span["self_ns"].get_uint64()) == 64'000);
    CHECK(std::uint64_t(span["parallel_ns"].get_uint64()) == 51'000);
  }
  CHECK(seen);

  // The check rules and the history see the same figures.
  cli::CheckOptions check;
  check.run = file.string();
  check.rules = {"self(parent) == 64us", "parallel(parent) == 51us", "parallel(step) == 0"};
  const auto checked =
      reader_test::capture([&](const cli::Console& c) { return cli::check_command(check, c); });
  INFO(checked.out);
  CHECK(checked.status == 0);

  const std::string db = " --db " + quoted(dir / "history.sqlite");
  CHECK(run_spanlog("load " + quoted(file) + db).status == 0);
  const auto stored = run_spanlog(
      "query --format csv \"SELECT name, self_ns, raw_self_ns, parallel_ns FROM span_stats ORDER BY name\"" +
      db);
  CHECK(stored.status == 0);
  CHECK(stored.output ==
        "name,self_ns,raw_self_ns,parallel_ns\nasync.step,20000,20000,0\nhelper,100000,100000,0\n"
        "parent,64000,64000,51000\nstep,20000,20000,0\ntail,15000,15000,0\n");
  const auto replayed = run_spanlog("summary --json" + db + " last");
  CHECK(replayed.status == 0);
  CHECK(replayed.output == json.out);
}

TEST_CASE("self time: a child that never ended covers its parent from its start to the parent's end") {
  TempDir dir;
  // An async child begun at 30000 on the parent's thread never ends (the program crashed): of the parent's
  // [0, 100000) it covers [30000, 100000), so 30000 is self time.
  const fs::path file =
      write_run(dir, "crashed",
                R"({"event":"header","schema":1,"schema_minor":1,"run_id":"c","pid":0,"start_ts":1}
{"event":"span_start","span_id":1,"name":"parent","tid":1,"ts":1}
{"event":"span_start","span_id":2,"parent":1,"name":"pending","tid":1,"ts":30001,"async":true}
{"event":"span_end","span_id":1,"tid":1,"ts":100001,"dur_ns":100000,"status":"ok"}
{"event":"crash","signal":11,"name":"SIGSEGV","reason":"SIGSEGV","tid":1,"ts":200001}
)");
  const reader::Summary s = summarize_one(file);
  CHECK(s.spans.at("parent").self_ns == 30'000);
  CHECK(s.spans.at("parent").parallel_ns == 0);
  CHECK(s.open_spans.size() == 1);
}

TEST_CASE("self time: children on other threads only leave the parent's own time as self time") {
  TempDir dir;
  // The phase waits on thread 1 for 123 ms while its two workers run on threads 2 and 3: its self time is
  // the 123 ms its own thread spent in it, not 0.
  const fs::path file =
      write_run(dir, "phase",
                R"({"event":"header","schema":1,"schema_minor":1,"run_id":"p","pid":0,"start_ts":1}
{"event":"span_start","span_id":1,"name":"analysis","tid":1,"ts":1,"kind":"phase"}
{"event":"span","span_id":2,"parent":1,"name":"worker","tid":2,"ts":1000001,"dur_ns":120000000,"status":"ok"}
{"event":"span","span_id":3,"parent":1,"name":"worker","tid":3,"ts":2000001,"dur_ns":121000000,"status":"ok"}
{"event":"span_end","span_id":1,"tid":1,"ts":123000001,"dur_ns":123000000,"status":"ok"}
)");
  const reader::Summary s = summarize_one(file);
  CHECK(s.spans.at("analysis").self_ns == 123'000'000);
  // [1 ms, 121 ms) and [2 ms, 123 ms): united, [1 ms, 123 ms)
  CHECK(s.spans.at("analysis").parallel_ns == 122'000'000);
}

TEST_CASE("interval unions: exact for children in time order however many, clipped to the window") {
  reader::IntervalUnion u;
  // 10000 pieces of 10 ns, 5 ns apart: more than are kept apart, folded as they go.
  for (std::uint64_t i = 0; i < 10'000; ++i) u.add(i * 15, i * 15 + 10);
  CHECK(u.covered(0, 150'000) == 100'000);
  u.add(149'990, 200'000);  // overlaps the last piece, [149985, 149995): 9999 pieces and [149985, 200000)
  CHECK(u.covered(0, 200'000) == 99'990 + 50'015);
  CHECK(u.covered(149'995, 160'000) == 10'005);
  CHECK(u.covered(0, 15) == 10);  // a window into the folded pieces: in proportion, exact for even ones

  // Children seen before the parent's thread is known are sorted out when it is.
  reader::DirectChildren children;
  children.add(10, 20, 7);
  children.add(15, 30, 7);
  children.add(40, 90, 8);
  const reader::SpanTimes before = reader::span_times(0, 100, 7, children, 0.0);
  children.bind(7);
  const reader::SpanTimes after = reader::span_times(0, 100, 7, children, 0.0);
  CHECK(before.self_ns == 80);
  CHECK(before.parallel_ns == 50);
  CHECK(after.self_ns == before.self_ns);
  CHECK(after.parallel_ns == before.parallel_ns);
  // Seen from a span on thread 8 instead, the other way round.
  reader::DirectChildren mirrored;
  mirrored.add(10, 20, 7);
  mirrored.add(15, 30, 7);
  mirrored.add(40, 90, 8);
  const reader::SpanTimes from_8 = reader::span_times(0, 100, 8, mirrored, 0.0);
  CHECK(from_8.self_ns == 50);
  CHECK(from_8.parallel_ns == 20);
}

namespace {

// The spans of a recorded run, read here without the reader library.
struct RecordedSpan {
  std::string name;
  std::uint64_t tid = 0, ts = 0, dur = 0, parent = 0;
  bool has_parent = false;
};

std::map<std::uint64_t, RecordedSpan> spans_of(const fs::path& file, simdjson::dom::element& header,
                                               simdjson::dom::parser& header_parser) {
  std::map<std::uint64_t, RecordedSpan> spans;
  const std::string text = reader_test::read_text(file);
  simdjson::dom::parser parser;
  std::size_t at = 0;
  bool first = true;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    REQUIRE(end != std::string::npos);
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (first) {
      REQUIRE(header_parser.parse(line).get(header) == simdjson::SUCCESS);
      first = false;
      continue;
    }
    simdjson::dom::element e;
    REQUIRE(parser.parse(line).get(e) == simdjson::SUCCESS);
    const std::string_view event = e["event"].get_string();
    auto u64 = [&](const char* key) { return std::uint64_t(e[key].get_uint64()); };
    if (event == "span" || event == "span_start") {
      RecordedSpan& s = spans[u64("span_id")];
      s.name = std::string(std::string_view(e["name"].get_string()));
      s.tid = u64("tid");
      s.ts = u64("ts");
      s.has_parent = e["parent"].error() == simdjson::SUCCESS;
      if (s.has_parent) s.parent = u64("parent");
      if (event == "span") s.dur = u64("dur_ns");
    } else if (event == "span_end") {
      spans.at(u64("span_id")).dur = u64("dur_ns");
    }
  }
  return spans;
}

// The measure of a union of intervals clipped to [from, until), by sorting: independent of the reader's.
std::uint64_t union_within(std::vector<std::pair<std::uint64_t, std::uint64_t>> intervals, std::uint64_t from,
                           std::uint64_t until) {
  std::sort(intervals.begin(), intervals.end());
  std::uint64_t total = 0, reached = from;
  for (auto [start, end] : intervals) {
    start = std::max(start, reached);
    end = std::min(end, until);
    if (end > start) {
      total += end - start;
      reached = end;
    }
  }
  return total;
}

}  // namespace

TEST_CASE("a recorded run with helper threads: self is the parent's own-thread time, parallel the helpers'") {
  TempDir dir;
  const auto recorded = test_support::try_run("SPANLOG_DIR=" + quoted(dir.path()) + " " +
                                              test_support::env("SPANLOG_FIGURES_PROGRAM"));
  INFO(recorded.output);
  REQUIRE(recorded.status == 0);
  const fs::path run = fs::canonical(dir / "latest");

  simdjson::dom::parser header_parser;
  simdjson::dom::element header;
  const auto spans = spans_of(run / "telemetry.jsonl", header, header_parser);
  const auto parent =
      std::find_if(spans.begin(), spans.end(), [](const auto& s) { return s.second.name == "parent"; });
  REQUIRE(parent != spans.end());
  const RecordedSpan& p = parent->second;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> own, others;
  std::uint64_t own_count = 0;
  for (const auto& [id, s] : spans) {
    if (!s.has_parent || s.parent != parent->first) continue;
    if (s.tid == p.tid) {
      own.emplace_back(s.ts, s.ts + s.dur);
      ++own_count;
    } else {
      others.emplace_back(s.ts, s.ts + s.dur);
    }
  }
  CHECK(own_count == 2);
  CHECK(others.size() == 2);
  const std::uint64_t own_time = p.dur - union_within(own, p.ts, p.ts + p.dur);
  const std::uint64_t parallel = union_within(others, p.ts, p.ts + p.dur);
  // The recorder may say what a child's begin and end cost the parent: the reader subtracts that per child.
  double in_parent_ns = 0;
  simdjson::dom::element overhead;
  if (header["overhead"].get(overhead) == simdjson::SUCCESS)
    in_parent_ns = overhead["in_parent_ns"].get_double();

  const auto result = run_spanlog("summary --json --no-write " + quoted(run));
  REQUIRE_MESSAGE(result.status == 0, result.output);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(result.output).get(doc) == simdjson::SUCCESS);
  std::uint64_t self_ns = 0, parallel_ns = 0;
  for (auto span : doc["spans"].get_array())
    if (std::string_view(span["name"].get_string()) == "parent") {
      self_ns = span["self_ns"].get_uint64();
      parallel_ns = span["parallel_ns"].get_uint64();
    }
  INFO("parent " << p.dur << " ns, own-thread time outside its children " << own_time << " ns, parallel "
                 << parallel << " ns; the reader: self " << self_ns << ", parallel " << parallel_ns);
  CHECK(parallel_ns == parallel);
  CHECK(self_ns <= own_time);
  CHECK(static_cast<double>(self_ns) >= static_cast<double>(own_time) - in_parent_ns * 2 - 1);
  // It waited for the helpers (30 ms each) on its own thread: that is its time, and the helpers' is parallel.
  CHECK(self_ns > 20'000'000);
  CHECK(parallel_ns > 20'000'000);
}
