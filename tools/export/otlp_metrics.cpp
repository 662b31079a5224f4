// Every data point covers the whole run: startTimeUnixNano is the run's start, timeUnixNano its end (a
// gauge's is the time of its last value). Durations are in seconds ("unit":"s", as the semantic conventions
// use for durations), with the bounds the Prometheus exporter uses; bucketCounts are per bucket, not
// cumulative, as OTLP defines them.
#include "export/otlp_metrics.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "export/duration_buckets.hpp"
#include "export/otlp_json.hpp"
#include "export/output_buffer.hpp"
#include "export/span_series.hpp"
#include "reader/sorted_by_name.hpp"
#include "reader/units.hpp"

namespace spanlog::exporters {
namespace {

using reader::json_number;
using reader::json_string;

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

}  // namespace

OtlpMetricsReport write_otlp_metrics(const RunContext& context, const reader::Summary& summary,
                                     std::ostream& out) {
  OtlpMetricsReport report;
  const std::uint64_t start = context.start_ts;
  const std::uint64_t end = std::max(context.last_ts, start);
  std::vector<std::string> metrics;

  for (const auto* counter : reader::sorted_by_name(summary.counters)) {
    const reader::CounterStats& c = counter->second;
    const std::string value = c.integral ? fmt::format("\"asInt\":\"{}\"", c.integer_total)
                                         : "\"asDouble\":" + json_number(c.total);
    metrics.push_back(fmt::format(
        "{{\"name\":{},\"description\":\"spanlog counter: the sum of its "
        "additions\",\"sum\":{{\"dataPoints\":"
        "[{{\"startTimeUnixNano\":\"{}\",\"timeUnixNano\":\"{}\",{}}}],\"aggregationTemporality\":2,"
        "\"isMonotonic\":true}}}}",
        json_string(counter->first), start, end, value));
    ++report.data_points;
  }

  for (const auto* gauge : reader::sorted_by_name(summary.gauges)) {
    const reader::GaugeStats& g = gauge->second;
    if (!g.last) continue;  // its last value was not a finite number: OTLP/JSON has no way to say so
    metrics.push_back(fmt::format(
        "{{\"name\":{},\"description\":\"spanlog gauge: the last value set\",\"gauge\":{{\"dataPoints\":"
        "[{{\"timeUnixNano\":\"{}\",\"asDouble\":{}}}]}}}}",
        json_string(gauge->first), g.last_ts != 0 ? g.last_ts : end, json_number(*g.last)));
    ++report.data_points;
  }

  const std::vector<SpanSeries> series = span_series(summary);
  if (!series.empty()) {
    const auto bounds = duration_bounds_ns();
    std::string bounds_json;
    for (const std::uint64_t bound : bounds)
      bounds_json += (bounds_json.empty() ? "" : ",") + json_number(seconds(bound));
    std::string points;
    for (const SpanSeries& one : series) {
      const reader::Histogram& durations = *one.durations;
      const std::vector<std::uint64_t> at_most = cumulative_counts(durations, bounds);
      std::string bucket_counts;
      std::uint64_t below = 0;
      for (const std::uint64_t cumulative : at_most) {
        bucket_counts += fmt::format("{}\"{}\"", bucket_counts.empty() ? "" : ",", cumulative - below);
        below = cumulative;
      }
      bucket_counts += fmt::format(",\"{}\"", durations.count() - below);
      std::string attributes = "[";
      otlp::append_attribute(attributes, "span.name", *one.name);
      if (one.labels != nullptr)
        for (const reader::OwnedAttr& label : *one.labels) otlp::append_attribute(attributes, label);
      // The attribute OpenTelemetry's SDKs give the series past their cardinality limit.
      if (one.overflow) otlp::append_attribute(attributes, "otel.metric.overflow", true);
      points += fmt::format(
          "{}{{\"attributes\":{}],\"startTimeUnixNano\":\"{}\",\"timeUnixNano\":\"{}\",\"count\":\"{}\","
          "\"sum\":{},\"bucketCounts\":[{}],\"explicitBounds\":[{}],\"min\":{},\"max\":{}}}",
          points.empty() ? "" : ",", attributes, start, end, durations.count(),
          json_number(seconds(durations.sum())), bucket_counts, bounds_json,
          json_number(seconds(durations.min())), json_number(seconds(durations.max())));
      ++report.data_points;
    }
    metrics.push_back(
        "{\"name\":\"spanlog.span.duration\",\"description\":\"Durations of the run's spans, per span name\","
        "\"unit\":\"s\",\"histogram\":{\"dataPoints\":[" +
        points + "],\"aggregationTemporality\":2}}");
  }

  OutputBuffer buffer(out);
  buffer.format("{{\"resourceMetrics\":[{{\"resource\":{},\"scopeMetrics\":[{{\"scope\":{},\"metrics\":[",
                otlp::resource(context), otlp::scope(context));
  for (std::size_t i = 0; i < metrics.size(); ++i) buffer.format("{}{}", i == 0 ? "" : ",", metrics[i]);
  buffer.append("]}]}]}");
  buffer.end_line();
  buffer.flush();
  report.metrics = metrics.size();
  return report;
}

}  // namespace spanlog::exporters
