#include "reader/span_diff.hpp"

#include <algorithm>
#include <set>

#include "reader/span_statistic.hpp"

namespace spanlog::reader {
namespace {

double value_of(const SpanStats& stats, const std::string& statistic) {
  return find_span_statistic(statistic)->value(stats);
}

std::vector<std::string> names_by_base_total(const Summary& base, const Summary& candidate) {
  std::vector<std::string> names;
  for (const auto& [name, stats] : base.spans) names.push_back(name);
  for (const auto& [name, stats] : candidate.spans)
    if (base.spans.count(name) == 0) names.push_back(name);
  auto total_of = [&](const std::string& name) {
    const auto it = base.spans.find(name);
    return it == base.spans.end() ? 0 : it->second.durations.sum();
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return total_of(a) != total_of(b) ? total_of(a) > total_of(b) : a < b;
  });
  return names;
}

NameDiff one_side(const std::string& name, const SpanStats& stats, NameDiff::Presence presence,
                  const DiffCriteria& criteria) {
  NameDiff diff{name, presence, {}, false};
  for (const auto& statistic : criteria.shown)
    diff.changes.push_back({statistic, 0, value_of(stats, statistic), std::nullopt, false});
  return diff;
}

NameDiff both_sides(const std::string& name, const SpanStats& base, const SpanStats& candidate,
                    const DiffCriteria& criteria) {
  NameDiff diff{name, NameDiff::Presence::both, {}, false};
  std::set<std::string> statistics(criteria.shown.begin(), criteria.shown.end());
  statistics.insert(criteria.gated.begin(), criteria.gated.end());
  const bool enough =
      base.durations.count() >= criteria.min_count && candidate.durations.count() >= criteria.min_count;
  for (const auto& statistic : statistics) {
    StatisticChange change{statistic, value_of(base, statistic), value_of(candidate, statistic), {}, false};
    if (change.base > 0) change.percent = (change.candidate - change.base) / change.base * 100.0;
    const bool gated =
        std::find(criteria.gated.begin(), criteria.gated.end(), statistic) != criteria.gated.end();
    change.regression = gated && enough && criteria.fail_above_percent && change.percent &&
                        *change.percent > *criteria.fail_above_percent;
    diff.regression = diff.regression || change.regression;
    diff.changes.push_back(change);
  }
  return diff;
}

}  // namespace

const StatisticChange* NameDiff::change_of(const std::string& statistic) const {
  for (const StatisticChange& change : changes)
    if (change.statistic == statistic) return &change;
  return nullptr;
}

SpanDiff diff_spans(const Summary& base, const Summary& candidate, const DiffCriteria& criteria) {
  SpanDiff result;
  for (const auto& name : names_by_base_total(base, candidate)) {
    const auto b = base.spans.find(name);
    const auto c = candidate.spans.find(name);
    if (b == base.spans.end())
      result.names.push_back(one_side(name, c->second, NameDiff::Presence::only_new, criteria));
    else if (c == candidate.spans.end())
      result.names.push_back(one_side(name, b->second, NameDiff::Presence::only_base, criteria));
    else
      result.names.push_back(both_sides(name, b->second, c->second, criteria));
    if (result.names.back().regression) ++result.regressions;
  }
  return result;
}

}  // namespace spanlog::reader
