#include "export/duration_buckets.hpp"

#include <array>

#include <fmt/format.h>

namespace spanlog::exporters {
namespace {

constexpr std::array<std::uint64_t, 28> kBoundsNs = {100,
                                                     250,
                                                     500,  // ns
                                                     1'000,
                                                     2'500,
                                                     5'000,
                                                     10'000,
                                                     25'000,
                                                     50'000,  // µs
                                                     100'000,
                                                     250'000,
                                                     500'000,
                                                     1'000'000,
                                                     2'500'000,
                                                     5'000'000,  // ms
                                                     10'000'000,
                                                     25'000'000,
                                                     50'000'000,
                                                     100'000'000,
                                                     250'000'000,
                                                     500'000'000,
                                                     1'000'000'000,
                                                     2'500'000'000,
                                                     5'000'000'000,
                                                     10'000'000'000,
                                                     25'000'000'000,
                                                     50'000'000'000,  // s
                                                     100'000'000'000};

// The value of the rank-th smallest duration (1-based) as the histogram reports it: its nearest-rank
// percentile, with q in the middle of the rank so that rounding cannot move it to a neighbour.
std::uint64_t value_at_rank(const reader::Histogram& h, std::uint64_t rank) {
  const double count = static_cast<double>(h.count());
  return h.percentile((static_cast<double>(rank) - 0.5) / count);
}

// The histogram has no bucket iterator, but its percentiles grow with the rank: the number of durations at
// or below `bound` is the largest rank whose value is, found by bisection.
std::uint64_t count_at_most(const reader::Histogram& h, std::uint64_t bound) {
  if (h.count() == 0 || h.min() > bound) return 0;
  if (h.max() <= bound) return h.count();
  std::uint64_t at_most = 1, above = h.count();  // value_at_rank(at_most) <= bound < value_at_rank(above)
  while (above - at_most > 1) {
    const std::uint64_t middle = at_most + (above - at_most) / 2;
    if (value_at_rank(h, middle) <= bound)
      at_most = middle;
    else
      above = middle;
  }
  return at_most;
}

}  // namespace

std::span<const std::uint64_t> duration_bounds_ns() {
  return kBoundsNs;
}

std::vector<std::uint64_t> cumulative_counts(const reader::Histogram& durations,
                                             std::span<const std::uint64_t> bounds_ns) {
  std::vector<std::uint64_t> counts;
  counts.reserve(bounds_ns.size());
  for (const std::uint64_t bound : bounds_ns) counts.push_back(count_at_most(durations, bound));
  return counts;
}

std::string seconds_text(std::uint64_t ns) {
  std::string text = fmt::format("{}.{:09}", ns / 1'000'000'000, ns % 1'000'000'000);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace spanlog::exporters
