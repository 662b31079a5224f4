// The timed loops, out of line (noinline) so that each is one function to read in the disassembly: the
// baseline and one loop per recording operation, declared in timed_loops.hpp.
#include "timed_loops.hpp"

#include <spanlog/spanlog.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "machine.hpp"

namespace recorder_bench {

namespace {

volatile std::uint64_t g_sink;

// The baseline: two TSC reads and a 24-byte store into a thread-local array that stays in L1 (the least a
// span can do: a begin time, an end time and what it was).
struct BaselineRecord {
  const void* site;
  std::uint64_t begin;
  std::uint64_t end;
};
static_assert(sizeof(BaselineRecord) == 24, "the baseline stores 24 bytes");
constexpr unsigned baseline_slots = 256;  // 6 KiB
thread_local BaselineRecord tl_baseline[baseline_slots];
thread_local unsigned tl_baseline_next = 0;
const char baseline_site = 0;

}  // namespace

__attribute__((noinline)) std::int64_t loop_baseline(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t begin = __builtin_ia32_rdtsc();
    barrier();
    const std::uint64_t end = __builtin_ia32_rdtsc();
    const unsigned k = tl_baseline_next;
    tl_baseline_next = (k + 1) & (baseline_slots - 1);
    tl_baseline[k] = BaselineRecord{&baseline_site, begin, end};
  }
  const std::int64_t t1 = now_ns();
  g_sink = tl_baseline[0].end;
  return t1 - t0;
}

// The loop alone, for the instruction counts: what every loop spends besides its operation.
__attribute__((noinline)) std::int64_t loop_empty(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) barrier();
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN("bench.span");
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span_attrs(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN("bench.span_attrs", "items", static_cast<int>(i), "ratio", static_cast<double>(i) * 0.5);
    barrier();
  }
  return now_ns() - t0;
}

std::string g_dynamic_value;  // set at run time in main: 29 bytes, longer than the small-string buffer

__attribute__((noinline)) std::int64_t loop_span_string(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN("bench.span_string", "key", g_dynamic_value);
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span_fn(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN_FN();
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span_stats(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN_STATS("bench.span_stats");
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_event(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_EVENT("bench.event");
    barrier();
  }
  return now_ns() - t0;
}

// Two integers and a 20-byte string, the log line the targets are set for.
__attribute__((noinline)) std::int64_t loop_log(std::size_t n) {
  const std::string table = "orders_2026_eu_west1";  // 20 bytes, copied into the ring
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_LOG_INFO("fetched {rows} rows from {table} in {ms} ms", i, table, static_cast<int>(i & 63));
    barrier();
  }
  return now_ns() - t0;
}

// Below the run's level (info): the call site's one compare.
__attribute__((noinline)) std::int64_t loop_log_suppressed(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_LOG_DEBUG("suppressed {i}", i);
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_counter(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_COUNTER_ADD("bench.counter", 1);
    barrier();
  }
  return now_ns() - t0;
}

// Two labels, one of them a 12-byte string copied into the ring: the label set a per-model counter carries.
__attribute__((noinline)) std::int64_t loop_counter_labelled(std::size_t n) {
  const std::string model = "m-large-2026";
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_COUNTER_ADD("bench.tokens", 3, "model", model, "kind", "input");
    barrier();
  }
  return now_ns() - t0;
}

// Values spread over a few hundred buckets, as sizes are.
__attribute__((noinline)) std::int64_t loop_histogram(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_HISTOGRAM("bench.bytes", (i * 2654435761u) & 0xffff);
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_histogram_labelled(std::size_t n) {
  const std::string route = "GET /search";
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_HISTOGRAM("bench.bytes_by_route", (i * 2654435761u) & 0xffff, "route", route);
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_gauge(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_GAUGE_SET("bench.gauge", static_cast<double>(i));
    barrier();
  }
  return now_ns() - t0;
}

}  // namespace recorder_bench
