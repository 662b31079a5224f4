#include "reader/summary.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <limits>

namespace spanlog::reader {

std::uint64_t Summary::wall_ns() const {
  std::uint64_t first = std::numeric_limits<std::uint64_t>::max(), last = 0;
  for (const RunInfo& run : runs) {
    first = std::min(first, run.start_ts);
    last = std::max(last, run.start_ts + run.wall_ns);
  }
  return runs.empty() || last < first ? 0 : last - first;
}

void Summary::use_raw_self_time() {
  if (raw_self_time) return;
  raw_self_time = true;
  for (auto& [name, stats] : spans) stats.self_ns = stats.raw_self_ns;
  for (auto& [name, stats] : selected_spans) stats.self_ns = stats.raw_self_ns;
}

std::optional<InstrumentationCost> instrumentation_cost(const Summary& summary) {
  std::optional<InstrumentationCost> cost;
  for (const RunInfo& run : summary.runs) {
    if (!run.overhead) continue;
    const InstrumentationOverhead& o = *run.overhead;
    if (!cost) {
      cost =
          InstrumentationCost{o.span_ns, o.span_ns, o.clock_ns, o.clock_ns, o.in_parent_ns, o.in_parent_ns};
      continue;
    }
    cost->span_ns_low = std::min(cost->span_ns_low, o.span_ns);
    cost->span_ns_high = std::max(cost->span_ns_high, o.span_ns);
    cost->clock_ns_low = std::min(cost->clock_ns_low, o.clock_ns);
    cost->clock_ns_high = std::max(cost->clock_ns_high, o.clock_ns);
    cost->in_parent_ns_low = std::min(cost->in_parent_ns_low, o.in_parent_ns);
    cost->in_parent_ns_high = std::max(cost->in_parent_ns_high, o.in_parent_ns);
  }
  return cost;
}

bool mostly_instrumentation(const SpanStats& stats, const InstrumentationCost& cost) {
  return stats.durations.count() > 0 &&
         static_cast<double>(stats.durations.percentile(0.5)) < 10 * cost.span_ns_high;
}

bool glob_match(std::string_view glob, std::string_view name) {
  // fnmatch needs NUL-terminated strings; names are short.
  const std::string pattern(glob), text(name);
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

SpanStats combine_matching(const Summary& summary, std::string_view glob) {
  SpanStats combined;
  for (const auto& [name, stats] : summary.spans) {
    if (!glob_match(glob, name)) continue;
    combined.durations.merge(stats.durations);
    combined.self_ns += stats.self_ns;
    combined.raw_self_ns += stats.raw_self_ns;
    combined.parallel_ns += stats.parallel_ns;
    combined.errors += stats.errors;
    combined.subtree_errors += stats.subtree_errors;
    combined.statistics += stats.statistics;
    for (const auto& [key, value] : stats.attr_sums) combined.attr_sums[key] += value;
  }
  return combined;
}

void CounterStats::add(const Number& delta) {
  total += delta.as_double;
  // Past the int64 range the exact sum cannot be kept (the recorder cannot write it either): the double
  // total takes over.
  if (!delta.is_integer || __builtin_add_overflow(integer_total, delta.as_integer, &integer_total))
    integral = false;
}

void CounterStats::merge(const CounterStats& other) {
  total += other.total;
  if (!other.integral || __builtin_add_overflow(integer_total, other.integer_total, &integer_total))
    integral = false;
}

void GaugeStats::add(const GaugeRecord& line, bool first) {
  // Threads report their gauges in drain order, not in time order: the last value is the newest line's.
  // Between lines of the same time, the later line wins.
  if (first || line.ts >= last_ts) {
    last = line.value;
    last_ts = line.ts;
  }
  if (line.min) min = min ? std::min(*min, *line.min) : *line.min;
  if (line.max) max = max ? std::max(*max, *line.max) : *line.max;
  sets += line.count;
}

void GaugeStats::merge(const GaugeStats& other) {
  if (other.sets == 0 && !other.last && !other.min) return;
  if (sets == 0 && !last && !min) {
    *this = other;
    return;
  }
  if (other.last_ts >= last_ts) {
    last = other.last;
    last_ts = other.last_ts;
  }
  if (other.min) min = min ? std::min(*min, *other.min) : *other.min;
  if (other.max) max = max ? std::max(*max, *other.max) : *other.max;
  sets += other.sets;
}

}  // namespace spanlog::reader
