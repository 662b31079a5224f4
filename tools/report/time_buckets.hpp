// Equal slices of a run's time, so that a report's metrics stay a fixed number of points whatever the run's
// length: counters are summed per slice, gauges keep their newest value per slice.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace spanlog::report {

struct TimeBuckets {
  std::uint64_t start = 0, width = 1;
  std::size_t count = 1;
  std::size_t index(std::uint64_t ts) const {
    if (ts <= start) return 0;
    return std::min(count - 1, static_cast<std::size_t>((ts - start) / width));
  }
  std::uint64_t middle(std::size_t i) const { return start + i * width + width / 2; }
};

}  // namespace spanlog::report
