// A summary's metrics as every view lists them: one entry a metric, in name order, with its kind, its unit
// and description when declared, and its series (the one without labels first, then by label text). Counters
// and gauges without labels are kept apart from labelled ones in Summary (run_summary.json's shape): here
// they are one metric again. Pointers into the summary: valid while it is.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reader/summary.hpp"

namespace spanlog::reader {

enum class MetricKind { counter, gauge, histogram };
std::string_view metric_kind_name(MetricKind kind);  // "counter", "gauge", "histogram"

struct ListedSeries {
  std::string label_text;              // empty for the series without labels
  const OwnedAttrs* labels = nullptr;  // nullptr for the series without labels
  // The one of the metric's kind.
  const CounterStats* counter = nullptr;
  const GaugeStats* gauge = nullptr;
  const Histogram* histogram = nullptr;
};

struct ListedMetric {
  std::string name;
  MetricKind kind = MetricKind::counter;
  const MetricInfo* info = nullptr;  // nullptr when the run declared none
  std::vector<ListedSeries> series;
  std::string_view unit() const { return info ? std::string_view(info->unit) : std::string_view(); }
  std::string_view description() const {
    return info ? std::string_view(info->description) : std::string_view();
  }
};

// The program's metrics, or with `vitals` the recorder's own (`spanlog.*`, reader::is_vital).
std::vector<ListedMetric> list_metrics(const Summary& summary, bool vitals);

// Each of the program's counters over all its series, by name, as the recorder's run_summary.json totals
// them (`totals.counters`: no vitals); the summary's `counters` in JSON.
std::map<std::string, CounterStats> program_counter_totals(const Summary& summary);

}  // namespace spanlog::reader
