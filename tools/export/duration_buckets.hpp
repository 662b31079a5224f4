// The buckets of the span-duration histograms that the Prometheus and OTLP metric exporters write: fixed
// bounds from 100 ns to 100 s in 1, 2.5, 5 steps, so that histograms of different runs and processes add up.
// The counts come from the reader's log-bucketed histogram, which keeps no raw durations.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "reader/histogram.hpp"

namespace spanlog::exporters {

// Upper bounds in nanoseconds, ascending; a last bucket to +Inf follows them.
std::span<const std::uint64_t> duration_bounds_ns();

// For each bound, how many durations are at or below it. Exact for a duration more than 1/64 away from the
// bound; one within that of it may be counted on the other side (the reader's histogram resolution).
std::vector<std::uint64_t> cumulative_counts(const reader::Histogram& durations,
                                             std::span<const std::uint64_t> bounds_ns);

// Nanoseconds as exact decimal seconds: 2500 -> "0.0000025", 3000000000 -> "3".
std::string seconds_text(std::uint64_t ns);

}  // namespace spanlog::exporters
