#include "reader/metric_list.hpp"

#include <algorithm>
#include <map>

namespace spanlog::reader {
namespace {

// The metric of `name` and `kind` in `metrics`, added when new.
ListedMetric& metric_entry(std::map<std::pair<std::string, MetricKind>, ListedMetric>& metrics,
                           const std::string& name, MetricKind kind, const Summary& summary) {
  auto [it, added] = metrics.try_emplace({name, kind});
  if (added) {
    it->second.name = name;
    it->second.kind = kind;
    const auto info = summary.metric_info.find(name);
    if (info != summary.metric_info.end()) it->second.info = &info->second;
  }
  return it->second;
}

}  // namespace

std::string_view metric_kind_name(MetricKind kind) {
  switch (kind) {
    case MetricKind::counter:
      return "counter";
    case MetricKind::gauge:
      return "gauge";
    default:
      return "histogram";
  }
}

std::vector<ListedMetric> list_metrics(const Summary& summary, bool vitals) {
  std::map<std::pair<std::string, MetricKind>, ListedMetric> metrics;
  auto wanted = [vitals](const std::string& name) { return is_vital(name) == vitals; };
  for (const auto& [name, counter] : summary.counters)
    if (wanted(name))
      metric_entry(metrics, name, MetricKind::counter, summary).series.push_back({{}, nullptr, &counter});
  for (const auto& [name, gauge] : summary.gauges)
    if (wanted(name))
      metric_entry(metrics, name, MetricKind::gauge, summary)
          .series.push_back({{}, nullptr, nullptr, &gauge});
  // Each map's series are in label-text order, the empty text first: after the unlabelled one above, the
  // order holds.
  for (const auto& [name, series] : summary.labelled_counters)
    if (wanted(name))
      for (const auto& [text, one] : series)
        metric_entry(metrics, name, MetricKind::counter, summary)
            .series.push_back({text, &one.labels, &one.stats});
  for (const auto& [name, series] : summary.labelled_gauges)
    if (wanted(name))
      for (const auto& [text, one] : series)
        metric_entry(metrics, name, MetricKind::gauge, summary)
            .series.push_back({text, &one.labels, nullptr, &one.stats});
  for (const auto& [name, series] : summary.histograms)
    if (wanted(name))
      for (const auto& [text, one] : series)
        metric_entry(metrics, name, MetricKind::histogram, summary)
            .series.push_back({text, text.empty() ? nullptr : &one.labels, nullptr, nullptr, &one.stats});
  std::vector<ListedMetric> listed;
  listed.reserve(metrics.size());
  for (auto& [key, metric] : metrics) listed.push_back(std::move(metric));
  return listed;
}

std::map<std::string, CounterStats> program_counter_totals(const Summary& summary) {
  std::map<std::string, CounterStats> totals;
  for (const auto& [name, counter] : summary.counters)
    if (!is_vital(name)) totals[name].merge(counter);
  for (const auto& [name, series] : summary.labelled_counters)
    if (!is_vital(name))
      for (const auto& [text, one] : series) totals[name].merge(one.stats);
  return totals;
}

}  // namespace spanlog::reader
