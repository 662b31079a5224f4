// The recorder's figures are exact: run_summary.json counts every span that started inside each phase, on
// any thread and under load, and a span that an exception unwinds ends with status error.
#include <doctest/doctest.h>
#include <spanlog/impl/clock_calibration.hpp>
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/run_options.hpp"
#include "support/run_reader.hpp"

using test_support::read_run;

namespace {

spanlog::Options test_options(const std::string& dir, const char* run_id) {
  auto o = test_support::run_options(dir, run_id, spanlog::OverflowPolicy::block);
  o.flush_interval = std::chrono::milliseconds(1);  // many drain cycles, each a chance to miscount
  return o;
}

struct PhaseInterval {
  std::int64_t begin = 0, end = 0;
};

// The spans of the file (phases aside) that started within each phase; `ambiguous` counts starts that fall
// on the same nanosecond as a phase's begin or end, where the recorder's ticks decide and the file cannot.
struct PhaseCounts {
  std::map<std::string, std::uint64_t> exact;
  std::uint64_t ambiguous = 0;
};

PhaseCounts count_from_file(const test_support::RunContents& run) {
  std::map<std::string, PhaseInterval> phases;
  for (const auto& [id, s] : run.spans)
    if (s.is_phase) phases[s.name] = {s.ts, s.ts + s.dur_ns};
  PhaseCounts out;
  for (const auto& [name, ph] : phases) out.exact[name] = 0;
  for (const auto& [id, s] : run.spans) {
    if (s.is_phase || s.dur_ns < 0) continue;
    for (const auto& [name, ph] : phases) {
      if (s.ts == ph.begin || s.ts == ph.end) ++out.ambiguous;
      if (s.ts >= ph.begin && s.ts < ph.end) ++out.exact[name];
    }
  }
  return out;
}

void check_phase_counts(const std::string& run_dir) {
  const auto run = read_run(run_dir);
  REQUIRE(run.schema_errors == 0);
  const auto counts = count_from_file(run);
  const std::string summary = test_support::read_file(run_dir + "/run_summary.json");
  REQUIRE(!counts.exact.empty());
  for (const auto& phase_count : counts.exact) {
    const std::string& name = phase_count.first;
    const std::uint64_t exact = phase_count.second;
    const std::string pointer = "/phases/" + name + "/spans";
    const auto written = static_cast<std::uint64_t>(test_support::json_int(summary, pointer.c_str()));
    INFO("phase " << name << ": run_summary.json says " << written << ", the file holds " << exact);
    const std::uint64_t difference = written > exact ? written - exact : exact - written;
    CHECK(difference <= counts.ambiguous);
  }
}

// Busy threads that record nothing: they take the cores from the flusher between two rings.
struct CpuLoad {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  explicit CpuLoad(int n) {
    for (int i = 0; i < n; ++i)
      threads.emplace_back([this] {
        volatile std::uint64_t x = 0;
        while (!stop.load(std::memory_order_relaxed)) x = x + 1;
      });
  }
  ~CpuLoad() {
    stop = true;
    for (auto& t : threads) t.join();
  }
};

void work(int i) {
  SPANLOG_SPAN("work", "i", i);
  SPANLOG_SPAN("step");
}

}  // namespace

TEST_CASE("phases on one thread: run_summary.json counts the spans that started inside each") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "one-thread")));
  auto phase_of = [](auto& name) {
    spanlog::Phase phase(name);
    for (int i = 0; i < 3000; ++i) work(i);
  };
  phase_of("discovery");
  phase_of("analysis");
  phase_of("synthesis");
  spanlog::stop();
  check_phase_counts(dir + "/one-thread");
  const std::string summary = test_support::read_file(dir + "/one-thread/run_summary.json");
  CHECK(test_support::json_int(summary, "/phases/analysis/spans") == 6000);
}

TEST_CASE("phases with many recording threads under load: every phase's count is the file's") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "many-threads")));
  {
    CpuLoad load(1);
    SPANLOG_SPAN("main");  // the phases' ring is the flusher's first
    // A thread that records all along keeps the flusher busy between the phases' ring and the workers'
    // (drained in that order): a phase begins after its ring was drained in a cycle, and the workers' first
    // spans are drained later in the same cycle, before the cycle that drains the phase's begin.
    std::atomic<bool> quiet{false};
    std::thread noisy([&quiet] {
      for (int i = 0; !quiet.load(std::memory_order_relaxed); ++i) work(i);
    });
    while (!quiet.load() && spanlog::detail::tl_buffer == nullptr) std::this_thread::yield();
    std::atomic<int> round{0}, done{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w)
      workers.emplace_back([&round, &done] {
        SPANLOG_EVENT("worker.ready");  // its ring exists before the first phase
        for (int r = 1; r <= 3; ++r) {
          while (round.load() < r) std::this_thread::yield();
          for (int i = 0; i < 1000; ++i) work(i);
          ++done;
        }
      });
    auto phase_of = [&](auto& name, int r) {
      spanlog::Phase phase(name);
      round = r;
      while (done.load() < 4 * r) std::this_thread::yield();
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    phase_of("discovery", 1);
    phase_of("analysis", 2);
    phase_of("synthesis", 3);
    for (auto& t : workers) t.join();
    quiet = true;
    noisy.join();
  }
  spanlog::stop();
  check_phase_counts(dir + "/many-threads");
  const std::string summary = test_support::read_file(dir + "/many-threads/run_summary.json");
  for (const char* pointer : {"/phases/discovery/spans", "/phases/analysis/spans", "/phases/synthesis/spans"})
    CHECK(test_support::json_int(summary, pointer) >= 8000);  // the workers', and the noisy thread's
}

TEST_CASE("a phase's begin drained a cycle after spans that started inside it: they are counted") {
  // A cycle drains at most drain_passes_per_cycle x drain_batch_bytes of a ring (64 MB). The phase's thread
  // fills its ring with more than that before the phase, below the high-water mark so that the flusher
  // sleeps (the interval is a minute): the stop then drains the workers' spans in the first cycle and the
  // phase's begin in the second.
  const std::string dir = test_support::make_temp_dir();
  auto o = test_options(dir, "late-begin");
  o.ring_bytes = std::size_t{256} << 20;
  o.flush_interval = std::chrono::milliseconds(60000);
  REQUIRE(spanlog::start(o));
  // On a thread of its own, so the big ring goes when it exits (a thread keeps its ring from run to run);
  // it lives until the stop has drained it, since an exited thread's ring is drained whole at once.
  std::atomic<bool> recorded{false}, stopped{false};
  std::thread phase_thread([&recorded, &stopped] {
    const int backlog_events = (68 << 20) / 16;
    for (int i = 0; i < backlog_events; ++i) SPANLOG_EVENT("backlog");
    {
      spanlog::Phase phase("late");
      std::vector<std::thread> workers;
      for (int w = 0; w < 2; ++w)
        workers.emplace_back([] {
          for (int i = 0; i < 500; ++i) work(i);
        });
      for (auto& t : workers) t.join();
    }
    recorded = true;
    while (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (!recorded) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spanlog::stop();
  stopped = true;
  phase_thread.join();
  const std::string summary = test_support::read_file(dir + "/late-begin/run_summary.json");
  CHECK(test_support::json_int(summary, "/phases/late/spans") == 2000);
  std::filesystem::remove_all(dir);  // 70 MB of events
}

TEST_CASE("phases begun from the macro count like the class's, and nest under nothing") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "macro-phase")));
  {
    SPANLOG_PHASE("load");
    std::thread worker([] {
      for (int i = 0; i < 2000; ++i) work(i);
    });
    worker.join();
  }
  spanlog::stop();
  check_phase_counts(dir + "/macro-phase");
  const std::string summary = test_support::read_file(dir + "/macro-phase/run_summary.json");
  CHECK(test_support::json_int(summary, "/phases/load/spans") == 4000);
}

namespace {

[[noreturn]] void fail_inside(const char* what) {
  SPANLOG_SPAN("parse");
  throw std::runtime_error(what);
}

struct RecordsInDestructor {
  ~RecordsInDestructor() { SPANLOG_SPAN("cleanup"); }
};

const test_support::SpanRecordLine& only_span(const test_support::RunContents& run, const std::string& name) {
  const test_support::SpanRecordLine* found = nullptr;
  for (const auto& [id, s] : run.spans)
    if (s.name == name) {
      REQUIRE_MESSAGE(found == nullptr, "two spans named " << name);
      found = &s;
    }
  REQUIRE_MESSAGE(found != nullptr, "no span named " << name);
  return *found;
}

}  // namespace

TEST_CASE("a span that an exception unwinds ends with status error, message exception") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "exceptions")));
  {
    SPANLOG_SPAN("request");  // catches: it ends normally
    try {
      SPANLOG_SPAN("load");
      RecordsInDestructor cleanup;  // its span runs during the unwinding, and is not unwound itself
      fail_inside("disk full");
    } catch (const std::exception&) {
      SPANLOG_SPAN("handler");  // in the catch block nothing is in flight
    }
  }
  try {
    spanlog::Phase phase("analysis");
    spanlog::ScopedSpan object_span("object");
    throw 42;
  } catch (int) {
  }
  spanlog::stop();
  const auto run = read_run(dir + "/exceptions");
  REQUIRE(run.schema_errors == 0);
  CHECK(only_span(run, "request").status == "ok");
  CHECK(only_span(run, "handler").status == "ok");
  CHECK(only_span(run, "cleanup").status == "ok");
  for (const char* name : {"load", "parse", "analysis", "object"}) {
    INFO("span " << name);
    CHECK(only_span(run, name).status == "error");
    CHECK(only_span(run, name).message == "exception");
  }
}

TEST_CASE("record_exception names the exception on the span, and the unwinding keeps that message") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "recorded-exceptions")));
  try {
    SPANLOG_SPAN("load");
    try {
      fail_inside("disk full");
    } catch (const std::exception& e) {
      spanlog::record_exception(e);
      throw;
    }
  } catch (const std::exception&) {
  }
  {
    SPANLOG_SPAN("retry");
    try {
      throw 7;
    } catch (...) {
      spanlog::record_current_exception();  // handled here: the span ends normally but failed
    }
  }
  spanlog::stop();
  const auto run = read_run(dir + "/recorded-exceptions");
  CHECK(only_span(run, "parse").message == "exception");
  CHECK(only_span(run, "load").status == "error");
  CHECK(only_span(run, "load").message == "exception std::runtime_error: disk full");
  CHECK(only_span(run, "retry").status == "error");
  CHECK(only_span(run, "retry").message == "exception int");
}

TEST_CASE("the header says what recording costs: a span's begin and end, a clock read, an empty span") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "overhead")));
  work(0);
  spanlog::stop();
  const auto run = read_run(dir + "/overhead");
  const std::string& header = run.header;
  INFO(header);
  const double span_ns = test_support::json_double(header, "/overhead/span_ns");
  const double clock_ns = test_support::json_double(header, "/overhead/clock_ns");
  const double in_span_ns = test_support::json_double(header, "/overhead/in_span_ns");
  const double in_parent_ns = test_support::json_double(header, "/overhead/in_parent_ns");
  CHECK(span_ns > 0);
  CHECK(span_ns < 100000);  // a begin and an end, not a system call's worth of time
  CHECK(clock_ns > 0);
  CHECK(clock_ns <= span_ns);
  CHECK(in_span_ns >= 0);
  CHECK(in_span_ns <= span_ns);
  CHECK(in_parent_ns == doctest::Approx(span_ns - in_span_ns).epsilon(0.01));
  CHECK(test_support::json_double(header, "/overhead/span_ticks") > 0);
  CHECK(test_support::json_int(header, "/schema_minor") == 7);
  // The probe's spans went to a ring of its own: none is in the file.
  for (const auto& [id, s] : run.spans) CHECK(s.name != "spanlog.overhead_probe");
}

TEST_CASE("a full ring's drops are counted per name in the dropped records") {
  const std::string dir = test_support::make_temp_dir();
  auto o = test_support::run_options(dir, "drops", spanlog::OverflowPolicy::drop);
  o.ring_bytes = 4096;
  o.ring_max_bytes = 4096;  // a ring that cannot grow
  o.flush_interval = std::chrono::milliseconds(60000);
  REQUIRE(spanlog::start(o));
  // A new thread: a thread keeps the ring it got in an earlier run, of another size.
  std::thread recorder([] {
    for (int i = 0; i < 2000; ++i) {
      SPANLOG_SPAN("hot");
      SPANLOG_EVENT("noise");
    }
    for (int i = 0; i < 500; ++i) spanlog::event("named.event");
  });
  recorder.join();
  spanlog::stop();
  const std::string text = test_support::read_file(dir + "/drops/telemetry.jsonl");
  std::uint64_t spans = 0, events = 0, hot = 0, noise = 0, named = 0;
  std::size_t at = 0;
  while ((at = text.find("{\"event\":\"dropped\"", at)) != std::string::npos) {
    const std::string line = text.substr(at, text.find('\n', at) - at);
    spans += static_cast<std::uint64_t>(test_support::json_int(line, "/spans"));
    events += static_cast<std::uint64_t>(test_support::json_int(line, "/events"));
    if (line.find("\"span_names\"") != std::string::npos)
      hot += static_cast<std::uint64_t>(test_support::json_int(line, "/span_names/hot"));
    if (line.find("\"noise\"") != std::string::npos)
      noise += static_cast<std::uint64_t>(test_support::json_int(line, "/event_names/noise"));
    if (line.find("\"named.event\"") != std::string::npos)
      named += static_cast<std::uint64_t>(test_support::json_int(line, "/event_names/named.event"));
    ++at;
  }
  CHECK(spans > 0);
  CHECK(hot == spans);  // the only span name: every dropped span is attributed
  CHECK(noise + named == events);
  CHECK(named > 0);
  const auto run = read_run(dir + "/drops");
  CHECK(run.schema_errors == 0);
  std::uint64_t recorded_hot = 0;
  for (const auto& [id, s] : run.spans) recorded_hot += s.name == "hot";
  CHECK(recorded_hot + hot == 2000);
}

TEST_CASE("a ring its thread outruns grows up to its bound: nothing dropped, each growth reported") {
  const std::string dir = test_support::make_temp_dir();
  constexpr int burst = 50000;  // about 4 MB of ring records, in a millisecond or two
  constexpr std::size_t ring = 64 << 10, bound = 8 << 20;
  for (const bool grows : {true, false}) {
    auto o = test_support::run_options(dir, grows ? "grows" : "fixed", spanlog::OverflowPolicy::drop);
    o.ring_bytes = ring;
    o.ring_max_bytes = grows ? bound : ring;
    o.flush_interval = std::chrono::milliseconds(60000);
    REQUIRE(spanlog::start(o));
    std::thread([] {
      for (int i = 0; i < burst; ++i) {
        SPANLOG_SPAN("burst", "i", i, "j", 3 * i);
      }
    }).join();
    spanlog::stop();
  }
  const auto grown = read_run(dir + "/grows"), fixed = read_run(dir + "/fixed");
  CHECK(grown.schema_errors == 0);
  CHECK(fixed.schema_errors == 0);
  CHECK(grown.spans.size() == static_cast<std::size_t>(burst));
  CHECK(test_support::json_int(grown.footer, "/dropped/spans") == 0);
  // The same burst without growth outruns the flusher: the test's rate is one that drops.
  CHECK(test_support::json_int(fixed.footer, "/dropped/spans") > 0);
  CHECK(test_support::json_int(fixed.footer, "/rings_grown") == 0);

  const std::int64_t growths = test_support::json_int(grown.footer, "/rings_grown");
  const std::int64_t largest = test_support::json_int(grown.footer, "/largest_ring");
  CHECK(growths > 0);
  CHECK(largest > static_cast<std::int64_t>(ring));
  CHECK(largest <= static_cast<std::int64_t>(bound));
  CHECK(largest == static_cast<std::int64_t>(ring) << growths);  // each growth doubles
  // One ring_grown record per growth, each naming its size; run_summary.json says the same as the footer.
  const std::string text = test_support::read_file(dir + "/grows/telemetry.jsonl");
  std::int64_t records = 0, size = static_cast<std::int64_t>(ring);
  for (std::size_t at = 0; (at = text.find("{\"event\":\"ring_grown\"", at)) != std::string::npos; ++at) {
    size *= 2;
    CHECK(test_support::json_int(text.substr(at, text.find('\n', at) - at), "/bytes") == size);
    ++records;
  }
  CHECK(records == growths);
  const std::string summary = test_support::read_file(dir + "/grows/run_summary.json");
  CHECK(test_support::json_int(summary, "/totals/rings_grown") == growths);
  CHECK(test_support::json_int(summary, "/totals/largest_ring") == largest);
}

TEST_CASE("ticks to nanoseconds across the rate's refinement: continuous, monotonic, durations kept") {
  // A synthetic clock: 2.6 ticks per ns. The first estimate is 1000 ppm fast; the refinement 200 ms in
  // switches to the true rate.
  const double true_ns_per_tick = 1 / 2.6;
  spanlog::detail::ClockCalibration c;
  c.anchor_ticks = 1000000;
  c.anchor_ns = 1795459260000000000;
  c.ns_per_tick = true_ns_per_tick * 1.001;
  const std::uint64_t switch_at = c.anchor_ticks + 520000000;  // 200 ms of ticks
  const std::int64_t before_switch = c.to_ns(switch_at);
  c.refine_at(switch_at, true_ns_per_tick);
  CHECK(c.to_ns(switch_at) == before_switch);  // no jump where the lines meet
  std::int64_t previous = c.to_ns(c.anchor_ticks);
  for (std::uint64_t t = c.anchor_ticks; t < switch_at + 2600000000ull; t += 9973) {
    const std::int64_t now = c.to_ns(t);
    REQUIRE(now >= previous);
    previous = now;
  }
  // A 10 µs span across the switch: half at each rate.
  const std::uint64_t half = 13000;
  const double across = static_cast<double>(c.to_ns(switch_at + half) - c.to_ns(switch_at - half));
  CHECK(across == doctest::Approx(2 * half * true_ns_per_tick * (1 + 0.0005)).epsilon(0.0001));
  // After the switch durations are true to the synthetic clock.
  const double second = static_cast<double>(c.to_ns(switch_at + 2600000000ull) - c.to_ns(switch_at));
  CHECK(second == doctest::Approx(1e9).epsilon(1e-9));
}
