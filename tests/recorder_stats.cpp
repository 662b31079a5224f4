// Statistics-mode spans (SPANLOG_SPAN_STATS): their counts and percentiles agree with the same spans recorded
// in full, their self time is right however they nest with full spans, and neither a thread's exit, nor
// sampling, nor a crash loses one.
#include <doctest/doctest.h>
// This program compiles the implementation itself: a crash test resets its handlers in a forked child.
#define SPANLOG_IMPLEMENTATION
#include <sys/wait.h>
#include <unistd.h>
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/run_options.hpp"
#include "support/run_reader.hpp"

using test_support::read_run;
using test_support::RunContents;
using test_support::StatsTotals;

namespace {

// Returns how long it spun, in ns: on a loaded machine a spin can end well past its time, and the checks
// compare with what happened.
std::int64_t spin_for(std::chrono::nanoseconds how_long) {
  const auto from = std::chrono::steady_clock::now();
  const auto until = from + how_long;
  auto now = from;
  while (now < until) now = std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now - from).count();
}

std::int64_t ns_since(std::chrono::steady_clock::time_point from) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - from)
      .count();
}

std::chrono::microseconds varied_us(int i) {
  return std::chrono::microseconds(20 + (i * 37) % 97);
}

// The reader's nearest-rank percentile over a statistics name's buckets, each bucket standing for its
// midpoint (tools/reader/histogram.hpp).
double stats_percentile(const StatsTotals& t, double q) {
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(t.count)));
  std::uint64_t seen = 0;
  for (const auto& [lower, n] : t.buckets) {
    seen += n;
    if (seen < std::max<std::uint64_t>(rank, 1)) continue;
    if (lower < 128) return static_cast<double>(lower);
    const int exponent = 63 - __builtin_clzll(lower);
    const double width = std::ldexp(1.0, exponent - 6);
    return static_cast<double>(lower) + (width - 1) / 2;
  }
  return 0;
}

double exact_percentile(std::vector<std::int64_t> values, double q) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return static_cast<double>(values[std::max<std::size_t>(rank, 1) - 1]);
}

std::vector<std::int64_t> durations_named(const RunContents& run, const std::string& name) {
  std::vector<std::int64_t> out;
  for (const auto& [id, s] : run.spans)
    if (s.name == name) out.push_back(s.dur_ns);
  return out;
}

std::int64_t sum_of(const std::vector<std::int64_t>& values) {
  std::int64_t sum = 0;
  for (std::int64_t v : values) sum += v;
  return sum;
}

// Within `relative` of `expected`, or `slack_ns` (what the instrumentation between the two adds).
void check_near(double actual, double expected, double relative, double slack_ns, const char* what) {
  INFO(what << ": " << actual << " against " << expected);
  CHECK(std::abs(actual - expected) <= relative * expected + slack_ns);
}

// Each statistics span holds its full child and sits within what the loop timed around both, span by span:
// so its percentiles lie between theirs, within the histogram's 1% either side. On a quiet machine the two
// bounds are tens of ns apart; a page fault or, under a sanitizer, microseconds of instrumentation between
// the two spans widens them only for the spans it hit.
void check_percentiles_between(const StatsTotals& stats, const std::vector<std::int64_t>& full,
                               const std::vector<std::int64_t>& around) {
  for (double q : {0.5, 0.9, 0.99, 1.0}) {
    const double p = stats_percentile(stats, q);
    const double low = exact_percentile(full, q), high = exact_percentile(around, q);
    INFO("percentile " << q << ": " << p << " against " << low << " to " << high);
    CHECK(p >= 0.99 * low);
    CHECK(p <= 1.01 * high);
  }
}

}  // namespace

TEST_CASE("statistics spans: exact counts, and percentiles within 1% of the same spans recorded in full") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_support::run_options(dir, "agree")));
  constexpr int spans = 400;
  std::vector<std::int64_t> around;
  for (int i = 0; i < spans; ++i) {
    const auto from = std::chrono::steady_clock::now();
    {
      // The same scope twice: the statistics span also holds the full span's begin and end (tens of ns).
      SPANLOG_SPAN_STATS("work.stats");
      SPANLOG_SPAN("work.full");
      spin_for(varied_us(i));
    }
    around.push_back(ns_since(from));
  }
  spanlog::stop();
  const RunContents run = read_run(dir + "/agree");
  REQUIRE(run.schema_errors == 0);
  REQUIRE(run.span_stats.count("work.stats"));
  const StatsTotals& stats = run.span_stats.at("work.stats");
  const std::vector<std::int64_t> full = durations_named(run, "work.full");
  REQUIRE(full.size() == spans);
  CHECK(stats.count == spans);
  CHECK(run.span_stats.count("work.full") == 0);
  for (const auto& [id, s] : run.spans) CHECK(s.name != "work.stats");  // no line of its own
  // The statistics span's self time is exactly what it holds beyond its full child: the child's begin and
  // end, some tens of ns a span (microseconds under a sanitizer).
  const double offset = static_cast<double>(stats.self_ns) / spans;
  CHECK(offset < 0.02 * static_cast<double>(sum_of(full)) / spans);
  check_percentiles_between(stats, full, around);
  check_near(static_cast<double>(stats.total_ns - stats.self_ns), static_cast<double>(sum_of(full)), 0.001,
             2.0 * spans, "the total less the self time: the full children's");
  CHECK(run.footer.find("\"stats_spans\":400") != std::string::npos);
}

TEST_CASE("statistics spans: self time is right with statistics and full spans nested in each other") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_support::run_options(dir, "nesting")));
  constexpr int rounds = 40;  // long spins: the instrumentation (slow under sanitizers) stays a small part
  using std::chrono::microseconds;
  std::int64_t outer_own_ns = 0;
  for (int i = 0; i < rounds; ++i) {
    SPANLOG_SPAN("root.full");
    SPANLOG_SPAN_STATS("outer.stats");
    outer_own_ns += spin_for(microseconds(300));
    {
      SPANLOG_SPAN("middle.full");
      spin_for(microseconds(200));
      SPANLOG_SPAN_STATS("inner.stats");
      spin_for(microseconds(250));
    }
    {
      SPANLOG_SPAN_STATS("side.stats");
      spin_for(microseconds(150));
    }
  }
  spanlog::stop();
  const RunContents run = read_run(dir + "/nesting");
  REQUIRE(run.schema_errors == 0);
  for (const char* name : {"outer.stats", "inner.stats", "side.stats"}) {
    REQUIRE_MESSAGE(run.span_stats.count(name), name);
    CHECK(run.span_stats.at(name).count == rounds);
  }
  const StatsTotals& outer = run.span_stats.at("outer.stats");
  const StatsTotals& inner = run.span_stats.at("inner.stats");
  const StatsTotals& side = run.span_stats.at("side.stats");
  std::int64_t middle_total = 0, middle_stats_ns = 0, root_stats_ns = 0;
  for (const auto& [id, s] : run.spans) {
    if (s.name == "middle.full") middle_total += s.dur_ns, middle_stats_ns += s.stats_ns;
    if (s.name == "root.full") root_stats_ns += s.stats_ns;
    if (s.name == "middle.full" || s.name == "root.full") CHECK_FALSE(s.from_row);  // rows carry no stats_ns
  }
  const double slack = 2000.0 * rounds;  // the instrumentation inside each span, generously
  // Statistics children with no full span between come off the parent's self time, and so does a direct
  // full child; a statistics span inside that full child does not (the full child's time holds it).
  check_near(static_cast<double>(outer.self_ns),
             static_cast<double>(outer.total_ns) - static_cast<double>(middle_total) -
                 static_cast<double>(side.total_ns),
             0.01, slack, "outer.stats's self time");
  check_near(static_cast<double>(outer.self_ns), static_cast<double>(outer_own_ns), 0.05, slack,
             "outer.stats's own spin");
  CHECK(inner.self_ns == inner.total_ns);
  CHECK(side.self_ns == side.total_ns);
  // A full span is told what its direct statistics children took, which the file does not show otherwise.
  check_near(static_cast<double>(middle_stats_ns), static_cast<double>(inner.total_ns), 0.01, slack,
             "middle.full's stats_ns");
  // Less the full spans inside them, which the file shows as the full span's own children: middle.full is
  // root.full's child in the file, as outer.stats is not there to be its parent.
  check_near(static_cast<double>(root_stats_ns),
             static_cast<double>(outer.total_ns) - static_cast<double>(middle_total), 0.01, slack,
             "root.full's stats_ns");
  for (const auto& [id, s] : run.spans)
    if (s.name == "middle.full") CHECK(run.spans.at(s.parent).name == "root.full");
}

TEST_CASE(
    "statistics spans: a thread that exits keeps every span, and its ring's next thread starts afresh") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_support::run_options(dir, "exits")));
  constexpr int threads = 4, per_thread = 1000;
  for (int t = 0; t < threads; ++t) {
    std::thread worker([t] {
      for (int i = 0; i < per_thread + t; ++i) {
        SPANLOG_SPAN_STATS("worker.stats");
      }
    });
    worker.join();  // one after the other: each new thread may take the ring the last one left
  }
  spanlog::stop();
  const RunContents run = read_run(dir + "/exits");
  REQUIRE(run.schema_errors == 0);
  REQUIRE(run.span_stats.count("worker.stats"));
  const StatsTotals& stats = run.span_stats.at("worker.stats");
  CHECK(stats.count == threads * per_thread + 0 + 1 + 2 + 3);
  std::vector<std::uint64_t> per_tid;
  for (const auto& [tid, n] : stats.count_by_tid) per_tid.push_back(n);
  std::sort(per_tid.begin(), per_tid.end());
  CHECK(per_tid == std::vector<std::uint64_t>{per_thread, per_thread + 1, per_thread + 2, per_thread + 3});
}

TEST_CASE("statistics spans are written each statistics interval, not each flush interval") {
  const std::string dir = test_support::make_temp_dir();
  spanlog::Options o = test_support::run_options(dir, "interval");
  o.flush_interval = std::chrono::milliseconds(5);
  o.stats_interval = std::chrono::milliseconds(150);
  REQUIRE(spanlog::start(o));
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
  std::uint64_t spans = 0;
  while (std::chrono::steady_clock::now() < until) {
    SPANLOG_SPAN_STATS("steady.stats");
    SPANLOG_COUNTER_ADD("steady.count", 1);
    ++spans;
  }
  spanlog::stop();
  const RunContents run = read_run(dir + "/interval");
  REQUIRE(run.schema_errors == 0);
  REQUIRE(run.span_stats.count("steady.stats"));
  const StatsTotals& stats = run.span_stats.at("steady.stats");
  CHECK(stats.count == spans);
  // About 600 / 150 + the last, where the counters, at each 5 ms flush interval, make many more lines.
  CHECK(stats.lines >= 3);
  CHECK(stats.lines <= 7);
  CHECK(run.counter_int_sums.at("steady.count") == static_cast<std::int64_t>(spans));
}

TEST_CASE("statistics spans are exact under sampling, which leaves out full spans only") {
  const std::string dir = test_support::make_temp_dir();
  spanlog::Options o = test_support::run_options(dir, "sampled");
  o.sample = 0.25;
  REQUIRE(spanlog::start(o));
  constexpr int spans = 4000;
  for (int i = 0; i < spans; ++i) {
    SPANLOG_SPAN_STATS("always.stats");
    SPANLOG_SPAN("sometimes.full");
  }
  spanlog::stop();
  const RunContents run = read_run(dir + "/sampled");
  REQUIRE(run.schema_errors == 0);
  REQUIRE(run.span_stats.count("always.stats"));
  CHECK(run.span_stats.at("always.stats").count == spans);
  CHECK(durations_named(run, "sometimes.full").size() < spans / 2);
}

TEST_CASE("a process's later runs turn statistics spans' ticks into nanoseconds at the clock's rate") {
  // A later run reuses the rate the first one measured: its durations, stats_ns and tsc_hz must use it too.
  constexpr int spans = 20;
  using std::chrono::microseconds;
  double first_hz = 0;
  for (const char* run_id : {"first-run", "later-run"}) {
    CAPTURE(run_id);
    const std::string dir = test_support::make_temp_dir();
    REQUIRE(spanlog::start(test_support::run_options(dir, run_id)));
    std::int64_t spun_ns = 0;
    for (int i = 0; i < spans; ++i) {
      SPANLOG_SPAN("holder.full");
      SPANLOG_SPAN_STATS("timed.stats");
      spun_ns += spin_for(microseconds(200));
    }
    // The first run refines its rate 50 ms in, at a flush interval (100 ms), and leaves it to the next.
    if (first_hz == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    spanlog::stop();
    const RunContents run = read_run(dir + "/" + run_id);
    REQUIRE(run.schema_errors == 0);
    REQUIRE(run.span_stats.count("timed.stats"));
    const StatsTotals& stats = run.span_stats.at("timed.stats");
    std::int64_t holders = 0, holders_stats_ns = 0;
    for (const auto& [id, s] : run.spans)
      if (s.name == "holder.full") holders += s.dur_ns, holders_stats_ns += s.stats_ns;
    // Each statistics span holds its spin and sits in its full span: its total lies between the two, on
    // either side only by the two clocks' rates (a tick taken as 1 ns would be off by the TSC's GHz).
    INFO("statistics total " << stats.total_ns << ", spun " << spun_ns << ", full spans around " << holders);
    CHECK(static_cast<double>(stats.total_ns) >= 0.99 * static_cast<double>(spun_ns));
    CHECK(static_cast<double>(stats.total_ns) <= static_cast<double>(holders) + 2.0 * spans);
    check_near(static_cast<double>(holders_stats_ns), static_cast<double>(stats.total_ns), 0.001, 2.0 * spans,
               "the full spans' stats_ns");
    // The steady clock has no rate to agree on (1 GHz in the header).
    const double hz = run.header.find("\"tsc_hz\"") == std::string::npos
                          ? 1e9
                          : test_support::json_double(run.header, "/clock/tsc_hz");
    if (first_hz == 0)
      first_hz = hz;
    else
      check_near(hz, first_hz, 0.01, 0, "the later run's tsc_hz against the first's");
  }
}

namespace {

template <int N>
void distinct_site() {
  SPANLOG_SPAN_STATS("many.sites");
}

template <int... N>
void every_site(std::integer_sequence<int, N...>) {
  (distinct_site<N>(), ...);
}

// In a forked child: its handlers start from the default action (doctest's are below spanlog's here).
void install_fresh_crash_handlers() {
  for (int sig : spanlog::detail::crash_signals) ::signal(sig, SIG_DFL);
  spanlog::detail::g_crash_handlers_installed = false;
}

int wait_for(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

}  // namespace

TEST_CASE("statistics spans: a crash writes what the histograms hold") {
  const std::string dir = test_support::make_temp_dir();
  constexpr int before_crash = 300;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    install_fresh_crash_handlers();
    spanlog::Options o = test_support::run_options(dir, "crash");
    o.flush_interval = std::chrono::milliseconds(60000);  // nothing is written before the crash
    spanlog::start(o);
    for (int i = 0; i < before_crash; ++i) {
      SPANLOG_SPAN_STATS("crash.stats");
    }
    std::abort();
  }
  const int status = wait_for(pid);
  CHECK(WIFSIGNALED(status));
  const RunContents run = read_run(dir + "/crash");
  REQUIRE(run.schema_errors == 0);
  CHECK(run.crash_signal == SIGABRT);
  REQUIRE(run.span_stats.count("crash.stats"));
  CHECK(run.span_stats.at("crash.stats").count == before_crash);
}

TEST_CASE("statistics spans past the slots are counted as dropped spans, by name") {
  const std::string dir = test_support::make_temp_dir();
  constexpr int sites = SPANLOG_STATS_SLOTS + 6;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    spanlog::start(test_support::run_options(dir, "slots"));
    every_site(std::make_integer_sequence<int, sites>{});
    spanlog::stop();
    ::_exit(0);
  }
  const int status = wait_for(pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const RunContents run = read_run(dir + "/slots");
  REQUIRE(run.schema_errors == 0);
  REQUIRE(run.span_stats.count("many.sites"));
  const std::uint64_t kept = run.span_stats.at("many.sites").count;
  CHECK(kept < static_cast<std::uint64_t>(sites));
  CHECK(kept + run.dropped.at("spans") == static_cast<std::uint64_t>(sites));
}

// ---- full spans chosen as statistics at run time, by name (options::stats_names) ----

namespace {

spanlog::Options choosing(const std::string& dir, const char* run_id, const char* names) {
  spanlog::Options o = test_support::run_options(dir, run_id);
  o.stats_names = names;
  return o;
}

}  // namespace

TEST_CASE("statistics chosen by name: exact counts and percentiles within 1% of the same spans in full") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(choosing(dir, "chosen", " work.cho* , some.other")));
  constexpr int spans = 400;
  std::vector<std::int64_t> around;
  for (int i = 0; i < spans; ++i) {
    const auto from = std::chrono::steady_clock::now();
    {
      SPANLOG_SPAN("work.chosen");
      SPANLOG_SPAN("work.full");
      spin_for(varied_us(i));
    }
    around.push_back(ns_since(from));
  }
  spanlog::stop();
  const RunContents run = read_run(dir + "/chosen");
  REQUIRE(run.schema_errors == 0);
  CHECK(run.header.find(R"("stats_names":" work.cho* , some.other")") != std::string::npos);
  REQUIRE(run.span_stats.count("work.chosen"));
  const StatsTotals& stats = run.span_stats.at("work.chosen");
  const std::vector<std::int64_t> full = durations_named(run, "work.full");
  REQUIRE(full.size() == spans);
  CHECK(stats.count == spans);
  CHECK(run.span_stats.count("work.full") == 0);
  for (const auto& [id, s] : run.spans) {
    CHECK(s.name != "work.chosen");  // no line of its own
    CHECK(s.parent == 0);            // so its children are shown where it sits: at the root
  }
  const double offset = static_cast<double>(stats.self_ns) / spans;
  CHECK(offset < 0.02 * static_cast<double>(sum_of(full)) / spans);
  check_percentiles_between(stats, full, around);
  check_near(static_cast<double>(stats.total_ns - stats.self_ns), static_cast<double>(sum_of(full)), 0.001,
             2.0 * spans, "the total less the self time: the full children's");
  CHECK(run.footer.find("\"stats_spans\":400") != std::string::npos);
  CHECK(run.footer.find("\"spans\":400,") != std::string::npos);  // the written spans only
}

TEST_CASE("statistics chosen by name: self time is right nested with full and statistics spans") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(choosing(dir, "chosen-nesting", "*.chosen")));
  constexpr int rounds = 40;
  using std::chrono::microseconds;
  std::int64_t outer_own_ns = 0, side_own_ns = 0;
  for (int i = 0; i < rounds; ++i) {
    SPANLOG_SPAN("root.full");
    SPANLOG_SPAN("outer.chosen");
    SPANLOG_EVENT("inside.outer");
    outer_own_ns += spin_for(microseconds(300));
    {
      SPANLOG_SPAN("middle.full");
      spin_for(microseconds(200));
      SPANLOG_SPAN("inner.chosen");
      spin_for(microseconds(250));
    }
    {
      SPANLOG_SPAN("side.chosen");
      side_own_ns += spin_for(microseconds(150));
      SPANLOG_SPAN_STATS("deep.stats");
      spin_for(microseconds(100));
    }
  }
  spanlog::stop();
  const RunContents run = read_run(dir + "/chosen-nesting");
  REQUIRE(run.schema_errors == 0);
  for (const char* name : {"outer.chosen", "inner.chosen", "side.chosen", "deep.stats"}) {
    REQUIRE_MESSAGE(run.span_stats.count(name), name);
    CHECK(run.span_stats.at(name).count == rounds);
  }
  const StatsTotals& outer = run.span_stats.at("outer.chosen");
  const StatsTotals& inner = run.span_stats.at("inner.chosen");
  const StatsTotals& side = run.span_stats.at("side.chosen");
  const StatsTotals& deep = run.span_stats.at("deep.stats");
  std::int64_t middle_total = 0, middle_stats_ns = 0, root_stats_ns = 0;
  std::vector<std::uint64_t> root_ids;
  for (const auto& [id, s] : run.spans) {
    if (s.name == "middle.full") middle_total += s.dur_ns, middle_stats_ns += s.stats_ns;
    if (s.name == "root.full") root_stats_ns += s.stats_ns, root_ids.push_back(id);
    CHECK((s.name == "middle.full" || s.name == "root.full"));
  }
  REQUIRE(root_ids.size() == rounds);
  const double slack = 2000.0 * rounds;
  check_near(static_cast<double>(outer.self_ns),
             static_cast<double>(outer.total_ns) - static_cast<double>(middle_total) -
                 static_cast<double>(side.total_ns),
             0.01, slack, "outer.chosen's self time");
  check_near(static_cast<double>(outer.self_ns), static_cast<double>(outer_own_ns), 0.05, slack,
             "outer.chosen's own spin");
  CHECK(inner.self_ns == inner.total_ns);
  // A statistics span of the call site's own (SPANLOG_SPAN_STATS) inside a chosen one comes off its self
  // time.
  check_near(static_cast<double>(side.self_ns), static_cast<double>(side.total_ns - deep.total_ns), 0.01,
             slack, "side.chosen's self time");
  check_near(static_cast<double>(side.self_ns), static_cast<double>(side_own_ns), 0.05, slack,
             "side.chosen's own spin");
  CHECK(deep.self_ns == deep.total_ns);
  check_near(static_cast<double>(middle_stats_ns), static_cast<double>(inner.total_ns), 0.01, slack,
             "middle.full's stats_ns");
  // Only the outermost chosen span is owed to root.full, less middle.full, which the file shows as
  // root.full's own child.
  check_near(static_cast<double>(root_stats_ns),
             static_cast<double>(outer.total_ns) - static_cast<double>(middle_total), 0.01, slack,
             "root.full's stats_ns");
  for (const auto& [id, s] : run.spans)
    if (s.name == "middle.full") CHECK(run.spans.at(s.parent).name == "root.full");
  // An event in a chosen span is shown in the span it sits in.
  REQUIRE(run.instants.size() == rounds);
  for (std::uint64_t parent : run.instant_parents) {
    REQUIRE(run.spans.count(parent));
    CHECK(run.spans.at(parent).name == "root.full");
  }
}

TEST_CASE("statistics chosen by name: a thread that exits keeps every span; a crash writes them") {
  SUBCASE("a thread's exit") {
    const std::string dir = test_support::make_temp_dir();
    REQUIRE(spanlog::start(choosing(dir, "chosen-exits", "worker.?hosen")));
    constexpr int threads = 3, per_thread = 500;
    for (int t = 0; t < threads; ++t) {
      std::thread worker([t] {
        for (int i = 0; i < per_thread + t; ++i) {
          SPANLOG_SPAN("worker.chosen");
          SPANLOG_SPAN("worker.full");
        }
      });
      worker.join();
    }
    spanlog::stop();
    const RunContents run = read_run(dir + "/chosen-exits");
    REQUIRE(run.schema_errors == 0);
    REQUIRE(run.span_stats.count("worker.chosen"));
    const StatsTotals& stats = run.span_stats.at("worker.chosen");
    CHECK(stats.count == threads * per_thread + 0 + 1 + 2);
    CHECK(stats.count_by_tid.size() == threads);
    CHECK(durations_named(run, "worker.full").size() == stats.count);
  }
  SUBCASE("a crash") {
    const std::string dir = test_support::make_temp_dir();
    constexpr int before_crash = 300;
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      install_fresh_crash_handlers();
      spanlog::Options o = choosing(dir, "chosen-crash", "crash.chosen");
      o.flush_interval = std::chrono::milliseconds(20);
      o.stats_interval = std::chrono::milliseconds(600000);  // the histogram is not written before the crash
      spanlog::start(o);
      for (int i = 0; i < before_crash; ++i) {
        SPANLOG_SPAN("crash.chosen");
      }
      // Drained by then into the flusher's histogram, which only the crash handler writes (flush() would
      // write it too).
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::abort();
    }
    const int status = wait_for(pid);
    CHECK(WIFSIGNALED(status));
    const RunContents run = read_run(dir + "/chosen-crash");
    REQUIRE(run.schema_errors == 0);
    CHECK(run.crash_signal == SIGABRT);
    REQUIRE(run.span_stats.count("crash.chosen"));
    // Spans still in the ring at the crash, had the flusher not drained them, are written in full.
    const std::size_t in_full = durations_named(run, "crash.chosen").size();
    CHECK(run.span_stats.at("crash.chosen").count + in_full == before_crash);
    CHECK(run.span_stats.at("crash.chosen").count > 0);
  }
}

TEST_CASE("statistics chosen by name: the environment's SPANLOG_STATS_NAMES chooses them") {
  ::setenv("SPANLOG_STATS_NAMES", "env.chosen", 1);
  const spanlog::Options o = spanlog::Options::from_env();
  ::unsetenv("SPANLOG_STATS_NAMES");
  CHECK(o.stats_names == "env.chosen");
  CHECK(spanlog::Options{}.stats_names.empty());
}

TEST_CASE("statistics chosen by name: the patterns are comma-separated globs") {
  using spanlog::detail::NamePatterns;
  const NamePatterns p(" kv.* ,block.read,,ta?le.*.get ");
  CHECK_FALSE(p.empty());
  CHECK(p.matches("kv.put"));
  CHECK(p.matches("kv."));
  CHECK_FALSE(p.matches("kv"));
  CHECK_FALSE(p.matches("a.kv.put"));
  CHECK(p.matches("block.read"));
  CHECK_FALSE(p.matches("block.reads"));
  CHECK(p.matches("table.index.get"));
  CHECK(p.matches("tadle.x.y.get"));
  CHECK_FALSE(p.matches("table.get"));
  CHECK(NamePatterns("*").matches(""));
  CHECK(NamePatterns("*a*b*").matches("xxaxxbxx"));
  CHECK_FALSE(NamePatterns("*a*b*").matches("xxbxxaxx"));
  CHECK(NamePatterns(" , ").empty());
  CHECK(NamePatterns("").empty());
}
