#include "report/metric_snapshot.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reader/attrs_json.hpp"
#include "reader/metric_series.hpp"
#include "reader/units.hpp"

namespace spanlog::report {

using reader::json_number;
using reader::json_string;

void MetricSnapshotSink::on_header(const reader::HeaderRecord& r, std::uint64_t) {
  for (const reader::MetricInfoRecord& info : r.metrics) on_metric_info(info, 0);
}

void MetricSnapshotSink::on_metric_info(const reader::MetricInfoRecord& r, std::uint64_t) {
  info_[std::string(r.name)] = {std::string(r.unit), std::string(r.description)};
}

MetricSnapshotSink::Series& MetricSnapshotSink::series_of(
    std::map<std::string, SeriesByLabels, std::less<>>& metrics, std::string_view name,
    reader::Labels labels) {
  auto metric = metrics.find(name);
  if (metric == metrics.end()) metric = metrics.emplace(std::string(name), SeriesByLabels{}).first;
  auto [at, added] = metric->second.try_emplace(reader::label_text(labels));
  if (added) at->second.labels = reader::owned_labels(labels);
  return at->second;
}

void MetricSnapshotSink::on_counter(const reader::CounterRecord& r, std::uint64_t) {
  Series& s = series_of(counters_, r.name, r.labels);
  if (s.sums.empty()) s.sums.assign(buckets_.count, 0.0);
  const double delta = r.delta.is_integer ? static_cast<double>(r.delta.as_integer) : r.delta.as_double;
  s.sums[buckets_.index(r.ts)] += delta;
  s.size += delta;
  last_ts_ = std::max(last_ts_, r.ts);
}

void MetricSnapshotSink::on_gauge(const reader::GaugeRecord& r, std::uint64_t) {
  if (!r.value) return;
  Series& s = series_of(gauges_, r.name, r.labels);
  if (s.points.empty()) s.points.assign(buckets_.count, {});
  GaugePoint& slot = s.points[buckets_.index(r.ts)];
  // The bucket's newest value, and the largest the interval saw (a ring's peak fill, the worst lag).
  const double peak = std::max(*r.value, r.max.value_or(*r.value));
  const double bucket_peak = slot.set ? std::max(slot.max, peak) : peak;
  if (!slot.set || r.ts >= slot.ts) slot = {true, r.ts, *r.value, bucket_peak};
  slot.max = bucket_peak;
  s.size = std::max(s.size, peak);
  last_ts_ = std::max(last_ts_, r.ts);
}

void MetricSnapshotSink::on_histogram(const reader::HistogramRecord& r, std::uint64_t) {
  Series& s = series_of(histograms_, r.name, r.labels);
  for (const auto& bucket : r.buckets) s.histogram.add_bucket(bucket.lower_ns, bucket.count);
  s.histogram.add_sum(r.sum);
  s.histogram_ts = std::max(s.histogram_ts, r.ts);
  s.size = static_cast<double>(s.histogram.count());
  last_ts_ = std::max(last_ts_, r.ts);
}

std::int64_t MetricSnapshotSink::rel(std::uint64_t ts) const {
  return static_cast<std::int64_t>(ts) - static_cast<std::int64_t>(base_);
}

std::string MetricSnapshotSink::labels_json(const Series& s) const {
  return s.labels.empty() ? std::string() : ",\"labels\":" + reader::attrs_json(s.labels);
}

// The series the page draws: the largest first; among equals, in label order.
std::vector<const MetricSnapshotSink::Series*> MetricSnapshotSink::largest(
    const SeriesByLabels& series) const {
  std::vector<const Series*> ranked;
  for (const auto& [text, s] : series) ranked.push_back(&s);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Series* a, const Series* b) { return std::abs(a->size) > std::abs(b->size); });
  if (ranked.size() > max_series_) ranked.resize(max_series_);
  return ranked;
}

void MetricSnapshotSink::append_records(std::vector<std::string>& out) const {
  for (const auto& [name, info] : info_)
    out.push_back(
        fmt::format("{{\"event\":\"metric_info\",\"name\":{},\"ts\":0,\"unit\":{},\"description\":{}}}",
                    json_string(name), json_string(info.first), json_string(info.second)));
  for (const auto& [name, series] : counters_)
    for (const Series* s : largest(series))
      for (std::size_t i = 0; i < s->sums.size(); ++i)
        if (s->sums[i] != 0)
          out.push_back(fmt::format("{{\"event\":\"counter\",\"name\":{},\"ts\":{},\"delta\":{}{}}}",
                                    json_string(name), rel(buckets_.middle(i)), json_number(s->sums[i]),
                                    labels_json(*s)));
  for (const auto& [name, series] : gauges_)
    for (const Series* s : largest(series))
      for (const GaugePoint& p : s->points)
        if (p.set)
          out.push_back(fmt::format("{{\"event\":\"gauge\",\"name\":{},\"ts\":{},\"value\":{},\"max\":{}{}}}",
                                    json_string(name), rel(p.ts), json_number(p.value), json_number(p.max),
                                    labels_json(*s)));
  for (const auto& [name, series] : histograms_)
    for (const Series* s : largest(series)) {
      std::string buckets;
      for (const auto& b : s->histogram.buckets())
        buckets += fmt::format("{}[{},{}]", buckets.empty() ? "" : ",", b.lower, b.count);
      out.push_back(fmt::format(
          "{{\"event\":\"histogram\",\"name\":{},\"ts\":{},\"sum\":{},\"count\":{},\"buckets\":[{}]{}}}",
          json_string(name), rel(s->histogram_ts), s->histogram.sum(), s->histogram.count(), buckets,
          labels_json(*s)));
    }
}

std::string MetricSnapshotSink::series_left_out_json() const {
  std::string out;
  for (const auto* metrics : {&counters_, &gauges_, &histograms_})
    for (const auto& [name, series] : *metrics)
      if (series.size() > max_series_)
        out += fmt::format("{}{}:{}", out.empty() ? "" : ",", json_string(name), series.size() - max_series_);
  return "{" + out + "}";
}

}  // namespace spanlog::report
