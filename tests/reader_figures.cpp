// The figures the reader derives rather than copies, on hand-written runs whose expected values are worked
// out by hand below, and on a run recorded by tests/figures_program.cpp with several threads: self time (a
// span's time minus the union of its direct children on its own thread) and parallel time (the union of its
// direct children on other threads), in the summary, its table, --json and the history.
#include <simdjson.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "reader/aggregator.hpp"
#include "reader/self_time.hpp"
#include "support/process.hpp"
#include "support/reader_support.hpp"
#include "support/span_rows_dom.hpp"

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

using test_support::run_spanlog;

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

// The header says what a span costs (schema 1.2). A parent on thread 1, [0, 10000), with three 100 ns
// children on its thread and one of 1000 ns on thread 2:
//   raw self = 10000 - 300 = 9700; self = 9700 - round(11.3 x 3 = 33.9) = 9666; parallel = 1000.
// A parent of 50 ns with four 10 ns children on its thread: raw self 10, minus round(45.2): clamped at 0.
// p50 below 10 x 18.4 ns = 184 ns: tiny (100) and blip (10) are mostly instrumentation; squeezed (50) too.
const char* const kOverheadRun =
    R"({"event":"header","schema":1,"schema_minor":2,"run_id":"costs","pid":0,"start_ts":1,"overhead":{"span_ns":18.4,"span_ticks":55,"clock_ns":6.2,"clock_ticks":19,"in_span_ns":7.1,"in_parent_ns":11.3}}
{"event":"span","span_id":2,"parent":1,"name":"tiny","tid":1,"ts":1000,"dur_ns":100,"status":"ok"}
{"event":"span","span_id":3,"parent":1,"name":"tiny","tid":1,"ts":2000,"dur_ns":100,"status":"ok"}
{"event":"span","span_id":4,"parent":1,"name":"work","tid":2,"ts":5000,"dur_ns":1000,"status":"ok"}
{"event":"span","span_id":5,"parent":1,"name":"tiny","tid":1,"ts":3000,"dur_ns":100,"status":"ok"}
{"event":"span","span_id":1,"name":"loop","tid":1,"ts":0,"dur_ns":10000,"status":"ok"}
{"event":"span","span_id":11,"parent":10,"name":"blip","tid":1,"ts":20000,"dur_ns":10,"status":"ok"}
{"event":"span","span_id":12,"parent":10,"name":"blip","tid":1,"ts":20010,"dur_ns":10,"status":"ok"}
{"event":"span","span_id":13,"parent":10,"name":"blip","tid":1,"ts":20020,"dur_ns":10,"status":"ok"}
{"event":"span","span_id":14,"parent":10,"name":"blip","tid":1,"ts":20030,"dur_ns":10,"status":"ok"}
{"event":"span","span_id":10,"name":"squeezed","tid":1,"ts":20000,"dur_ns":50,"status":"ok"}
)";

std::map<std::string, simdjson::dom::element> spans_by_name(simdjson::dom::element doc) {
  std::map<std::string, simdjson::dom::element> by_name;
  for (auto span : doc["spans"].get_array())
    by_name[std::string(std::string_view(span["name"].get_string()))] = span;
  return by_name;
}

TEST_CASE(
    "instrumentation: the header's overhead is taken out of self time per same-thread child, --raw keeps "
    "it") {
  TempDir dir;
  const fs::path file = write_run(dir, "costs", kOverheadRun);
  const reader::Summary s = summarize_one(file);
  REQUIRE(s.runs.at(0).overhead.has_value());
  CHECK(s.runs[0].overhead->span_ns == 18.4);
  CHECK(s.runs[0].overhead->clock_ticks == 19);
  CHECK(s.runs[0].overhead->in_parent_ns == 11.3);
  const auto& loop = s.spans.at("loop");
  CHECK(loop.raw_self_ns == 9'700);
  CHECK(loop.self_ns == 9'666);
  CHECK(loop.parallel_ns == 1'000);
  CHECK(s.spans.at("squeezed").raw_self_ns == 10);
  CHECK(s.spans.at("squeezed").self_ns == 0);
  CHECK(s.spans.at("tiny").self_ns == 300);  // no children: nothing to take out
  const auto cost = reader::instrumentation_cost(s);
  REQUIRE(cost.has_value());
  CHECK(reader::mostly_instrumentation(s.spans.at("tiny"), *cost));
  CHECK_FALSE(reader::mostly_instrumentation(s.spans.at("work"), *cost));

  const auto table = summary_of(file, false);
  INFO(table.out);
  CHECK(contains(
      table.out,
      "instrumentation: each span adds about 18 ns (clock read 6 ns); names marked ~ have a p50 below "
      "10x that and are mostly instrumentation"));
  CHECK(contains(table.out,
                 "self time: about 11 ns per child on the same thread taken out (--raw leaves it in)"));
  CHECK(contains(table.out,
                 "\nloop          1  10.0 µs  9.67 µs   1.00 µs  10.0 µs  10.0 µs  10.0 µs  10.0 µs  10.0 µs "
                 "      0\n"));
  CHECK(contains(table.out,
                 "\ntiny          3   300 ns   300 ns      0 ns   100 ns   100 ns   100 ns   100 ns   100 ns "
                 "      0  ~\n"));
  CHECK(contains(table.out,
                 "\nblip          4    40 ns    40 ns      0 ns    10 ns    10 ns    10 ns    10 ns    10 ns "
                 "      0  ~\n"));
  CHECK(contains(table.out,
                 "\nwork          1  1.00 µs  1.00 µs      0 ns  1.00 µs  1.00 µs  1.00 µs  1.00 µs  1.00 µs "
                 "      0\n"));

  cli::SummaryOptions options;
  options.runs = {file.string()};
  options.write_run_summary = false;
  options.raw = true;
  const auto raw =
      reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  INFO(raw.out);
  CHECK(contains(raw.out, "\nloop          1  10.0 µs  9.70 µs   1.00 µs"));
  CHECK(contains(raw.out, "self time: the instrumentation left in (--raw)"));

  options.json = true;
  for (const bool keep_raw : {false, true}) {
    options.raw = keep_raw;
    const auto json =
        reader_test::capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(json.out).get(doc) == simdjson::SUCCESS);
    CHECK(bool(doc["raw_self_time"].get_bool()) == keep_raw);
    CHECK(double(doc["runs"].at(0)["overhead"]["span_ns"].get_double()) == 18.4);
    CHECK(double(doc["runs"].at(0)["overhead"]["in_parent_ns"].get_double()) == 11.3);
    auto spans = spans_by_name(doc);
    CHECK(std::uint64_t(spans.at("loop")["self_ns"].get_uint64()) == (keep_raw ? 9'700 : 9'666));
    CHECK(std::uint64_t(spans.at("squeezed")["self_ns"].get_uint64()) == (keep_raw ? 10 : 0));
    CHECK(bool(spans.at("tiny")["mostly_instrumentation"].get_bool()));
    CHECK_FALSE(bool(spans.at("loop")["mostly_instrumentation"].get_bool()));
  }

  cli::CheckOptions check;
  check.run = file.string();
  check.rules = {"self(loop) == 9666ns"};
  CHECK(reader_test::capture([&](const cli::Console& c) { return cli::check_command(check, c); }).status ==
        0);
  check.raw = true;
  check.rules = {"self(loop) == 9700ns"};
  CHECK(reader_test::capture([&](const cli::Console& c) { return cli::check_command(check, c); }).status ==
        0);

  // The report's summary, as --json gives it, with and without --raw.
  for (const bool keep_raw : {false, true}) {
    const fs::path page = dir / (keep_raw ? "raw.html" : "report.html");
    const auto written =
        run_spanlog("report " + quoted(file) + " -o " + quoted(page) + (keep_raw ? " --raw" : ""));
    REQUIRE_MESSAGE(written.status == 0, written.output);
    const std::string html = reader_test::read_text(page);
    CHECK(contains(html, keep_raw ? "\"raw_self_time\":true" : "\"raw_self_time\":false"));
    CHECK(contains(html, keep_raw ? "\"name\":\"loop\",\"count\":1,\"total_ns\":10000,\"self_ns\":9700"
                                  : "\"name\":\"loop\",\"count\":1,\"total_ns\":10000,\"self_ns\":9666"));
  }

  // The history keeps both and replays the same.
  const std::string db = " --db " + quoted(dir / "history.sqlite");
  CHECK(run_spanlog("load " + quoted(file) + db).status == 0);
  CHECK(run_spanlog("query --format csv \"SELECT self_ns, raw_self_ns FROM span_stats WHERE name = 'loop'\"" +
                    db)
            .output == "self_ns,raw_self_ns\n9666,9700\n");
  CHECK(run_spanlog("summary --raw" + db + " last").output ==
        run_spanlog("summary --raw " + quoted(file)).output);
}

TEST_CASE("instrumentation: an older header says nothing, so nothing is subtracted or marked") {
  TempDir dir;
  const fs::path file = write_run(dir, "parent", kParentRun);
  const reader::Summary s = summarize_one(file);
  CHECK_FALSE(s.runs.at(0).overhead.has_value());
  CHECK_FALSE(reader::instrumentation_cost(s).has_value());
  const auto table = summary_of(file, false);
  CHECK_FALSE(contains(table.out, "instrumentation"));
  CHECK_FALSE(contains(table.out, "  ~\n"));
  const auto json = summary_of(file, true);
  CHECK(contains(json.out, "\"overhead\":null"));
  CHECK_FALSE(contains(json.out, "\"mostly_instrumentation\":true"));

  // A header without in_parent_ns: it is span_ns - in_span_ns. A field of the wrong type names the field.
  const fs::path derived = write_run(
      dir, "derived",
      R"({"event":"header","schema":1,"schema_minor":2,"start_ts":1,"overhead":{"span_ns":20,"in_span_ns":8}})"
      "\n");
  CHECK(summarize_one(derived).runs.at(0).overhead->in_parent_ns == 12);
  const fs::path wrong =
      write_run(dir, "wrong",
                R"({"event":"header","schema":1,"schema_minor":2,"start_ts":1,"overhead":{"span_ns":"fast"}})"
                "\n");
  CHECK_THROWS_WITH_AS(summarize_one(wrong), doctest::Contains("field \"overhead\": expected numbers"),
                       reader::ReadError);
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

TEST_CASE("self time: a late child of a span that kept no children corrects it without going below 0") {
  TempDir dir;
  // The parent's own-thread child covers all of it (self 0); an async child of its thread, written after the
  // parent ended, is counted as if it had not overlapped that child: self stays at 0, not below.
  const fs::path file =
      write_run(dir, "late",
                R"({"event":"header","schema":1,"schema_minor":1,"run_id":"l","pid":0,"start_ts":1}
{"event":"span","span_id":2,"parent":1,"name":"all","tid":1,"ts":1,"dur_ns":1000,"status":"ok"}
{"event":"span","span_id":1,"name":"parent","tid":1,"ts":1,"dur_ns":1000,"status":"ok"}
{"event":"span","span_id":3,"parent":1,"name":"async","tid":1,"ts":101,"dur_ns":500,"status":"ok","async":true,"end_tid":2}
)");
  const reader::Summary s = summarize_one(file);
  CHECK(s.spans.at("parent").self_ns == 0);
  CHECK(s.spans.at("parent").raw_self_ns == 0);
  CHECK(s.spans.at("parent").parallel_ns == 0);
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
    } else if (event == "spans") {
      test_support::for_each_span_row(e, [&](const test_support::RowSpan& row) {
        RecordedSpan& s = spans[row.id];
        s.name = row.name;
        s.tid = row.tid;
        s.ts = row.ts;
        s.has_parent = row.has_parent;
        s.parent = row.parent;
        s.dur = row.dur;
      });
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

  auto figures_of = [&](const std::string& flags) {
    const auto result = run_spanlog("summary --json --no-write " + flags + quoted(run));
    REQUIRE_MESSAGE(result.status == 0, result.output);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(result.output).get(doc) == simdjson::SUCCESS);
    std::pair<std::uint64_t, std::uint64_t> self_and_parallel;
    for (auto span : doc["spans"].get_array())
      if (std::string_view(span["name"].get_string()) == "parent")
        self_and_parallel = {span["self_ns"].get_uint64(), span["parallel_ns"].get_uint64()};
    return self_and_parallel;
  };
  // Not structured bindings: clang 14 cannot capture them in doctest's INFO.
  const auto figures = figures_of(""), raw_figures = figures_of("--raw ");
  const std::uint64_t self_ns = figures.first, parallel_ns = figures.second;
  const std::uint64_t raw_self_ns = raw_figures.first, raw_parallel_ns = raw_figures.second;
  INFO("parent " << p.dur << " ns, own-thread time outside its children " << own_time << " ns, parallel "
                 << parallel << " ns; the reader: self " << self_ns << " (raw " << raw_self_ns
                 << "), parallel " << parallel_ns);
  CHECK(raw_self_ns == own_time);
  CHECK(self_ns == own_time - static_cast<std::uint64_t>(std::llround(in_parent_ns * 2)));
  CHECK(parallel_ns == parallel);
  CHECK(raw_parallel_ns == parallel);
  // It waited for the helpers (30 ms each) on its own thread: that is its time, and the helpers' is parallel.
  CHECK(self_ns > 20'000'000);
  CHECK(parallel_ns > 20'000'000);
}

// Four spans and two events recorded on thread 7; dropped: on thread 7 125 spans (118 parse, 2 emit, 5
// without a name), 4 events (3 cache.miss, 1 without a name) and a metric update; on thread 8 10 spans of
// flush, a name with nothing recorded; on thread 9 3 spans of an older line without names; and the footer
// counts 2 spans more than the lines: 140 of 144 spans (97.2%), 4 of 6 events (66.7%).
const char* const kDropsRun =
    R"({"event":"header","schema":1,"schema_minor":2,"run_id":"drops","pid":0,"start_ts":1}
{"event":"span","span_id":1,"name":"parse","tid":7,"ts":10,"dur_ns":100,"status":"ok"}
{"event":"span","span_id":2,"name":"parse","tid":7,"ts":200,"dur_ns":100,"status":"ok"}
{"event":"span","span_id":3,"name":"parse","tid":7,"ts":400,"dur_ns":100,"status":"ok"}
{"event":"span","span_id":4,"name":"emit","tid":7,"ts":600,"dur_ns":100,"status":"ok"}
{"event":"instant","name":"cache.miss","tid":7,"ts":700}
{"event":"instant","name":"cache.miss","tid":7,"ts":800}
{"event":"dropped","tid":7,"ts":900,"spans":125,"events":4,"metrics":1,"attrs":0,"async_ends":0,"reason":"ring_full","span_names":{"parse":118,"emit":2},"event_names":{"cache.miss":3}}
{"event":"dropped","tid":8,"ts":900,"spans":10,"events":0,"metrics":0,"attrs":0,"async_ends":0,"reason":"ring_full","span_names":{"flush":10}}
{"event":"dropped","tid":9,"ts":900,"spans":3,"events":0,"metrics":0,"attrs":0,"async_ends":0,"reason":"ring_full"}
{"event":"footer","ts":1000,"wall_ns":999,"records":11,"spans":4,"events":2,"dropped":{"spans":140,"events":4,"metrics":1,"attrs":0,"async_ends":0},"sampled_out":0,"open_spans":0}
)";

TEST_CASE("losses: the share dropped on the run's line, drops per name in the table, the rest per thread") {
  TempDir dir;
  const fs::path file = write_run(dir, "drops", kDropsRun);
  const reader::Summary s = summarize_one(file);
  CHECK(s.dropped.spans == 140);
  CHECK(s.runs.at(0).spans == 4);
  CHECK(s.runs.at(0).events == 2);
  CHECK(s.dropped_span_names.at("parse") == 118);
  CHECK(s.dropped_span_names.at("emit") == 2);
  CHECK(s.dropped_span_names.at("flush") == 10);
  CHECK(s.dropped_event_names.at("cache.miss") == 3);

  const auto table = summary_of(file, false);
  INFO(table.out);
  CHECK(contains(table.out,
                 "run drops: wall 999 ns, 11 records, complete, dropped 97.2% of spans (140 of 144), "
                 "66.7% of events (4 of 6), 1 metric update\n"));
  CHECK(contains(table.out, "errors  dropped\n"));
  CHECK(contains(table.out, "       0      118\n"));  // parse
  CHECK(contains(table.out, "       0        2\n"));  // emit
  CHECK(contains(table.out, "dropped spans of names not in the table: flush 10\n"));
  CHECK(contains(
      table.out,
      "10 dropped spans without a name, known per thread only: 5 on thread 7, 3 on thread 9; 2 counted "
      "only in the footer's totals\n"));
  CHECK(contains(table.out, "cache.miss      2        3\n"));
  CHECK(contains(table.out, "1 dropped event without a name, known per thread only: 1 on thread 7\n"));

  const auto json = summary_of(file, true);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json.out).get(doc) == simdjson::SUCCESS);
  auto spans = spans_by_name(doc);
  CHECK(std::uint64_t(spans.at("parse")["dropped"].get_uint64()) == 118);
  CHECK(std::uint64_t(spans.at("emit")["dropped"].get_uint64()) == 2);
  CHECK(std::uint64_t(doc["runs"].at(0)["dropped"]["spans"].get_uint64()) == 140);
  CHECK(std::uint64_t(doc["runs"].at(0)["spans"].get_uint64()) == 4);
  CHECK(std::uint64_t(doc["dropped"]["span_names"]["flush"].get_uint64()) == 10);
  CHECK(std::uint64_t(doc["dropped"]["event_names"]["cache.miss"].get_uint64()) == 3);
  const auto unnamed = doc["dropped"]["unnamed"].get_array();
  REQUIRE(unnamed.size() == 3);
  CHECK(std::uint64_t(unnamed.at(0)["tid"].get_uint64()) == 7);
  CHECK(std::uint64_t(unnamed.at(0)["spans"].get_uint64()) == 5);
  CHECK(std::uint64_t(unnamed.at(0)["events"].get_uint64()) == 1);
  CHECK(std::uint64_t(unnamed.at(1)["tid"].get_uint64()) == 9);
  CHECK(bool(unnamed.at(2)["footer_only"].get_bool()));
  CHECK(std::uint64_t(unnamed.at(2)["spans"].get_uint64()) == 2);

  // The history stores the names and replays them.
  const std::string db = " --db " + quoted(dir / "history.sqlite");
  CHECK(run_spanlog("load " + quoted(file) + db).status == 0);
  CHECK(run_spanlog("summary --json" + db + " last").output == json.out);

  // doctor's first line and the run list name the run with what it lost, too.
  const std::string lost =
      "complete, dropped 97.2% of spans (140 of 144), 66.7% of events (4 of 6), 1 metric update";
  const auto doctor = run_spanlog("doctor " + quoted(file));
  CHECK(doctor.output.substr(0, doctor.output.find('\n')) == "run drops: " + lost);
  fs::create_directories(dir / "runs" / "drops");
  fs::copy_file(file, dir / "runs" / "drops" / "telemetry.jsonl");
  const auto listed = run_spanlog("runs " + quoted(dir / "runs"));
  CHECK(contains(listed.output, "      4  " + lost + "\n"));
}

TEST_CASE("losses: diff and check warn when a side dropped anything, with each side's share") {
  TempDir dir;
  const fs::path drops = write_run(dir, "drops", kDropsRun), whole = write_run(dir, "whole", kParentRun);
  cli::DiffOptions diff;
  diff.base = drops.string();
  diff.candidate = whole.string();
  auto result = reader_test::capture([&](const cli::Console& c) { return cli::diff_command(diff, c); });
  CHECK(contains(
      result.err,
      "spanlog: warning: records were dropped, so the figures are of what was recorded: BASE dropped "
      "97.2% of spans (140 of 144), 66.7% of events (4 of 6), 1 metric update; NEW dropped nothing\n"));
  std::swap(diff.base, diff.candidate);
  result = reader_test::capture([&](const cli::Console& c) { return cli::diff_command(diff, c); });
  CHECK(contains(result.err, "BASE dropped nothing; NEW dropped 97.2% of spans (140 of 144)"));
  diff.json = true;
  result = reader_test::capture([&](const cli::Console& c) { return cli::diff_command(diff, c); });
  CHECK(contains(result.out, "\"dropped\":{\"base\":{\"spans\":0,"));
  CHECK(contains(result.out, "\"new\":{\"spans\":140,\"events\":4,\"metrics\":1,"));
  // Neither side lost anything: no warning.
  diff.base = diff.candidate = whole.string();
  result = reader_test::capture([&](const cli::Console& c) { return cli::diff_command(diff, c); });
  CHECK(result.err.empty());

  cli::CheckOptions check;
  check.run = drops.string();
  check.rules = {"count(parse) == 3"};
  result = reader_test::capture([&](const cli::Console& c) { return cli::check_command(check, c); });
  CHECK(result.status == 0);
  CHECK(contains(
      result.err,
      "spanlog: warning: the run dropped 97.2% of spans (140 of 144), 66.7% of events (4 of 6), 1 metric "
      "update: the rules judge what was recorded\n"));
  check.run = whole.string();
  check.rules = {"count(parent) == 1"};
  result = reader_test::capture([&](const cli::Console& c) { return cli::check_command(check, c); });
  CHECK(result.err.empty());
}
