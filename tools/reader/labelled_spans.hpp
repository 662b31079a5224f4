// Span durations per span name and per combination of chosen attributes' values, for the exporters'
// `--labels`: bounded, so that an attribute of unbounded values (a user id) cannot make a series per span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "reader/histogram.hpp"
#include "reader/owned_attrs.hpp"

namespace spanlog::reader {

// Combinations a span name may have as series of their own; the spans of any further ones share one
// overflow series (OpenTelemetry's cardinality limit, `otel_metric_overflow="true"`, does the same).
constexpr std::size_t kMaxLabelledSeries = 100;

struct SpanSeriesStats {
  Histogram durations;
  std::uint64_t errors = 0;  // of the spans, those that ended in error
  void add(std::uint64_t dur_ns, bool error) {
    durations.add(dur_ns);
    if (error) ++errors;
  }
};

struct LabelledSpanSeries {
  OwnedAttrs labels;  // the values, in the order of the label keys; a key the spans lack is left out
  SpanSeriesStats stats;
};

struct LabelledSpans {
  std::map<std::string, LabelledSpanSeries> series;  // by the values' text (reader/span_dimensions.hpp)
  SpanSeriesStats overflow;                          // spans of the combinations past kMaxLabelledSeries

  // The series of these values, or the overflow series once kMaxLabelledSeries others exist.
  SpanSeriesStats& series_of(const std::string& key, const OwnedAttrs& labels);
};

}  // namespace spanlog::reader
