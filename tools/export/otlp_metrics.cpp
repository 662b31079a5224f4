// Every data point covers the whole run: startTimeUnixNano is the run's start, timeUnixNano its end (a
// gauge's is the time of its last value). Durations are in seconds ("unit":"s", as the semantic conventions
// use for durations), with the bounds the Prometheus exporter uses; bucketCounts are per bucket, not
// cumulative, as OTLP defines them. A metric's values keep the unit it was recorded in (OTLP carries UCUM
// units as they are); its labels are the data point's attributes.
//
// Metric histograms (schema 1.7) are ExponentialHistograms of scale 6: 64 buckets per power of two, as the
// recorder's, but geometric where the recorder's are linear within a power of two, so the edges do not
// coincide. Each recorded bucket goes whole into the exponential bucket of its midpoint (index
// ceil(64 * log2(midpoint)) - 1; the midpoint of a bucket below 128 is its one value), and zeros into
// zeroCount. A recorded value is within 1/128 (0.78%) of its bucket's midpoint, and the exponential bucket
// is 2^(1/64) - 1 (1.09%) wide, so the middle of the exponential bucket a value is counted in is within 1.4%
// of it. min and max are the edges of the lowest and highest recorded buckets.
#include "export/otlp_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "export/duration_buckets.hpp"
#include "export/otlp_json.hpp"
#include "export/output_buffer.hpp"
#include "export/span_series.hpp"
#include "reader/metric_list.hpp"
#include "reader/sorted_by_name.hpp"
#include "reader/units.hpp"

namespace spanlog::exporters {
namespace {

using reader::json_number;
using reader::json_string;

// 2^6 buckets per power of two: the recorder's resolution (docs/format.md, `histogram`).
constexpr int kExponentialScale = 6;

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

// `"attributes":[...],` from a series' labels; nothing for the series without labels.
std::string attributes_of(const reader::ListedSeries& series) {
  if (series.labels == nullptr || series.labels->empty()) return {};
  std::string attributes = "[";
  for (const reader::OwnedAttr& label : *series.labels) otlp::append_attribute(attributes, label);
  return "\"attributes\":" + attributes + "],";
}

// An exponential histogram data point's buckets at scale 6 (see the top of the file): zeroCount, then the
// positive range's offset and per-index counts.
std::string exponential_buckets(const reader::Histogram& histogram) {
  std::uint64_t zeros = 0;
  std::map<std::int64_t, std::uint64_t> by_index;
  for (const reader::Histogram::BucketCount& bucket : histogram.buckets()) {
    if (bucket.upper == 0) {
      zeros += bucket.count;
      continue;
    }
    const double midpoint =
        bucket.lower == bucket.upper
            ? static_cast<double>(bucket.lower)
            : (static_cast<double>(bucket.lower) + static_cast<double>(bucket.upper) + 1.0) / 2.0;
    by_index[static_cast<std::int64_t>(std::ceil(std::log2(midpoint) * 64.0)) - 1] += bucket.count;
  }
  std::string text = fmt::format("\"scale\":{},\"zeroCount\":\"{}\"", kExponentialScale, zeros);
  if (by_index.empty()) return text;
  const std::int64_t offset = by_index.begin()->first, last = by_index.rbegin()->first;
  std::string counts;
  for (std::int64_t index = offset; index <= last; ++index) {
    const auto it = by_index.find(index);
    counts += fmt::format("{}\"{}\"", index == offset ? "" : ",", it == by_index.end() ? 0 : it->second);
  }
  return text + fmt::format(",\"positive\":{{\"offset\":{},\"bucketCounts\":[{}]}}", offset, counts);
}

// A metric's data points, one per series, appended to `points`; returns how many.
std::uint64_t metric_points(const reader::ListedMetric& metric, std::uint64_t start, std::uint64_t end,
                            std::string& points) {
  std::uint64_t written = 0;
  for (const reader::ListedSeries& series : metric.series) {
    std::string point;
    if (series.counter != nullptr) {
      const reader::CounterStats& c = *series.counter;
      const std::string value = c.integral ? fmt::format("\"asInt\":\"{}\"", c.integer_total)
                                           : "\"asDouble\":" + json_number(c.total);
      point = fmt::format("{{{}\"startTimeUnixNano\":\"{}\",\"timeUnixNano\":\"{}\",{}}}",
                          attributes_of(series), start, end, value);
    } else if (series.gauge != nullptr) {
      const reader::GaugeStats& g = *series.gauge;
      if (!g.last) continue;  // its last value was not a finite number: OTLP/JSON has no way to say so
      point = fmt::format("{{{}\"timeUnixNano\":\"{}\",\"asDouble\":{}}}", attributes_of(series),
                          g.last_ts != 0 ? g.last_ts : end, json_number(*g.last));
    } else {
      const reader::Histogram& h = *series.histogram;
      point = fmt::format(
          "{{{}\"startTimeUnixNano\":\"{}\",\"timeUnixNano\":\"{}\",\"count\":\"{}\",\"sum\":{},{},\"min\":{}"
          ","
          "\"max\":{}}}",
          attributes_of(series), start, end, h.count(), json_number(static_cast<double>(h.sum())),
          exponential_buckets(h), json_number(static_cast<double>(h.min())),
          json_number(static_cast<double>(h.max())));
    }
    points += (points.empty() ? "" : ",") + point;
    ++written;
  }
  return written;
}

}  // namespace

OtlpMetricsReport write_otlp_metrics(const RunContext& context, const reader::Summary& summary,
                                     std::ostream& out) {
  OtlpMetricsReport report;
  const std::uint64_t start = context.start_ts;
  const std::uint64_t end = std::max(context.last_ts, start);
  std::vector<std::string> metrics;

  std::vector<reader::ListedMetric> listed = reader::list_metrics(summary, false);
  for (reader::ListedMetric& vital : reader::list_metrics(summary, true)) listed.push_back(std::move(vital));
  for (const reader::ListedMetric& metric : listed) {
    std::string points;
    const std::uint64_t written = metric_points(metric, start, end, points);
    if (written == 0) continue;
    report.data_points += written;
    std::string description(metric.description());
    if (description.empty())
      description = metric.kind == reader::MetricKind::counter ? "spanlog counter: the sum of its additions"
                    : metric.kind == reader::MetricKind::gauge ? "spanlog gauge: the last value set"
                                                               : "spanlog histogram: the values recorded";
    const std::string_view data = metric.kind == reader::MetricKind::counter ? "sum"
                                  : metric.kind == reader::MetricKind::gauge ? "gauge"
                                                                             : "exponentialHistogram";
    const std::string_view temporality =
        metric.kind == reader::MetricKind::counter     ? ",\"aggregationTemporality\":2,\"isMonotonic\":true"
        : metric.kind == reader::MetricKind::histogram ? ",\"aggregationTemporality\":2"
                                                       : "";
    metrics.push_back(fmt::format("{{\"name\":{},\"description\":{},{}\"{}\":{{\"dataPoints\":[{}]{}}}}}",
                                  json_string(metric.name), json_string(description),
                                  metric.unit().empty() ? "" : "\"unit\":" + json_string(metric.unit()) + ",",
                                  data, points, temporality));
  }

  const std::vector<SpanSeries> series = span_series(summary);
  if (!series.empty()) {
    const auto bounds = duration_bounds_ns();
    std::string bounds_json;
    for (const std::uint64_t bound : bounds)
      bounds_json += (bounds_json.empty() ? "" : ",") + json_number(seconds(bound));
    std::string points, error_points;
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
      error_points += fmt::format(
          "{}{{\"attributes\":{}],\"startTimeUnixNano\":\"{}\",\"timeUnixNano\":\"{}\",\"asInt\":\"{}\"}}",
          error_points.empty() ? "" : ",", attributes, start, end, one.errors);
      report.data_points += 2;
    }
    metrics.push_back(
        "{\"name\":\"spanlog.span.duration\",\"description\":\"Durations of the run's spans, per span name\","
        "\"unit\":\"s\",\"histogram\":{\"dataPoints\":[" +
        points + "],\"aggregationTemporality\":2}}");
    // Beside the durations, with the same attributes: a series' error rate is its errors over its count.
    metrics.push_back(
        "{\"name\":\"spanlog.span.errors\",\"description\":\"Spans that ended in error, per series of "
        "spanlog.span.duration\",\"unit\":\"{span}\",\"sum\":{\"dataPoints\":[" +
        error_points + "],\"aggregationTemporality\":2,\"isMonotonic\":true}}");
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
