// A summary's labelled metrics grouped by one label's value (`summary --by LABEL`): per value of the label,
// each metric's series that carry it, combined. What `--by` does to spans by attribute, done to metrics by
// label.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reader/histogram.hpp"
#include "reader/summary.hpp"

namespace spanlog::reader {

// One value of the label: by metric name, its series with that value combined (counters summed, gauges as
// GaugeStats::merge, histograms merged).
struct MetricGroup {
  std::map<std::string, CounterStats, std::less<>> counters;
  std::map<std::string, GaugeStats, std::less<>> gauges;
  std::map<std::string, Histogram, std::less<>> histograms;
};

struct MetricGroups {
  std::map<std::string, MetricGroup, std::less<>> by_value;  // by the label's value (label_value_text)
  // The series without the label, as series_name writes them, in name order: listed apart, in no group.
  std::vector<std::string> without_label;
};

// The vitals (`spanlog.*`) are the recorder's, not the program's: they are in no group.
MetricGroups group_metrics_by_label(const Summary& summary, std::string_view label);

}  // namespace spanlog::reader
