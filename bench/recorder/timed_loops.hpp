// The timed loops: the baseline and one loop per recording operation, each out of line (timed_loops.cpp) and
// of the same shape, so that every scenario times n iterations of one operation and nothing else.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace recorder_bench {

// Each returns the nanoseconds n iterations took: a timestamp, n iterations of one operation with a compiler
// barrier inside, a timestamp. `objdump -d --no-show-raw-insn recorder_bench | less` and search for the
// function name to see exactly what is measured.
std::int64_t loop_baseline(std::size_t n);  // 2 rdtsc and a 24-byte store into a thread-local array (L1)
std::int64_t loop_empty(std::size_t n);     // the loop alone, for the instruction counts
std::int64_t loop_span(std::size_t n);
std::int64_t loop_span_attrs(std::size_t n);
std::int64_t loop_span_string(std::size_t n);  // a span with g_dynamic_value as its attribute
std::int64_t loop_span_fn(std::size_t n);
std::int64_t loop_span_stats(std::size_t n);
std::int64_t loop_event(std::size_t n);
std::int64_t loop_log(std::size_t n);
std::int64_t loop_log_suppressed(std::size_t n);
std::int64_t loop_counter(std::size_t n);
std::int64_t loop_gauge(std::size_t n);
std::int64_t loop_counter_labelled(std::size_t n);
std::int64_t loop_histogram(std::size_t n);
std::int64_t loop_histogram_labelled(std::size_t n);

extern std::string g_dynamic_value;  // loop_span_string's attribute, set in main

inline std::vector<double> baseline_samples(std::size_t n, int reps) {
  loop_baseline(n);
  std::vector<double> v;
  for (int r = 0; r < reps; ++r) v.push_back(static_cast<double>(loop_baseline(n)) / static_cast<double>(n));
  return v;
}

}  // namespace recorder_bench
