#include "reader/labelled_spans.hpp"

namespace spanlog::reader {

SpanSeriesStats& LabelledSpans::series_of(const std::string& key, const OwnedAttrs& labels) {
  if (const auto it = series.find(key); it != series.end()) return it->second.stats;
  if (series.size() >= kMaxLabelledSeries) return overflow;
  return series.emplace(key, LabelledSpanSeries{labels, {}}).first->second.stats;
}

}  // namespace spanlog::reader
