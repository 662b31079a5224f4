// diff, check, doctor, runs, tail and logs on hand-written and generated runs.
#include <sstream>
#include <thread>

#include <simdjson.h>

#include "cli/commands.hpp"
#include "cli/usage_error.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/log_lines.hpp"
#include "reader/rules.hpp"
#include "reader/run_location.hpp"
#include "reader/span_diff.hpp"
#include "reader/vitals.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::capture;
using reader_test::contains;
using reader_test::data;

namespace {

// A run whose `hot` spans take `base_ns`, `base_ns` + 1, ... and whose `cold` spans take 1 ms.
std::string generated_run(const std::string& run_id, std::uint64_t start, std::uint64_t hot_ns, int count) {
  std::string text = fmt::format(R"({{"event":"header","schema":1,"run_id":"{}","start_ts":{}}})"
                                 "\n",
                                 run_id, start);
  for (int i = 0; i < count; ++i)
    text += fmt::format(R"({{"event":"span","span_id":{},"name":"hot","tid":1,"ts":{},"dur_ns":{}}})"
                        "\n",
                        i + 1, start + 10 + i, hot_ns + static_cast<std::uint64_t>(i));
  text += fmt::format(R"({{"event":"span","span_id":99999,"name":"cold","tid":1,"ts":{},"dur_ns":1000000}})"
                      "\n",
                      start + 5);
  return text;
}

// Whether the offsets that start the lines of tail's output never go down.
bool offsets_in_order(const std::string& out) {
  std::istringstream lines(out);
  std::string line;
  double previous = -1;
  while (std::getline(lines, line)) {
    const double offset = std::stod(line);
    if (offset < previous) return false;
    previous = offset;
  }
  return previous >= 0;
}

// A run being written: the first half of `source` in `file` now, cut inside a line, and the rest 300 ms later
// by the thread returned.
std::thread write_in_two_halves(const std::filesystem::path& source, const std::filesystem::path& file) {
  const std::string all = reader_test::read_text(source);
  const auto half = all.find("\n", all.size() / 2) + 10;
  reader_test::write_text(file, all.substr(0, half));
  return std::thread([all, half, file] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::ofstream out(file, std::ios::app | std::ios::binary);
    out << all.substr(half);
  });
}

}  // namespace

TEST_CASE("diff reports the change per span and fails above the threshold") {
  reader_test::TempDir dir;
  reader_test::write_text(dir / "base.jsonl", generated_run("base", 1000, 1000, 100));
  reader_test::write_text(dir / "slow.jsonl", generated_run("slow", 2000, 1500, 100));  // hot is 50% slower
  reader_test::write_text(dir / "same.jsonl", generated_run("same", 3000, 1000, 100));

  cli::DiffOptions options;
  options.base = (dir / "base.jsonl").string();
  options.candidate = (dir / "slow.jsonl").string();
  options.fail_above_percent = 10;
  auto result = capture([&](const cli::Console& c) { return cli::diff_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, "REGRESSION"));
  CHECK(contains(result.out, "1 span regressed by more than 10%"));
  CHECK(contains(result.out, "+47.6%"));  // total 104950 -> 154950 ns, exact

  options.candidate = (dir / "same.jsonl").string();
  result = capture([&](const cli::Console& c) { return cli::diff_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "no regression above 10%"));

  // Faster is never a regression; without a threshold nothing fails.
  options.base = (dir / "slow.jsonl").string();
  result = capture([&](const cli::Console& c) { return cli::diff_command(options, c); });
  CHECK(result.status == 0);
  options.base = (dir / "base.jsonl").string();
  options.candidate = (dir / "slow.jsonl").string();
  options.fail_above_percent.reset();
  CHECK(capture([&](const cli::Console& c) { return cli::diff_command(options, c); }).status == 0);

  options.fail_above_percent = 60;
  CHECK(capture([&](const cli::Console& c) { return cli::diff_command(options, c); }).status == 0);
}

TEST_CASE("diff_spans: each name's changes, order by the base's total, names on one side, min_count") {
  reader_test::TempDir dir;
  reader_test::write_text(dir / "base.jsonl", generated_run("base", 1000, 1000, 100));
  reader_test::write_text(dir / "slow.jsonl", generated_run("slow", 2000, 1500, 100) +
                                                  R"({"event":"span","span_id":5000,"name":"added","tid":1,)"
                                                  R"("ts":2100,"dur_ns":7})"
                                                  "\n");
  const reader::Summary base = reader::summarize({dir / "base.jsonl"}, {}, {});
  const reader::Summary slow = reader::summarize({dir / "slow.jsonl"}, {}, {});

  reader::DiffCriteria criteria;
  criteria.fail_above_percent = 10;
  const reader::SpanDiff diff = reader::diff_spans(base, slow, criteria);
  REQUIRE(diff.names.size() == 3);
  CHECK(diff.names[0].name == "cold");  // the base's largest total (1 ms) first, then hot's 104,950 ns
  CHECK(diff.regressions == 1);
  const reader::NameDiff* hot = nullptr;
  const reader::NameDiff* added = nullptr;
  for (const auto& name : diff.names) {
    if (name.name == "hot") hot = &name;
    if (name.name == "added") added = &name;
  }
  REQUIRE(hot != nullptr);
  REQUIRE(added != nullptr);
  CHECK(hot->regression);
  const reader::StatisticChange* total = hot->change_of("total");
  REQUIRE(total != nullptr);
  CHECK(total->base == 104950);
  CHECK(total->candidate == 154950);
  CHECK(*total->percent == doctest::Approx(47.64).epsilon(0.001));
  CHECK(total->regression);
  CHECK_FALSE(hot->change_of("count")->regression);  // shown, not gated
  CHECK(added->presence == reader::NameDiff::Presence::only_new);
  CHECK(added->change_of("total")->candidate == 7);
  CHECK_FALSE(added->regression);
  CHECK(diff.names.back().name == "added");  // no total in the base: last

  criteria.min_count = 101;  // too few spans on either side to judge
  CHECK(reader::diff_spans(base, slow, criteria).regressions == 0);
}

TEST_CASE("rules: parsing") {
  const auto rule = reader::parse_rule("p99(db.query) < 5ms");
  CHECK(rule.function == "p99");
  CHECK(rule.argument == "db.query");
  CHECK(rule.op == reader::Rule::Op::less);
  CHECK(rule.threshold == 5e6);
  CHECK(reader::parse_rule("errors(*) == 0").argument == "*");
  CHECK(reader::parse_rule("dropped==0").function == "dropped");
  CHECK(reader::parse_rule("mean(x) >= 2.5 us").threshold == 2500);
  CHECK(reader::parse_rule("error_rate(x) <= 1%").threshold == doctest::Approx(0.01));
  CHECK(reader::parse_rule("total(x) != 7").threshold == 7);

  for (const char* bad :
       {"", "p98(x) < 1ms", "p99 < 1ms", "p99(x) 1ms", "p99(x) < ", "p99(x) < 5 parsecs", "count(x) < 5ms",
        "dropped(x) == 0", "p99(x < 1ms", "p99() < 1ms", "p99(x) < abc"}) {
    INFO("rule: " << bad);
    CHECK_THROWS_AS(reader::parse_rule(bad), reader::RuleSyntaxError);
  }
  try {
    reader::parse_rule("p99(x) < 5 parsecs");
  } catch (const reader::RuleSyntaxError& e) {
    CHECK(contains(e.what(), "unknown unit 'parsecs'"));
  }
}

TEST_CASE(
    "check: passing rules exit 0, a failing rule prints plainly and exits 1, a bad rule is a usage error") {
  cli::CheckOptions options;
  options.run = data("basic").string();
  options.rules = {"p99(db.query) < 10us",    "count(*) == 7",         "errors(parse) == 0",
                   "gauge(queue.depth) == 4", "counter(bytes) >= 150", "open_spans == 0",
                   "self(request) == 23us",   "event(cache.*) == 2",   "parallel(request) == 6us"};
  auto result = capture([&](const cli::Console& c) { return cli::check_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "ok    p99(db.query) < 10us  (p99(db.query) = 5.00 µs)"));

  options.rules = {"errors(*) == 0", "dropped == 0", "p99(db.query) < 10us", "p50(no.such.span) < 1s"};
  result = capture([&](const cli::Console& c) { return cli::check_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, "FAIL  errors(*) == 0  (errors(*) = 1)"));
  CHECK(contains(result.out, "FAIL  dropped == 0  (dropped = 3)"));
  CHECK(contains(result.out, "FAIL  p50(no.such.span) < 1s  (no spans match 'no.such.span')"));
  CHECK(contains(result.out, "3 of 4 rules failed"));

  options.rules = {"p99(db.query) < 5 furlongs"};
  CHECK_THROWS_AS(capture([&](const cli::Console& c) { return cli::check_command(options, c); }),
                  cli::UsageError);
}

TEST_CASE("doctor: a healthy run, a crashed run and a run with clock anomalies") {
  cli::DoctorOptions options;
  options.run = data("unknown_kinds.jsonl").string();
  auto result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "healthy"));

  options.run = data("basic").string();
  result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 1);  // 2 spans and 1 event were dropped
  // 7 spans and 2 events recorded: 2 of 9 spans and 1 of 3 events were dropped.
  CHECK(contains(result.out,
                 "✗ dropped 22.2% of spans (2 of 9), 33.3% of events (1 of 3) (a ring was full: "
                 "raise SPANLOG_RING_SIZE"));

  options.run = data("crashed").string();
  result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, "no footer"));
  CHECK(contains(result.out, "torn last line"));
  CHECK(contains(result.out, "3 spans started but never ended"));
  CHECK(contains(result.out,
                 "    thread 1 (main)\n      load  started at +1.00 µs, open for 3.00 µs (line 3)\n"
                 "        decode  started at +2.00 µs, open for 2.00 µs (line 4)\n"));
  CHECK(contains(result.out, "    thread 2 (net)\n      fetch  started at +3.00 µs"));

  options.run = data("clock_backwards.jsonl").string();
  result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out,
                 "clock: on thread 1 timestamps went backwards 1 time (by up to 1.00 µs; first at line 3)"));
  CHECK(contains(result.out, "clock: 1 timestamp before the header's start_ts (first at line 4)"));

  options.run = data("bad_lines.jsonl").string();
  result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, "20 malformed lines"));
}

TEST_CASE("doctor judges each thread's order as the recorder writes it, and names the ending thread") {
  // As the flusher writes a batch: a `thread` line with the time of the drain, spans as they end, the
  // span_start of a span still open at the end of the batch (after its children), an async span ended on
  // another thread. None of that is a clock going backwards.
  const std::string healthy =
      R"({"event":"header","schema":1,"run_id":"order","pid":1,"start_ts":1000,"options":{"flush_interval_ms":100}})"
      "\n"
      R"({"event":"thread","tid":1,"name":"main","ts":900000})"
      "\n"
      R"({"event":"span","span_id":2,"parent":1,"name":"child","tid":1,"ts":1200,"dur_ns":300})"
      "\n"
      R"({"event":"instant","name":"tick","tid":1,"ts":1600})"
      "\n"
      R"({"event":"span_start","span_id":1,"name":"outer","tid":1,"ts":1100})"
      "\n"
      R"({"event":"span_start","span_id":3,"name":"job","tid":1,"ts":1700,"async":true})"
      "\n"
      R"({"event":"span","span_id":4,"name":"later","tid":2,"ts":1800,"dur_ns":100})"
      "\n"
      R"({"event":"span_end","span_id":3,"tid":2,"ts":2000,"dur_ns":300,"status":"ok"})"
      "\n"
      R"({"event":"span_end","span_id":1,"tid":1,"ts":2100,"dur_ns":1000,"status":"ok"})"
      "\n"
      R"({"event":"footer","ts":3000,"wall_ns":2000,"records":10,"spans":4,"events":1,"open_spans":0})"
      "\n";
  reader_test::TempDir dir;
  reader_test::write_text(dir / "healthy.jsonl", healthy);
  cli::DoctorOptions options;
  options.run = (dir / "healthy.jsonl").string();
  auto result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "timestamps in order on every thread"));

  // The same, but thread 2 ends the async span before its own earlier record: that is backwards on thread 2.
  std::string backwards = healthy;
  const std::string end_line = R"("span_id":3,"tid":2,"ts":2000)";
  backwards.replace(backwards.find(end_line), end_line.size(), R"("span_id":3,"tid":2,"ts":1850)");
  reader_test::write_text(dir / "backwards.jsonl", backwards);
  options.run = (dir / "backwards.jsonl").string();
  result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out,
                 "clock: on thread 2 timestamps went backwards 1 time (by up to 50 ns; first at line 8)"));
}

TEST_CASE("runs: newest first with status; --keep deletes the older ones") {
  reader_test::TempDir dir;
  for (const char* name : {"a-old", "b-mid", "c-new"}) std::filesystem::create_directory(dir / name);
  reader_test::write_text(dir / "a-old" / "telemetry.jsonl",
                          reader_test::read_text(data("crashed/telemetry.jsonl")));
  std::string mid = reader_test::read_text(data("basic/telemetry.jsonl"));
  reader_test::write_text(dir / "b-mid" / "telemetry.jsonl", mid);
  std::string newest = mid;
  for (auto at = newest.find("1795459260"); at != std::string::npos; at = newest.find("1795459260", at))
    newest.replace(at, 10, "1795459261");  // one second later
  reader_test::write_text(dir / "c-new" / "telemetry.jsonl", newest);
  std::filesystem::create_directory_symlink("c-new", dir / "latest");

  cli::RunsOptions options;
  options.dir = dir.path().string();
  auto result = capture([&](const cli::Console& c) { return cli::runs_command(options, c); });
  CHECK(result.status == 0);
  const auto c = result.out.find("c-new"), b = result.out.find("b-mid"), a = result.out.find("a-old");
  REQUIRE(c != std::string::npos);
  CHECK(c < b);
  CHECK(b < a);
  CHECK(contains(result.out, "2.00 ms      7  complete"));
  CHECK(contains(result.out, "died"));  // no footer, no crash record, its process not on this host
  CHECK_FALSE(contains(result.out, "latest"));

  options.keep = 1;
  result = capture([&](const cli::Console& c) { return cli::runs_command(options, c); });
  CHECK(result.status == 0);
  CHECK(std::filesystem::exists(dir / "c-new"));
  CHECK_FALSE(std::filesystem::exists(dir / "b-mid"));
  CHECK_FALSE(std::filesystem::exists(dir / "a-old"));
}

TEST_CASE("tail prints spans as they end, and -f follows a growing file until the footer") {
  cli::TailOptions options;
  options.run = data("basic").string();
  auto result = capture([&](const cli::Console& c) { return cli::tail_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "    0.000011  main          parse  2.00 µs\n"));
  CHECK(contains(result.out, "db.query  1.00 µs  error: timeout"));
  CHECK(offsets_in_order(result.out));  // by the start each line shows, not the order they ended in

  reader_test::TempDir dir;
  std::thread writer = write_in_two_halves(data("basic/telemetry.jsonl"), dir / "telemetry.jsonl");
  options.run = dir.path().string();
  options.follow = true;
  options.from_start = true;
  options.poll_seconds = 0.05;
  options.follow_timeout_seconds = 20;
  const auto started = std::chrono::steady_clock::now();
  result = capture([&](const cli::Console& c) { return cli::tail_command(options, c); });
  writer.join();
  CHECK(result.status == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));  // stopped at the footer
  CHECK(contains(result.out, "analysis"));
  CHECK(contains(result.out, "request"));
}

TEST_CASE("a RUN that names nothing is a usage error; SPANLOG_DIR/latest is the default") {
  CHECK_THROWS_AS(reader::locate_run(std::string("/nonexistent/run")), reader::RunNotFound);
  reader_test::TempDir dir;
  std::filesystem::copy(data("basic"), dir / "run-1");
  std::filesystem::create_directory_symlink("run-1", dir / "latest");
  ::setenv("SPANLOG_DIR", dir.path().c_str(), 1);
  const auto location = reader::locate_run(std::nullopt);
  ::unsetenv("SPANLOG_DIR");
  CHECK(location.file == dir / "latest" / "telemetry.jsonl");
}

TEST_CASE("a live view's RUN: a run alone, or a runs directory's newest run, there yet or not") {
  reader_test::TempDir dir;
  std::filesystem::copy(data("basic"), dir / "run-1");
  // A run directory or a file: that run alone.
  auto live = reader::locate_live_run((dir / "run-1").string());
  CHECK(live.file == dir / "run-1" / "telemetry.jsonl");
  CHECK_FALSE(live.runs_directory);
  live = reader::locate_live_run((dir / "run-1" / "telemetry.jsonl").string());
  CHECK_FALSE(live.runs_directory);
  // A directory of runs, or one not made yet: its newest run, whichever that is when read.
  for (const std::filesystem::path& runs : {dir.path(), dir / "not-yet"}) {
    live = reader::locate_live_run(runs.string());
    CHECK(live.file == runs / "latest" / "telemetry.jsonl");
    CHECK(live.runs_directory == runs);
  }
  CHECK_FALSE(reader::current_run_directory(reader::locate_live_run(dir.path().string())));  // no run yet
  std::filesystem::create_directory_symlink("run-1", dir / "latest");
  CHECK(reader::current_run_directory(reader::locate_live_run(dir.path().string())) ==
        std::filesystem::canonical(dir / "run-1"));
  ::setenv("SPANLOG_DIR", (dir / "not-yet").c_str(), 1);
  live = reader::locate_live_run(std::nullopt);
  ::unsetenv("SPANLOG_DIR");
  CHECK(live.runs_directory == dir / "not-yet");
  // A file name that is not there is not waited for.
  CHECK_THROWS_AS(reader::locate_live_run((dir / "missing.jsonl").string()), reader::RunNotFound);
}

namespace {

// A run whose process is gone (another host), with a span still open, ended by `last` (a crash or a footer
// line), or by nothing.
std::string ended_run(const std::string& last) {
  std::string text =
      R"({"event":"header","schema":1,"schema_minor":1,"run_id":"ended","pid":4242,"host":"another-host",)"
      R"("start_ts":1795459260000000000,"options":{"flush_interval_ms":100}})"
      "\n"
      R"({"event":"thread","tid":4243,"name":"worker","ts":1795459260000000500})"
      "\n"
      R"({"event":"span","span_id":2,"name":"read","tid":4243,"ts":1795459260000001000,"dur_ns":500})"
      "\n";
  return last.empty() ? text : text + last + "\n";
}

constexpr const char* kCrashLine =
    R"({"event":"crash","signal":6,"name":"SIGABRT","reason":"uncaught exception std::runtime_error: disk full",)"
    R"("tid":4243,"ts":1795459261200000000})";

reader_test::Captured doctor_on(const reader_test::TempDir& dir, const std::string& text) {
  reader_test::write_text(dir / "telemetry.jsonl", text);
  cli::DoctorOptions options;
  options.run = (dir / "telemetry.jsonl").string();
  return capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
}

}  // namespace

TEST_CASE("doctor: a crashed run names what ended it and does not say nothing was dropped") {
  reader_test::TempDir dir;
  const auto result = doctor_on(dir, ended_run(kCrashLine));
  INFO(result.out);
  CHECK(result.status == 1);
  CHECK(contains(result.out,
                 "✗ crashed: uncaught exception std::runtime_error: disk full (thread 4243, at +1.20 s)\n"));
  CHECK_FALSE(contains(result.out, "nothing dropped"));
  CHECK(contains(result.out,
                 "no drops are counted in the file; the rings were written by the crash handler, "
                 "but the attributes, gauges and floating-point counters of the last flush "
                 "interval (100 ms) are not"));
  CHECK_FALSE(contains(result.out, "healthy"));
}

TEST_CASE("doctor: an older crash record without a reason is named by its signal") {
  reader_test::TempDir dir;
  const auto result = doctor_on(
      dir,
      ended_run(R"({"event":"crash","signal":11,"name":"SIGSEGV","tid":4243,"ts":1795459260500000000})"));
  INFO(result.out);
  CHECK(result.status == 1);
  CHECK(contains(result.out, "✗ crashed: SIGSEGV (thread 4243, at +500 ms)\n"));
  CHECK_FALSE(contains(result.out, "nothing dropped"));
}

TEST_CASE("doctor: a run without footer or crash may miss its last flush interval, and says so") {
  reader_test::TempDir dir;
  const auto result = doctor_on(dir, ended_run(""));
  INFO(result.out);
  CHECK(result.status == 1);
  CHECK(contains(result.out, "no footer: the run did not stop cleanly"));
  CHECK_FALSE(contains(result.out, "nothing dropped"));
  CHECK(contains(result.out,
                 "no drops are counted in the file, but the last flush interval (100 ms) may be "
                 "missing: the run did not stop cleanly"));

  // Drops the file does count are still reported as a problem.
  const auto dropped = doctor_on(
      dir,
      ended_run(R"({"event":"dropped","tid":4243,"ts":1795459260100000000,"spans":3,"reason":"ring_full"})"));
  CHECK(contains(dropped.out, "✗ dropped 75.0% of spans (3 of 4)"));
  CHECK_FALSE(contains(dropped.out, "nothing dropped"));
}

TEST_CASE("doctor: a footer with stopped_by says the run was written when the process got the signal") {
  reader_test::TempDir dir;
  auto result = doctor_on(
      dir, ended_run(R"({"event":"footer","ts":1795459262000000000,"wall_ns":2000000000,"records":4,)"
                     R"("spans":1,"stopped_by":"SIGTERM"})"));
  INFO(result.out);
  CHECK(result.status == 0);
  CHECK(contains(result.out,
                 "✓ footer present: the run was written when the process got SIGTERM (4 records, "
                 "1 spans)"));
  CHECK(contains(result.out, "✓ nothing dropped"));
  CHECK(contains(result.out, "healthy"));

  result = doctor_on(dir, ended_run(R"({"event":"footer","ts":1795459262000000000,"records":4,)"
                                    R"("stopped_by":"quick_exit"})"));
  CHECK(contains(result.out, "the run was written when the process called quick_exit"));
}

TEST_CASE("doctor: a crash record with a reason that is not a string is a malformed line, named") {
  reader_test::TempDir dir;
  const auto result = doctor_on(
      dir,
      ended_run(R"({"event":"crash","signal":6,"name":"SIGABRT","reason":{"what":"x"},"tid":1,"ts":5})"));
  INFO(result.out);
  CHECK(result.status == 1);
  CHECK(contains(result.out, "telemetry.jsonl:4: field \"reason\": expected a string"));
  CHECK_FALSE(contains(result.out, "crashed:"));
}

namespace {

// ended_run's thread, in a run of schema 1.3 whose rings start at 64 KiB and may grow to 256 KiB.
std::string grown_run(const std::string& lines) {
  return R"({"event":"header","schema":1,"schema_minor":3,"run_id":"grown","pid":4242,"host":"another-host",)"
         R"("start_ts":1795459260000000000,"options":{"ring_bytes":65536,"ring_max_bytes":262144,)"
         R"("flush_interval_ms":100}})"
         "\n"
         R"({"event":"span","span_id":2,"name":"read","tid":4243,"ts":1795459260000001000,"dur_ns":500})"
         "\n"
         R"({"event":"ring_grown","tid":4243,"ts":1795459260002000000,"bytes":131072})"
         "\n"
         // Drained after the growth, but recorded before the flusher wrote it: not a clock going backwards.
         R"({"event":"span","span_id":3,"name":"read","tid":4243,"ts":1795459260001000000,"dur_ns":500})"
         "\n" +
         lines;
}

constexpr const char* kGrownFooter =
    R"({"event":"footer","ts":1795459262000000000,"wall_ns":2000000000,"records":5,"spans":2,)"
    R"("rings_grown":1,"largest_ring":131072})"
    "\n";

}  // namespace

TEST_CASE("doctor: rings that grew are information; drops at the bound say to raise SPANLOG_RING_MAX") {
  reader_test::TempDir dir;
  // Grown, below the bound, nothing dropped: healthy, the growth noted.
  auto result = doctor_on(dir, grown_run(kGrownFooter));
  INFO(result.out);
  CHECK(result.status == 0);
  CHECK(contains(result.out,
                 "! rings grew once, the largest to 128 KiB (SPANLOG_RING_MAX bounds them): a thread outran "
                 "the flusher, and its ring doubled rather than drop\n"));
  CHECK(contains(result.out, "✓ nothing dropped"));
  CHECK(contains(result.out, "✓ timestamps in order on every thread"));
  CHECK(contains(result.out, "healthy"));

  // Grown to the bound and dropped: the hint names SPANLOG_RING_MAX.
  result = doctor_on(
      dir,
      grown_run(R"({"event":"ring_grown","tid":4243,"ts":1795459260003000000,"bytes":262144})"
                "\n"
                R"({"event":"dropped","tid":4243,"ts":1795459260004000000,"spans":2,"reason":"ring_full"})"
                "\n"
                R"({"event":"footer","ts":1795459262000000000,"records":7,"spans":2,"rings_grown":2,)"
                R"("largest_ring":262144,"dropped":{"spans":2}})"
                "\n"));
  INFO(result.out);
  CHECK(result.status == 1);
  CHECK(contains(result.out,
                 "✗ dropped 50.0% of spans (2 of 4) (a ring was full at its bound, 256 KiB, after growing: "
                 "raise SPANLOG_RING_MAX, drain more often with a smaller SPANLOG_FLUSH_INTERVAL_MS, or let "
                 "threads wait with SPANLOG_OVERFLOW=block)"));
  CHECK(contains(result.out,
                 "! rings grew 2 times, the largest to 256 KiB (SPANLOG_RING_MAX bounds them): a "
                 "thread outran the flusher, and its ring doubled rather than drop (up to its "
                 "bound, 256 KiB)\n"));

  // Dropped after growing, but not to the bound (another thread's ring was full): the usual hint.
  result = doctor_on(
      dir,
      grown_run(R"({"event":"dropped","tid":4243,"ts":1795459260004000000,"spans":2,"reason":"ring_full"})"
                "\n"));
  CHECK(contains(result.out, "(a ring was full: raise SPANLOG_RING_SIZE,"));
  CHECK_FALSE(contains(result.out, "raise SPANLOG_RING_MAX"));

  // A run whose rings never grew says nothing about them.
  result = doctor_on(dir, ended_run(R"({"event":"footer","ts":1795459262000000000,"records":4,"spans":1})"));
  CHECK_FALSE(contains(result.out, "rings grew"));
}

namespace {

// tests/data/logs: three threads (main, worker-1 and one without a name), each flushed in turn, so the file
// holds their lines out of time order; spans named by `span_start`, `span` and `spans` lines, and one by
// none.
cli::LogsOptions logs_of_run() {
  cli::LogsOptions options;
  options.run = data("logs").string();
  return options;
}

std::string logs_output(const cli::LogsOptions& options) {
  const auto result = capture([&](const cli::Console& c) { return cli::logs_command(options, c); });
  CHECK(result.status == 0);
  return result.out;
}

}  // namespace

TEST_CASE("logs: every line in time order across threads, with offset, level, thread and span name") {
  CHECK(logs_output(logs_of_run()) ==
        "    0.001500  debug  worker-1      -                 worker ready\n"
        "    0.002000  info   main          request           request started for /users\n"
        "    0.002500  trace  12            -                 tick\n"
        "    0.003000  warn   worker-1      fetch             retrying https://example.org after 7 ms\n"
        "    0.005000  warn   main          fetch             retrying https://example.com after 3 ms\n"
        "    0.006000  error  worker-1      fetch             fetch failed: timeout\n"
        "    0.007000  warn   12            #300              queue full\n"
        "    0.008500  error  main          -                 shutting down after 1 error\n");
}

TEST_CASE("logs: --level shows that level and above, --grep a text of the message, --span a span's name") {
  cli::LogsOptions options = logs_of_run();
  options.level = "warn";
  std::string out = logs_output(options);
  CHECK(std::count(out.begin(), out.end(), '\n') == 5);
  CHECK_FALSE(contains(out, "info"));
  CHECK(contains(out, "queue full"));
  CHECK(contains(out, "shutting down"));

  options = logs_of_run();
  options.level = "error";
  CHECK(logs_output(options) ==
        "    0.006000  error  worker-1      fetch             fetch failed: timeout\n"
        "    0.008500  error  main          -                 shutting down after 1 error\n");

  options = logs_of_run();
  options.grep = "retrying";
  out = logs_output(options);
  CHECK(std::count(out.begin(), out.end(), '\n') == 2);
  CHECK(out.find("example.org") < out.find("example.com"));  // time order: worker-1's line is older

  // The span named by a `span` line (main's fetch) and by a `spans` row (worker-1's) alike.
  options = logs_of_run();
  options.span = "fetch";
  out = logs_output(options);
  CHECK(std::count(out.begin(), out.end(), '\n') == 3);
  CHECK(contains(out, "worker-1      fetch             fetch failed: timeout"));
  CHECK(contains(out, "main          fetch             retrying https://example.com"));

  options.span = "request";  // named by its span_start; the lines of its child span are not its own
  CHECK(logs_output(options) ==
        "    0.002000  info   main          request           request started for /users\n");

  options = logs_of_run();
  options.level = "warn";
  options.grep = "example";
  options.span = "fetch";
  out = logs_output(options);
  CHECK(std::count(out.begin(), out.end(), '\n') == 2);

  options.level = "fatal";
  CHECK_THROWS_WITH_AS(logs_output(options), "--level fatal: expected trace, debug, info, warn or error",
                       cli::UsageError);
}

TEST_CASE("logs --json: one object a line with the thread's and the span's names, null when unknown") {
  cli::LogsOptions options = logs_of_run();
  options.json = true;
  const std::string out = logs_output(options);
  std::vector<std::string> lines;
  std::istringstream split(out);
  for (std::string line; std::getline(split, line);) lines.push_back(line);
  REQUIRE(lines.size() == 8);
  CHECK(
      lines[4] ==
      R"({"ts":1795459260005000000,"offset_ns":5000000,"level":"warn","tid":10,"thread":"main","span_id":101,)"
      R"("span":"fetch","msg":"retrying https://example.com after 3 ms","attrs":{"url":"https://example.com",)"
      R"("ms":3.0},"site":{"file":"src/fetch.cpp","line":88}})");
  simdjson::dom::parser parser;
  std::vector<std::uint64_t> times;
  for (const std::string& line : lines) {
    simdjson::dom::element object;
    REQUIRE(parser.parse(line).get(object) == simdjson::SUCCESS);
    times.push_back(object["ts"].get_uint64().value());
  }
  CHECK(std::is_sorted(times.begin(), times.end()));
  simdjson::dom::element unnamed;
  REQUIRE(parser.parse(lines[6]).get(unnamed) == simdjson::SUCCESS);  // thread 12, span 300: never named
  CHECK(unnamed["thread"].is_null());
  CHECK(unnamed["span"].is_null());
  CHECK(unnamed["span_id"].get_uint64().value() == 300);
  CHECK(unnamed["attrs"].get_object().value().size() == 0);
}

TEST_CASE("logs: a bad line stops the reading naming file, line and field; --skip-bad counts it") {
  reader_test::TempDir dir;
  std::string text = reader_test::read_text(data("logs/telemetry.jsonl"));
  const std::string good = R"("level":"trace")";
  text.replace(text.find(good), good.size(), R"("level":"verbose")");
  reader_test::write_text(dir / "telemetry.jsonl", text);
  cli::LogsOptions options;
  options.run = dir.path().string();
  CHECK_THROWS_WITH_AS(
      logs_output(options),
      ((dir / "telemetry.jsonl").string() + ":12: field \"level\": expected \"trace\", \"debug\", \"info\", "
                                            "\"warn\" or \"error\", got \"verbose\"")
          .c_str(),
      reader::ReadError);
  options.skip_bad = true;
  const auto result = capture([&](const cli::Console& c) { return cli::logs_command(options, c); });
  CHECK(result.status == 0);
  CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 7);
  CHECK(contains(result.err, "skipped 1 malformed lines"));
}

TEST_CASE("logs -f follows a growing file until the footer, and reads it again when it is truncated") {
  const std::string all = reader_test::read_text(data("logs/telemetry.jsonl"));
  const std::string footer_line = all.substr(all.rfind("{\"event\":\"footer\""));
  reader_test::TempDir dir;
  std::thread writer = write_in_two_halves(data("logs/telemetry.jsonl"), dir / "telemetry.jsonl");
  cli::LogsOptions options;
  options.run = dir.path().string();
  options.follow = true;
  options.poll_seconds = 0.05;
  options.follow_timeout_seconds = 20;
  auto started = std::chrono::steady_clock::now();
  auto result = capture([&](const cli::Console& c) { return cli::logs_command(options, c); });
  writer.join();
  CHECK(result.status == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));  // stopped at the footer
  CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 8);
  CHECK(contains(result.out, "main          fetch             retrying https://example.com after 3 ms"));

  // Truncated, then written again shorter: the follower starts over and the footer of the new text stops it.
  reader_test::write_text(dir / "telemetry.jsonl", all.substr(0, all.size() - footer_line.size()));
  std::thread rewriter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    reader_test::write_text(
        dir / "telemetry.jsonl",
        all.substr(0, all.find('\n') + 1) +
            R"({"event":"log","level":"info","tid":1,"ts":1795459260000500000,"msg":"after truncation","site":{"file":"a.cpp","line":1}})"
            "\n" +
            footer_line);
  });
  started = std::chrono::steady_clock::now();
  result = capture([&](const cli::Console& c) { return cli::logs_command(options, c); });
  rewriter.join();
  CHECK(result.status == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  CHECK(contains(result.err, "truncated or replaced; reading it again from its start"));
  CHECK(contains(result.out, "    0.000500  info   1             -                 after truncation\n"));
}

TEST_CASE(
    "log lines of a followed file wait one reading, so that the span line after them names their span") {
  reader::LogLineCollector collector;
  reader::JsonlReader reader("run/telemetry.jsonl", collector);
  reader.feed(
      R"({"event":"header","schema":1,"run_id":"r","start_ts":1000})"
      "\n"
      R"({"event":"log","level":"info","tid":1,"ts":3000,"span_id":7,"msg":"inside","site":{"file":"a.cpp","line":1}})"
      "\n");
  CHECK(collector.take_settled_lines().empty());  // read by this reading: it waits
  reader.feed(
      R"({"event":"span","span_id":7,"name":"work","tid":1,"ts":2000,"dur_ns":5000})"
      "\n"
      R"({"event":"log","level":"info","tid":2,"ts":2500,"msg":"other thread","site":{"file":"b.cpp","line":2}})"
      "\n");
  const std::vector<reader::LogLine> first = collector.take_settled_lines();
  REQUIRE(first.size() == 1);
  CHECK(first[0].message == "inside");
  CHECK(first[0].span == "work");
  const std::vector<reader::LogLine> rest = collector.take_lines();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].message == "other thread");
  CHECK(rest[0].span.empty());
  CHECK(collector.start_ts() == 1000);
}

TEST_CASE("tail prints log lines among the spans, with their thread, level and message") {
  cli::TailOptions options;
  options.run = data("logs").string();
  const auto result = capture([&](const cli::Console& c) { return cli::tail_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "    0.005000  main          warn  retrying https://example.com after 3 ms\n"));
  CHECK(contains(result.out, "    0.006000  worker-1      error fetch failed: timeout\n"));
  // In time order, though the file holds them a thread's flush at a time: the fetch span (begun at 4 ms,
  // written after the line) before main's warning logged in it at 5 ms, worker-1's lines among main's.
  CHECK(result.out.find("main          fetch  2.00 ms") < result.out.find("retrying https://example.com"));
  CHECK(result.out.find("worker ready") < result.out.find("request started"));
  CHECK(offsets_in_order(result.out));
  CHECK_FALSE(contains(result.out, "{\"path\":\"/users\"}"));  // attributes only when asked for
}

TEST_CASE("tail --attrs shows a span's and a log line's attributes as JSON") {
  cli::TailOptions options;
  options.run = data("logs").string();
  options.attrs = true;
  auto result = capture([&](const cli::Console& c) { return cli::tail_command(options, c); });
  CHECK(contains(result.out, "info  request started for /users  {\"path\":\"/users\"}\n"));
  CHECK(contains(result.out, "error fetch failed: timeout  {\"error\":\"timeout\"}\n"));
  options.run = data("basic").string();
  result = capture([&](const cli::Console& c) { return cli::tail_command(options, c); });
  CHECK(contains(result.out, "request  20.0 µs  {\"model\":\"small\",\"tokens\":50}\n"));  // start and end
}

TEST_CASE("tail -f starts at the file's end, as tail -f does; --from-start replays the run first") {
  reader_test::TempDir dir;
  const std::string all = reader_test::read_text(data("logs/telemetry.jsonl"));
  const auto second_half = all.find("{\"event\":\"log\",\"level\":\"trace\"");  // thread 12's lines onwards
  REQUIRE(second_half != std::string::npos);
  for (const bool from_start : {false, true}) {
    INFO("--from-start: " << from_start);
    reader_test::write_text(dir / "telemetry.jsonl", all.substr(0, second_half));
    std::thread writer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      std::ofstream(dir / "telemetry.jsonl", std::ios::app | std::ios::binary) << all.substr(second_half);
    });
    cli::TailOptions options;
    options.run = dir.path().string();
    options.follow = true;
    options.from_start = from_start;
    options.poll_seconds = 0.05;
    options.follow_timeout_seconds = 20;
    const auto result = capture([&](const cli::Console& c) { return cli::tail_command(options, c); });
    writer.join();
    CHECK(result.status == 0);
    // Written after it started: printed, with the names the lines before them gave (thread, start time).
    CHECK(contains(result.out, "    0.007000  12            warn  queue full\n"));
    CHECK(contains(result.out,
                   "    0.001000  main          request  7.00 ms\n"));  // its start was there before
    CHECK(contains(result.out, "error shutting down after 1 error"));
    // There before it started: only with --from-start.
    CHECK(contains(result.out, "retrying https://example.org") == from_start);
    CHECK(contains(result.out, "worker-1      fetch  4.20 ms") == from_start);
    // Time order holds within what was read together: here, all that was appended.
    if (!from_start) CHECK(offsets_in_order(result.out));
  }
}

TEST_CASE("tail -f of a runs directory waits for the first run, saying so once, and moves to each new run") {
  reader_test::TempDir dir;
  const std::filesystem::path runs = dir / "runs";
  std::thread maker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    std::filesystem::create_directories(runs / "run-1");
    std::filesystem::copy(data("logs/telemetry.jsonl"), runs / "run-1" / "telemetry.jsonl");
    std::filesystem::create_directory_symlink("run-1", runs / "latest");
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    std::filesystem::create_directories(runs / "run-2");
    std::filesystem::copy(data("basic/telemetry.jsonl"), runs / "run-2" / "telemetry.jsonl");
    std::filesystem::create_directory_symlink("run-2", runs / "latest.new");
    std::filesystem::rename(runs / "latest.new", runs / "latest");
  });
  cli::TailOptions options;
  options.run = runs.string();
  options.follow = true;
  options.poll_seconds = 0.05;
  options.follow_timeout_seconds = 2.5;  // a runs directory is followed past each run's footer
  const auto result = capture([&](const cli::Console& c) { return cli::tail_command(options, c); });
  maker.join();
  CHECK(result.status == 0);
  const std::string waiting = "waiting for the first run in " + runs.string() + "\n";
  CHECK(contains(result.err, waiting));
  CHECK(result.err.find(waiting) == result.err.rfind(waiting));  // once
  CHECK(result.err.find("following run " + (runs / "run-1").string()) <
        result.err.find("following run " + (runs / "run-2").string()));
  CHECK(result.err.find("following run " + (runs / "run-2").string()) != std::string::npos);
  // Each new run from its start, one after the other.
  CHECK(contains(result.out, "retrying https://example.org"));
  CHECK(contains(result.out, "db.query  1.00 µs  error: timeout"));
  CHECK(result.out.find("shutting down after 1 error") < result.out.find("db.query"));
}

TEST_CASE(
    "check: logs(LEVEL) counts the lines of exactly that level; a level it does not know is a usage error") {
  CHECK(reader::parse_rule("logs(warn) < 10").argument == "warn");
  for (const char* bad : {"logs(fatal) == 0", "logs() == 0", "logs == 0", "logs(warn) < 10ms"}) {
    INFO("rule: " << bad);
    CHECK_THROWS_AS(reader::parse_rule(bad), reader::RuleSyntaxError);
  }
  cli::CheckOptions options;
  options.run = data("logs").string();
  options.rules = {"logs(warn) == 3", "logs(warn) < 10", "logs(info) == 1", "logs(trace) == 1"};
  auto result = capture([&](const cli::Console& c) { return cli::check_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(result.out, "ok    logs(warn) < 10  (logs(warn) = 3)"));  // exactly warn: not error's 2 too

  options.rules = {"logs(error) == 0"};
  result = capture([&](const cli::Console& c) { return cli::check_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, "FAIL  logs(error) == 0  (logs(error) = 2)"));

  options.rules = {"logs(fatal) == 0"};
  CHECK_THROWS_WITH_AS(
      capture([&](const cli::Console& c) { return cli::check_command(options, c); }),
      "rule 'logs(fatal) == 0': 'logs' takes a level: trace, debug, info, warn or error, not "
      "'fatal'",
      cli::UsageError);
}

// ---- doctor and the vitals (schema 1.7), on tests/data/metrics and hand-written lines ----

TEST_CASE("doctor: when the flusher lag was high, the fullest ring, resident memory's growth") {
  cli::DoctorOptions options;
  options.run = data("metrics").string();
  const auto result = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK(result.status == 0);  // the vitals inform; they are no problem by themselves
  // Lag samples 2 ms at +1 s, 1.5 s at +2 s, 1.2 s at +3 s, 3 ms at +4 s; high above 5 x 100 ms.
  CHECK(contains(result.out,
                 "! flusher lag above 500 ms (5 flush intervals of 100 ms) for 1.00 s, from +2.00 s "
                 "to +3.00 s (2 samples): peak 1.50 s; below again at +4.00 s\n"));
  // spanlog.ring.fill: tid 4242 peaked at 0.5, tid 4243 at 0.875.
  CHECK(contains(result.out, "✓ fullest ring: thread 4243 (worker) at 87.5% of its size\n"));
  // 10485760 bytes at +1 s, 12582912 at +4 s.
  CHECK(
      contains(result.out, "! resident memory 10 MiB at +1.00 s, 12 MiB at +4.00 s: grew by 2 MiB (+20%)\n"));

  // A run without vitals (schema 1.6) says nothing of them.
  options.run = data("logs").string();
  const auto older = capture([&](const cli::Console& c) { return cli::doctor_command(options, c); });
  CHECK_FALSE(contains(older.out, "flusher lag above"));
  CHECK_FALSE(contains(older.out, "fullest ring"));
  CHECK_FALSE(contains(older.out, "resident memory"));
}

namespace {

reader::VitalsReport vitals_of(const std::string& lines) {
  reader::VitalsSink sink;
  reader::JsonlReader reader("run/telemetry.jsonl", sink);
  reader.feed(lines);
  reader.finish();
  return sink.report();
}

std::string lag_line(std::uint64_t ts, double value) {
  return fmt::format(R"({{"event":"gauge","name":"spanlog.flusher.lag","ts":{},"value":{}}})"
                     "\n",
                     ts, value);
}

}  // namespace

TEST_CASE("vitals: high lag periods in time order, a run ending high, the threshold without an interval") {
  const std::string header =
      R"({"event":"header","schema":1,"schema_minor":7,"start_ts":1000,"options":{"flush_interval_ms":20}})"
      "\n";
  // Threshold 5 x 20 ms = 100 ms. Lines out of time order: sorted by ts, high at 2000 and 4000..5000.
  const reader::VitalsReport report =
      vitals_of(header + lag_line(3000, 5e6) + lag_line(2000, 2e8) + lag_line(5000, 4e8) +
                lag_line(4000, 1.5e8) + lag_line(1500, 1e6));
  CHECK(report.lag_threshold_ns == 1e8);
  CHECK(report.lag_samples == 5);
  CHECK(report.largest_lag_ns == 4e8);
  REQUIRE(report.high_lag.size() == 2);
  CHECK(report.high_lag[0].first_ts == 2000);
  CHECK(report.high_lag[0].samples == 1);
  CHECK(report.high_lag[0].below_again_ts == 3000u);
  CHECK(report.high_lag[1].first_ts == 4000);
  CHECK(report.high_lag[1].last_ts == 5000);
  CHECK(report.high_lag[1].peak_ns == 4e8);
  CHECK_FALSE(report.high_lag[1].below_again_ts.has_value());  // still high at the end

  // No interval in the header: 1 s. Exactly at the threshold is not above it.
  const reader::VitalsReport plain = vitals_of(R"({"event":"header","schema":1,"start_ts":1})"
                                               "\n" +
                                               lag_line(10, 1e9));
  CHECK(plain.lag_threshold_ns == 1e9);
  CHECK(plain.high_lag.empty());
  CHECK_FALSE(plain.fullest_ring.has_value());
  CHECK_FALSE(plain.memory.has_value());
}
