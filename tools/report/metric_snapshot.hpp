// The metrics a report carries: each series of a counter or gauge (one label set, kept apart from the
// metric's other series) in time buckets, each histogram series merged over the whole run, and every metric's
// unit and description. A metric with more series than the page draws keeps its largest ones (a counter's
// total, a gauge's peak, a histogram's count, as the page ranks them) and counts the rest, so a run with
// thousands of label sets still makes a page of bounded size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reader/histogram.hpp"
#include "reader/owned_attrs.hpp"
#include "reader/records.hpp"
#include "report/time_buckets.hpp"

namespace spanlog::report {

class MetricSnapshotSink : public reader::RecordSink {
 public:
  // `base`: the time the page's timestamps are relative to.
  MetricSnapshotSink(TimeBuckets buckets, std::size_t max_series_per_metric, std::uint64_t base)
      : buckets_(buckets), max_series_(max_series_per_metric), base_(base) {}

  void on_header(const reader::HeaderRecord& r, std::uint64_t) override;
  void on_metric_info(const reader::MetricInfoRecord& r, std::uint64_t) override;
  void on_counter(const reader::CounterRecord& r, std::uint64_t) override;
  void on_gauge(const reader::GaugeRecord& r, std::uint64_t) override;
  void on_histogram(const reader::HistogramRecord& r, std::uint64_t) override;

  // The kept series as telemetry.jsonl records (times relative to `base`), metric_info lines first.
  void append_records(std::vector<std::string>& out) const;
  // {"name": series left out, ...} for the metrics that have more series than are kept.
  std::string series_left_out_json() const;
  std::uint64_t last_ts() const { return last_ts_; }

 private:
  struct GaugePoint {
    bool set = false;
    std::uint64_t ts = 0;
    double value = 0, max = 0;
  };
  struct Series {
    reader::OwnedAttrs labels;
    std::vector<double> sums;        // a counter's, per bucket
    std::vector<GaugePoint> points;  // a gauge's, per bucket
    reader::Histogram histogram;     // a histogram's, over the run
    std::uint64_t histogram_ts = 0;  // its newest line
    double size = 0;                 // what the series is ranked by
  };
  using SeriesByLabels = std::map<std::string, Series>;  // by label_text

  Series& series_of(std::map<std::string, SeriesByLabels, std::less<>>& metrics, std::string_view name,
                    reader::Labels labels);
  std::vector<const Series*> largest(const SeriesByLabels& series) const;
  std::int64_t rel(std::uint64_t ts) const;
  std::string labels_json(const Series& s) const;

  TimeBuckets buckets_;
  std::size_t max_series_;
  std::uint64_t base_;
  std::uint64_t last_ts_ = 0;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> info_;  // name -> unit, description
  std::map<std::string, SeriesByLabels, std::less<>> counters_, gauges_, histograms_;
};

}  // namespace spanlog::report
