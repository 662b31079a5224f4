#include "cli/losses.hpp"

#include <fmt/format.h>

#include <vector>

#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

// A share that is not zero never reads as 0.0%.
std::string share(std::uint64_t part, std::uint64_t whole) {
  const double percent = whole == 0 ? 100.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  if (percent < 0.05) return "<0.1%";
  return fmt::format("{:.1f}%", percent);
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", grouped(n), n == 1 ? one : many);
}

}  // namespace

std::string grouped(std::uint64_t value) {
  std::string digits = fmt::format("{}", value);
  for (std::size_t at = digits.size(); at > 3; at -= 3) digits.insert(at - 3, ",");
  return digits;
}

std::string dropped_phrase(const reader::DroppedCounts& dropped, std::uint64_t spans, std::uint64_t events) {
  std::vector<std::string> parts;
  if (dropped.spans > 0)
    parts.push_back(fmt::format("{} of spans ({} of {})", share(dropped.spans, dropped.spans + spans),
                                grouped(dropped.spans), grouped(dropped.spans + spans)));
  if (dropped.events > 0)
    parts.push_back(fmt::format("{} of events ({} of {})", share(dropped.events, dropped.events + events),
                                grouped(dropped.events), grouped(dropped.events + events)));
  if (dropped.metrics > 0) parts.push_back(plural(dropped.metrics, "metric update", "metric updates"));
  if (dropped.attrs > 0) parts.push_back(plural(dropped.attrs, "attribute update", "attribute updates"));
  if (dropped.async_ends > 0)
    parts.push_back(plural(dropped.async_ends, "async span's end", "async spans' ends"));
  if (parts.empty()) return {};
  return fmt::format("dropped {}", fmt::join(parts, ", "));
}

std::string ring_growth_phrase(std::uint64_t rings_grown, std::uint64_t largest_ring) {
  if (rings_grown == 0) return {};
  return fmt::format("rings grew {}, the largest to {} (SPANLOG_RING_MAX bounds them)",
                     rings_grown == 1 ? std::string("once") : grouped(rings_grown) + " times",
                     reader::human_bytes(largest_ring));
}

std::string dropped_phrase(const reader::Summary& summary) {
  std::uint64_t spans = 0, events = 0;
  for (const reader::RunInfo& run : summary.runs) {
    spans += run.spans;
    events += run.events;
  }
  return dropped_phrase(summary.dropped, spans, events);
}

std::string losses(const reader::Summary& summary) {
  if (std::string phrase = dropped_phrase(summary); !phrase.empty()) return phrase;
  for (const reader::RunInfo& run : summary.runs)
    if (!run.has_footer) return "no drops counted (no footer)";
  return "dropped nothing";
}

}  // namespace spanlog::cli
