#include "reader/metric_rule_values.hpp"

#include "reader/metric_series.hpp"

namespace spanlog::reader {
namespace {

bool name_matches(std::string_view glob, std::string_view name) {
  if (is_vital(name) && glob.substr(0, 8) != "spanlog.") return false;
  return glob_match(glob, name);
}

// A series of a metric the glob matches, kept by the filter: without one, every series; with one, those
// whose labels have its values.
template <class Stats>
bool series_kept(const LabelledSeries<Stats>& series, const AttrSelector* filter) {
  return !filter || filter->matches(series.labels);
}

}  // namespace

CounterSum sum_counter_series(const Summary& summary, std::string_view glob, const AttrSelector* filter) {
  CounterSum sum;
  if (!filter)
    for (const auto& [name, counter] : summary.counters)
      if (name_matches(glob, name)) {
        sum.total += counter.value();
        ++sum.series;
      }
  for (const auto& [name, series_by_labels] : summary.labelled_counters) {
    if (!name_matches(glob, name)) continue;
    for (const auto& [text, series] : series_by_labels)
      if (series_kept(series, filter)) {
        sum.total += series.stats.value();
        ++sum.series;
      }
  }
  return sum;
}

GaugePick pick_gauge_series(const Summary& summary, std::string_view name, const AttrSelector* filter) {
  GaugePick pick;
  if (!filter)
    if (const auto plain = summary.gauges.find(name); plain != summary.gauges.end()) {
      pick.gauge = &plain->second;
      ++pick.matching;
    }
  if (const auto labelled = summary.labelled_gauges.find(name); labelled != summary.labelled_gauges.end())
    for (const auto& [text, series] : labelled->second)
      if (series_kept(series, filter)) {
        pick.gauge = &series.stats;
        ++pick.matching;
      }
  if (pick.matching != 1) pick.gauge = nullptr;
  return pick;
}

Histogram merge_histogram_series(const Summary& summary, std::string_view glob, const AttrSelector* filter) {
  Histogram merged;
  for (const auto& [name, series_by_labels] : summary.histograms) {
    if (!name_matches(glob, name)) continue;
    for (const auto& [text, series] : series_by_labels)
      if (series_kept(series, filter)) merged.merge(series.stats);
  }
  return merged;
}

}  // namespace spanlog::reader
