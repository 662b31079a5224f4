// Two summaries compared span name by span name: each statistic's value on both sides and its change, and
// which changes are regressions by the caller's threshold. It computes only; `spanlog diff` lays it out as a
// table or as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reader/summary.hpp"

namespace spanlog::reader {

struct DiffCriteria {
  std::vector<std::string> shown = {"count", "p50", "p99", "total"};  // statistics every name reports
  std::vector<std::string> gated = {"p50", "p99", "total"};  // those whose growth may be a regression
  std::optional<double> fail_above_percent;                  // none: nothing is a regression
  std::uint64_t min_count = 1;  // a name seen fewer times on either side is never a regression
};

struct StatisticChange {
  std::string statistic;
  double base = 0, candidate = 0;
  std::optional<double> percent;  // empty when the base is zero
  bool regression = false;
};

struct NameDiff {
  enum class Presence { both, only_base, only_new };
  std::string name;
  Presence presence = Presence::both;
  // Both sides: every shown and gated statistic, in name order. One side: the shown ones, as `candidate`
  // holding that side's value.
  std::vector<StatisticChange> changes;
  bool regression = false;

  const StatisticChange* change_of(const std::string& statistic) const;
};

struct SpanDiff {
  std::vector<NameDiff> names;  // the base's most expensive (by total) first: where a regression costs most
  std::size_t regressions = 0;
};

// Every statistic named in `criteria` must be one of span_statistics() (reader/span_statistic.hpp).
SpanDiff diff_spans(const Summary& base, const Summary& candidate, const DiffCriteria& criteria);

}  // namespace spanlog::reader
