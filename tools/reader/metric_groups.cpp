#include "reader/metric_groups.hpp"

#include <algorithm>

namespace spanlog::reader {
namespace {

template <class Stats, class Combine>
void group_series(const StringMap<SeriesByLabels<Stats>>& metrics, std::string_view label,
                  MetricGroups& groups, std::map<std::string, Stats, std::less<>> MetricGroup::*member,
                  Combine combine) {
  for (const auto& [name, series] : metrics) {
    if (is_vital(name)) continue;
    for (const auto& [text, one] : series) {
      const OwnedAttr* value = find_label(one.labels, label);
      if (value == nullptr) {
        groups.without_label.push_back(series_name(name, text));
        continue;
      }
      combine((groups.by_value[label_value_text(*value)].*member)[name], one.stats);
    }
  }
}

}  // namespace

MetricGroups group_metrics_by_label(const Summary& summary, std::string_view label) {
  MetricGroups groups;
  group_series(summary.labelled_counters, label, groups, &MetricGroup::counters,
               [](CounterStats& into, const CounterStats& from) { into.merge(from); });
  group_series(summary.labelled_gauges, label, groups, &MetricGroup::gauges,
               [](GaugeStats& into, const GaugeStats& from) { into.merge(from); });
  group_series(summary.histograms, label, groups, &MetricGroup::histograms,
               [](Histogram& into, const Histogram& from) { into.merge(from); });
  // The metrics without any label are without this one too.
  for (const auto& [name, counter] : summary.counters)
    if (!is_vital(name)) groups.without_label.push_back(name);
  for (const auto& [name, gauge] : summary.gauges)
    if (!is_vital(name)) groups.without_label.push_back(name);
  std::sort(groups.without_label.begin(), groups.without_label.end());
  groups.without_label.erase(std::unique(groups.without_label.begin(), groups.without_label.end()),
                             groups.without_label.end());
  return groups;
}

}  // namespace spanlog::reader
