// The span-duration series the metric exporters write: one per span name or, with `--labels`, one per span
// name and combination of the labels' values (reader/labelled_spans.hpp bounds them), then a name's overflow
// series holding the spans of the combinations past the bound.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reader/summary.hpp"

namespace spanlog::exporters {

struct SpanSeries {
  const std::string* name = nullptr;           // the span name
  const reader::OwnedAttrs* labels = nullptr;  // the labels' values (a key the spans lack left out); none
  bool overflow = false;                       // the spans of the combinations past the bound
  const reader::Histogram* durations = nullptr;
  std::uint64_t errors = 0;
};

// By span name, each name's series in the order of their values' text, its overflow series last. Points into
// `summary`.
std::vector<SpanSeries> span_series(const reader::Summary& summary);

// Spans that went to overflow series, per span name (empty when none did): what a warning should say.
std::vector<std::pair<std::string, std::uint64_t>> overflowed_spans(const reader::Summary& summary);

}  // namespace spanlog::exporters
