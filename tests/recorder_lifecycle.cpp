// Lifecycle and loss accounting: start/stop/start, threads that exit mid-run, full rings under both
// overflow policies, and options from the environment.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <spanlog/impl/env_variables.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/run_options.hpp"
#include "support/run_reader.hpp"

using test_support::read_run;

namespace {

spanlog::Options options_in(const std::string& dir, const char* run_id) {
  return test_support::run_options(dir, run_id);
}

void one_span(int i) {
  SPANLOG_SPAN("unit", "i", i);
}

std::size_t count_named(const test_support::RunContents& run, const std::string& name) {
  std::size_t n = 0;
  for (const auto& entry : run.spans) n += entry.second.name == name;
  return n;
}

}  // namespace

TEST_CASE("start, stop, start: each run holds exactly its own records; stop is idempotent") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(options_in(dir, "first")));
  CHECK_FALSE(spanlog::start(options_in(dir, "again")));  // one run at a time
  for (int i = 0; i < 100; ++i) one_span(i);
  spanlog::stop();
  spanlog::stop();
  CHECK_FALSE(spanlog::running());
  for (int i = 0; i < 50; ++i) one_span(i);  // after stop: not recorded anywhere
  REQUIRE(spanlog::start(options_in(dir, "second")));
  CHECK(spanlog::running());
  CHECK(spanlog::run_directory() == dir + "/second");
  for (int i = 0; i < 30; ++i) one_span(i);
  spanlog::stop();

  const auto first = read_run(dir + "/first");
  const auto second = read_run(dir + "/second");
  CHECK(first.schema_errors == 0);
  CHECK(second.schema_errors == 0);
  CHECK(count_named(first, "unit") == 100);
  CHECK(count_named(second, "unit") == 30);
  CHECK(first.kinds.back() == "footer");
  CHECK(second.kinds.back() == "footer");
  CHECK(test_support::read_file(dir + "/latest/run_summary.json").find("\"run_id\":\"second\"") !=
        std::string::npos);
}

TEST_CASE("a run id used twice gets a directory of its own") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(options_in(dir, "same")));
  one_span(1);
  spanlog::stop();
  REQUIRE(spanlog::start(options_in(dir, "same")));
  one_span(2);
  CHECK(spanlog::run_directory() == dir + "/same-2");
  spanlog::stop();
  CHECK(count_named(read_run(dir + "/same"), "unit") == 1);
  CHECK(count_named(read_run(dir + "/same-2"), "unit") == 1);
}

TEST_CASE("threads that exit mid-run lose nothing, and their rings are reused") {
  const std::string dir = test_support::make_temp_dir();
  auto o = options_in(dir, "churn");
  o.overflow = spanlog::OverflowPolicy::block;
  REQUIRE(spanlog::start(o));
  constexpr int waves = 20, per_wave = 8, spans_each = 300;
  for (int w = 0; w < waves; ++w) {
    std::vector<std::thread> threads;
    for (int t = 0; t < per_wave; ++t)
      threads.emplace_back([] {
        for (int i = 0; i < spans_each; ++i) one_span(i);
      });
    for (auto& t : threads) t.join();
  }
  spanlog::stop();
  const auto run = read_run(dir + "/churn");
  CHECK(run.schema_errors == 0);
  CHECK(count_named(run, "unit") == static_cast<std::size_t>(waves) * per_wave * spans_each);
  int exits = 0;
  for (const auto& k : run.kinds) exits += k == "thread";
  CHECK(exits >= waves * per_wave * 2);  // each thread announced and retired
  // Span ids stay unique although rings (and their id ranges) pass from thread to thread.
  CHECK(run.spans.size() == static_cast<std::size_t>(waves) * per_wave * spans_each);
}

TEST_CASE("a thread's name carries into later runs while the thread lives") {
  const std::string dir = test_support::make_temp_dir();
  std::atomic<int> step{0};
  auto wait_for = [&step](int s) {
    while (step.load() != s) std::this_thread::yield();
  };
  REQUIRE(spanlog::start(options_in(dir, "named-first")));
  std::uint64_t worker_tid = 0;
  std::thread worker([&] {
    worker_tid = static_cast<std::uint64_t>(::gettid());
    SPANLOG_THREAD_NAME("long-lived");
    one_span(1);
    step = 1;
    wait_for(2);
    one_span(2);  // no new name in this run
    step = 3;
  });
  wait_for(1);
  spanlog::stop();
  REQUIRE(spanlog::start(options_in(dir, "named-second")));
  step = 2;
  wait_for(3);
  spanlog::stop();
  worker.join();
  const auto first = read_run(dir + "/named-first");
  const auto second = read_run(dir + "/named-second");
  CHECK(first.thread_names.at(worker_tid) == "long-lived");
  CHECK(count_named(second, "unit") == 1);
  REQUIRE(second.thread_names.count(worker_tid) == 1);
  CHECK(second.thread_names.at(worker_tid) == "long-lived");
}

TEST_CASE("drop policy: what arrives plus what is counted as dropped equals what was recorded") {
  const std::string dir = test_support::make_temp_dir();
  auto o = options_in(dir, "drop");
  o.ring_bytes = 4096;
  o.ring_max_bytes = 4096;  // a ring that cannot grow: full means full
  o.flush_interval = std::chrono::milliseconds(50);
  o.overflow = spanlog::OverflowPolicy::drop;
  REQUIRE(spanlog::start(o));
  constexpr int threads = 4, per_thread = 50000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([] {
      for (int i = 0; i < per_thread; ++i) {
        SPANLOG_SPAN("outer");
        one_span(i);
        SPANLOG_COUNTER_ADD("n", 1);
        SPANLOG_COUNTER_ADD("x", 0.5);
      }
    });
  for (auto& t : pool) t.join();
  spanlog::stop();
  const auto run = read_run(dir + "/drop");
  CHECK(run.schema_errors == 0);
  CHECK(run.end_without_start == 0);
  const std::size_t emitted = static_cast<std::size_t>(threads) * per_thread * 2;
  const std::size_t arrived = run.spans.size();
  auto dropped_of = [&](const char* kind) -> std::uint64_t {
    return run.dropped.count(kind) ? run.dropped.at(kind) : 0;
  };
  const std::uint64_t dropped = dropped_of("spans");
  INFO("arrived " << arrived << ", dropped " << dropped);
  CHECK(dropped > 0);  // a 4 KiB ring cannot keep up: the test must exercise loss
  CHECK(arrived + dropped == emitted);
  for (const auto& entry : run.spans) CHECK(entry.second.ends == 1);  // a begun span always ends
  // Integer counters add in place: a full ring loses none of them. Floating-point ones are ring records.
  const std::int64_t counted = run.counter_int_sums.count("n") ? run.counter_int_sums.at("n") : 0;
  CHECK(counted == threads * per_thread);
  const double float_counted = run.counter_sums.count("x") ? run.counter_sums.at("x") : 0;
  CHECK(dropped_of("metrics") > 0);
  CHECK(float_counted * 2 + static_cast<double>(dropped_of("metrics")) ==
        doctest::Approx(threads * per_thread));
  CHECK(test_support::json_int(run.footer, "/dropped/spans") == static_cast<std::int64_t>(dropped));
}

namespace {
// Each instantiation is a counter call site of its own (a static slot each), all named "site.n".
template <int N>
void add_at_site(std::int64_t delta) {
  SPANLOG_COUNTER_ADD("site.n", delta);
}
template <int... N>
void add_at_sites(std::integer_sequence<int, N...>, std::int64_t delta) {
  // A table rather than a fold expression: clang limits a fold's nesting to 256.
  constexpr void (*sites[])(std::int64_t) = {&add_at_site<N>...};
  for (auto* add : sites) add(delta);
}
}  // namespace

TEST_CASE("integer counters: exact sums per thread and interval, beyond the slots too, and across runs") {
  const std::string dir = test_support::make_temp_dir();
  auto o = options_in(dir, "slots");
  o.flush_interval = std::chrono::milliseconds(5);
  REQUIRE(spanlog::start(o));
  // More sites than slots: the first ones add in place, the rest go through the ring; none is lost.
  constexpr int sites = static_cast<int>(spanlog::detail::counter_slot_count) + 44;
  constexpr int threads = 3, rounds = 200;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([] {
      for (int r = 0; r < rounds; ++r) {
        add_at_sites(std::make_integer_sequence<int, sites>{}, 3);
        SPANLOG_COUNTER_ADD("down", -2);
        if (r % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(6));  // several intervals
      }
    });
  for (auto& t : pool) t.join();
  spanlog::stop();
  const auto run = read_run(dir + "/slots");
  CHECK(run.schema_errors == 0);
  CHECK(run.counter_int_sums.at("site.n") == std::int64_t{3} * sites * threads * rounds);
  CHECK(run.counter_int_sums.at("down") == std::int64_t{-2} * threads * rounds);
  std::size_t counter_lines = 0;
  for (const auto& k : run.kinds) counter_lines += k == "counter";
  CHECK(counter_lines > static_cast<std::size_t>(threads) * 2);  // per interval, not one line per run
  const std::string summary = test_support::read_file(dir + "/slots/run_summary.json");
  CHECK(test_support::json_int(summary, "/totals/counters/site.n") ==
        std::int64_t{3} * sites * threads * rounds);
  CHECK(!run.dropped.count("metrics"));

  // The slots stay with the rings: a second run reports only what was added in it.
  REQUIRE(spanlog::start(options_in(dir, "slots-again")));
  std::thread([] { add_at_sites(std::make_integer_sequence<int, sites>{}, 1); }).join();
  add_at_site<0>(5);
  spanlog::stop();
  const auto again = read_run(dir + "/slots-again");
  CHECK(again.counter_int_sums.at("site.n") == sites + 5);
}

TEST_CASE("block policy: a tiny ring loses nothing") {
  const std::string dir = test_support::make_temp_dir();
  auto o = options_in(dir, "block");
  o.ring_bytes = 4096;
  o.ring_max_bytes = 4096;  // a ring that cannot grow: the thread waits
  o.overflow = spanlog::OverflowPolicy::block;
  REQUIRE(spanlog::start(o));
  constexpr int threads = 4, per_thread = 20000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([] {
      for (int i = 0; i < per_thread; ++i) {
        SPANLOG_SPAN("outer", "thread_local_index", i);
        one_span(i);
      }
    });
  for (auto& t : pool) t.join();
  spanlog::stop();
  const auto run = read_run(dir + "/block");
  CHECK(run.schema_errors == 0);
  CHECK(run.spans.size() == static_cast<std::size_t>(threads) * per_thread * 2);
  CHECK(run.dropped.empty());
  CHECK(test_support::json_int(run.footer, "/dropped/spans") == 0);
}

TEST_CASE("sampling keeps about the asked share and counts the rest") {
  const std::string dir = test_support::make_temp_dir();
  auto o = options_in(dir, "sample");
  o.sample = 0.25;
  o.overflow = spanlog::OverflowPolicy::block;
  REQUIRE(spanlog::start(o));
  constexpr int n = 40000;
  for (int i = 0; i < n; ++i) one_span(i);
  spanlog::stop();
  const auto run = read_run(dir + "/sample");
  const std::int64_t sampled_out = test_support::json_int(run.footer, "/sampled_out");
  CHECK(static_cast<std::int64_t>(run.spans.size()) + sampled_out == n);
  CHECK(run.spans.size() > n * 0.22);
  CHECK(run.spans.size() < n * 0.28);
}

TEST_CASE("options from the environment; bad values fall back to the documented defaults") {
  ::setenv("SPANLOG_DIR", "/tmp/somewhere", 1);
  ::setenv("SPANLOG_RUN_ID", "nightly", 1);
  ::setenv("SPANLOG_RING_SIZE", "64K", 1);
  ::setenv("SPANLOG_OVERFLOW", "block", 1);
  ::setenv("SPANLOG_FLUSH_INTERVAL_MS", "250", 1);
  ::setenv("SPANLOG_STATS_INTERVAL_MS", "2500", 1);
  ::setenv("SPANLOG_EVENTS", "off", 1);
  ::setenv("SPANLOG_SAMPLE", "0.5", 1);
  ::setenv("SPANLOG_SERVICE", "pipeline", 1);
  ::setenv("SPANLOG_ATTRS", "deployment=ci,commit=abc123", 1);
  auto o = spanlog::Options::from_env();
  CHECK(o.dir == "/tmp/somewhere");
  CHECK(o.run_id == "nightly");
  CHECK(o.ring_bytes == 65536);
  CHECK(o.overflow == spanlog::OverflowPolicy::block);
  CHECK(o.flush_interval == std::chrono::milliseconds(250));
  CHECK(o.stats_interval == std::chrono::milliseconds(2500));
  CHECK_FALSE(o.events);
  CHECK(o.spans);
  CHECK(o.sample == 0.5);
  CHECK(o.service_name == "pipeline");
  REQUIRE(o.attrs.size() == 2);
  CHECK(o.attrs[1].first == "commit");
  CHECK(o.attrs[1].second == "abc123");

  ::setenv("SPANLOG_RING_SIZE", "1000", 1);  // not a power of two
  ::setenv("SPANLOG_OVERFLOW", "sometimes", 1);
  ::setenv("SPANLOG_FLUSH_INTERVAL_MS", "-5", 1);
  ::setenv("SPANLOG_STATS_INTERVAL_MS", "0", 1);
  ::setenv("SPANLOG_SAMPLE", "2", 1);
  ::setenv("SPANLOG_RUN_ID", "../escape", 1);
  o = spanlog::Options::from_env();
  CHECK(o.ring_bytes == (1u << 20));
  CHECK(o.overflow == spanlog::OverflowPolicy::drop);
  CHECK(o.flush_interval == std::chrono::milliseconds(100));
  CHECK(o.stats_interval == std::chrono::milliseconds(1000));
  CHECK(o.sample == 1.0);
  CHECK(o.run_id.empty());
  for (const char* v :
       {"SPANLOG_DIR", "SPANLOG_RUN_ID", "SPANLOG_RING_SIZE", "SPANLOG_OVERFLOW", "SPANLOG_FLUSH_INTERVAL_MS",
        "SPANLOG_STATS_INTERVAL_MS", "SPANLOG_EVENTS", "SPANLOG_SAMPLE", "SPANLOG_SERVICE", "SPANLOG_ATTRS"})
    ::unsetenv(v);
}

TEST_CASE("SPANLOG=off disables recording at run time") {
  const std::string dir = test_support::make_temp_dir();
  ::setenv("SPANLOG", "off", 1);
  spanlog::start(options_in(dir, "off"));
  CHECK_FALSE(spanlog::running());
  one_span(1);
  spanlog::stop();
  ::unsetenv("SPANLOG");
  CHECK(test_support::read_file(dir + "/off/telemetry.jsonl").empty());
}

TEST_CASE("events off and metrics off: those kinds are not recorded, spans still are") {
  const std::string dir = test_support::make_temp_dir();
  auto o = options_in(dir, "kinds");
  o.events = false;
  o.metrics = false;
  REQUIRE(spanlog::start(o));
  {
    SPANLOG_SPAN("kept");
    SPANLOG_EVENT("gone");
    SPANLOG_COUNTER_ADD("gone.counter", 1);
  }
  spanlog::stop();
  const auto run = read_run(dir + "/kinds");
  CHECK(run.spans.size() == 1);
  CHECK(run.instants.empty());
  CHECK(run.counter_sums.empty());
}

TEST_CASE("a run's ring size applies to threads that begin recording after its start, reused rings too") {
  const std::string dir = test_support::make_temp_dir();
  auto small = options_in(dir, "small");
  small.ring_bytes = 64 * 1024;
  REQUIRE(spanlog::start(small));
  std::thread([] { one_span(0); }).join();  // leaves a 64 KiB ring to reuse
  spanlog::stop();
  auto large = options_in(dir, "large");
  large.ring_bytes = 16 * 1024 * 1024;
  large.overflow = spanlog::OverflowPolicy::drop;
  large.flush_interval = std::chrono::milliseconds(60000);
  REQUIRE(spanlog::start(large));
  std::thread([] {
    for (int i = 0; i < 100000; ++i) {
      SPANLOG_SPAN("burst");  // 3.2 MB of ring: fits 16 MiB below its high-water mark, not 64 KiB
    }
  }).join();
  spanlog::stop();
  const auto run = read_run(dir + "/large");
  CHECK(count_named(run, "burst") == 100000);
  CHECK(test_support::json_int(run.footer, "/dropped/spans") == 0);
}

TEST_CASE("a SPANLOG_ variable that nothing reads is reported with the closest known name") {
  const char* environment[] = {"PATH=/usr/bin",         "SPANLOG_RING_BYTES=64M",
                               "SPANLOG_DIR=/tmp/runs", "SPANLOG_FLUSH_INTERVAL=5",
                               "SPANLOG_ENABLED=0",     nullptr};
  const std::string report = spanlog::detail::unknown_env_variables_report(environment);
  CHECK(report.find("SPANLOG_RING_BYTES is not a spanlog variable and is ignored; did you mean "
                    "SPANLOG_RING_SIZE?") != std::string::npos);
  CHECK(report.find("SPANLOG_FLUSH_INTERVAL is not a spanlog variable and is ignored; did you mean "
                    "SPANLOG_FLUSH_INTERVAL_MS?") != std::string::npos);
  CHECK(report.find("SPANLOG_ENABLED in the environment does nothing") != std::string::npos);
  CHECK(report.find("SPANLOG_DIR") == std::string::npos);  // known
  CHECK(report.find("PATH") == std::string::npos);
  CHECK(report.find("SPANLOG_TEST_APP") == std::string::npos);  // a test program's own setting
  CHECK(std::count(report.begin(), report.end(), '\n') == 3);
}

TEST_CASE("every variable of the options table is documented in docs/recording.md") {
  const std::string doc =
      test_support::read_file(std::string(SPANLOG_TEST_SOURCE_ROOT) + "/docs/recording.md");
  for (const auto& v : spanlog::detail::env_variables) {
    INFO(v.name);
    CHECK(doc.find(std::string("`") + v.name) != std::string::npos);
  }
}
