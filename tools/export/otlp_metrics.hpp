// A run's metrics as one OTLP/JSON MetricsData line (the Collector file exporter's form, read by its
// `otlpjsonfile` receiver): each counter as a cumulative monotonic sum over the run, each gauge's last value,
// each metric histogram as a cumulative ExponentialHistogram (scale 6), one data point per label set with the
// labels as attributes, units and descriptions as declared; and the span durations as one cumulative
// histogram per span name (with --labels, per span name and combination of the labels' values, as the data
// point's attributes), in seconds.
#pragma once

#include <cstdint>
#include <ostream>

#include "export/run_context.hpp"
#include "reader/summary.hpp"

namespace spanlog::exporters {

struct OtlpMetricsReport {
  std::uint64_t metrics = 0;
  std::uint64_t data_points = 0;
};

// `context` names the process (the resource); `summary` is the run's aggregation (reader::summarize).
OtlpMetricsReport write_otlp_metrics(const RunContext& context, const reader::Summary& summary,
                                     std::ostream& out);

}  // namespace spanlog::exporters
