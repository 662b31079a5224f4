// Lines printed in time order although they are read out of it: the flusher writes one thread's records after
// another's, and a span's line when it ends. A line is held until what was read with or after it could no
// longer come before it (a line of the previous reading, or an earlier time), so memory holds about two
// readings' lines, never the run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spanlog::cli {

class TimeOrderedLines {
 public:
  void add(std::uint64_t ts, std::string text) { pending_.push_back({ts, next_++, round_, std::move(text)}); }

  // The lines read before the previous call, and the newer ones not later than the latest of those, in time
  // order (lines of one time in the order they were read); the rest wait for the next call.
  std::string take_settled() {
    std::optional<std::uint64_t> threshold;
    for (const Line& line : pending_)
      if (line.round < round_) threshold = std::max(threshold.value_or(0), line.ts);
    ++round_;
    if (!threshold) return {};
    return take_if([limit = *threshold](const Line& line) { return line.ts <= limit; });
  }
  // Every line held, in time order: the reading is over.
  std::string take_all() {
    ++round_;
    return take_if([](const Line&) { return true; });
  }
  bool empty() const { return pending_.empty(); }

 private:
  struct Line {
    std::uint64_t ts = 0, order = 0, round = 0;
    std::string text;
  };

  template <class Settled>
  std::string take_if(Settled settled) {
    const auto rest = std::stable_partition(pending_.begin(), pending_.end(), settled);
    std::sort(pending_.begin(), rest,
              [](const Line& a, const Line& b) { return a.ts != b.ts ? a.ts < b.ts : a.order < b.order; });
    std::string out;
    for (auto it = pending_.begin(); it != rest; ++it) out += it->text;
    pending_.erase(pending_.begin(), rest);
    return out;
  }

  std::vector<Line> pending_;
  std::uint64_t next_ = 0, round_ = 0;
};

}  // namespace spanlog::cli
