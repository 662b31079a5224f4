// Labelled metric values (detail/metric_recorder.hpp), summed by the flusher per series (a metric's name and
// label set) over every thread for one flush interval, and written as one line per series that changed.
//
// A metric keeps at most `max_series` label sets for the whole run: the values of any further set go to its
// overflow series, labelled as OpenTelemetry labels it, and are counted. However the program's labels vary,
// the flusher's memory stays bounded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "../config.hpp"
#include "../detail/record.hpp"
#include "../detail/span_stats.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

constexpr std::string_view overflow_labels = "\"otel.metric.overflow\":true";

struct SeriesValues {
  SiteKind kind = SiteKind::counter_int;
  bool changed = false;
  std::int64_t int_sum = 0;  // an integer counter's delta
  double float_sum = 0;      // a floating-point counter's delta
  double last = 0, min = 0, max = 0;
  std::uint64_t count = 0;                       // gauge sets, histogram values
  std::uint64_t value_sum = 0;                   // a histogram's values
  std::map<std::size_t, std::uint64_t> buckets;  // a histogram's, by stats_bucket_of

  void add(std::uint64_t bits) {
    changed = true;
    switch (kind) {
      case SiteKind::counter_int:
        int_sum += static_cast<std::int64_t>(bits);
        break;
      case SiteKind::counter_float:
        float_sum += as_double(bits);
        break;
      case SiteKind::histogram:
        value_sum += bits;
        ++count;
        ++buckets[stats_bucket_of(bits)];
        break;
      default: {  // a gauge
        const double d = as_double(bits);
        if (count == 0 || d < min) min = d;
        if (count == 0 || d > max) max = d;
        last = d;
        ++count;
      }
    }
  }

  // What the next interval starts from; a series keeps its place once made.
  void reset() {
    changed = false;
    int_sum = 0;
    float_sum = 0;
    count = 0;
    value_sum = 0;
    buckets.clear();
  }

  static double as_double(std::uint64_t bits) {
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
};

struct Series {
  std::string name;
  std::string quoted_name;  // as a JSON string
  std::string labels;       // the members of its `labels` object, keys in order
  bool overflow = false;    // the metric's overflow series: every value in it is counted as overflowed
  SeriesValues values;
};

class LabelledSeries {
 public:
  explicit LabelledSeries(std::size_t max_series) : max_series_(max_series) {}

  // A value of the series `labels` (the members of a labels object, keys sorted) of the metric of site `s`.
  void add(const Site& s, const std::string& quoted_name, const std::string& labels, std::uint64_t bits) {
    key_.assign(quoted_name);
    key_ += '\x1f';
    key_ += labels;
    auto found = series_.find(key_);
    if (found == series_.end()) {
      std::size_t& count = series_per_metric_[quoted_name];
      if (count >= max_series_) {
        ++overflowed_;
        key_.resize(quoted_name.size() + 1);
        key_ += overflow_labels;
        found = series_.find(key_);
        if (found == series_.end()) found = make(s, quoted_name, std::string(overflow_labels));
      } else {
        ++count;
        found = make(s, quoted_name, labels);
      }
    } else if (found->second.overflow) {
      ++overflowed_;
    }
    found->second.values.add(bits);
  }

  // Calls write(series) for each series with values since the last call, then starts a new interval.
  template <class Write>
  void take_changed(Write&& write) {
    for (auto& entry : series_) {
      Series& series = entry.second;
      if (!series.values.changed) continue;
      write(series);
      series.values.reset();
    }
  }

  std::uint64_t overflowed() const { return overflowed_; }

 private:
  std::unordered_map<std::string, Series>::iterator make(const Site& s, const std::string& quoted_name,
                                                         std::string labels) {
    Series series{s.name, quoted_name, std::move(labels), false, {}};
    series.values.kind = s.kind;
    series.overflow = series.labels == overflow_labels;
    return series_.emplace(key_, std::move(series)).first;
  }

  const std::size_t max_series_;
  std::unordered_map<std::string, Series> series_;  // by name, 0x1f, labels
  std::unordered_map<std::string, std::size_t> series_per_metric_;
  std::uint64_t overflowed_ = 0;
  std::string key_;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
