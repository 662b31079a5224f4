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
    for (const auto& [key, value] : stats.attr_sums) combined.attr_sums[key] += value;
  }
  return combined;
}

}  // namespace spanlog::reader
