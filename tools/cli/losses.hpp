// What a run lost, in the words every command uses: "dropped 7.0% of spans (1,234 of 17,634)". Shown where
// the figures are, so a number is never read without knowing what it is missing.
#pragma once

#include <cstdint>
#include <string>

#include "reader/records.hpp"
#include "reader/summary.hpp"

namespace spanlog::cli {

// "dropped 7.0% of spans (1,234 of 17,634), 20.0% of events (3 of 15), 2 metric updates"; empty when nothing
// was dropped. `spans` and `events` are those recorded: the shares are of recorded and dropped together.
std::string dropped_phrase(const reader::DroppedCounts& dropped, std::uint64_t spans, std::uint64_t events);
// The same over every run of a summary.
std::string dropped_phrase(const reader::Summary& summary);
// dropped_phrase, or what can be said when it is empty: "dropped nothing", or, for a run without a footer
// (whose totals it would carry), "no drops counted (no footer)".
std::string losses(const reader::Summary& summary);
// "rings grew 3 times, the largest to 8 MiB (SPANLOG_RING_MAX bounds them)"; empty when no ring grew.
std::string ring_growth_phrase(std::uint64_t rings_grown, std::uint64_t largest_ring);
// "1,234".
std::string grouped(std::uint64_t value);

}  // namespace spanlog::cli
