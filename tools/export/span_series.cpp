#include "export/span_series.hpp"

#include "reader/sorted_by_name.hpp"

namespace spanlog::exporters {

std::vector<SpanSeries> span_series(const reader::Summary& summary) {
  std::vector<SpanSeries> series;
  if (summary.label_keys.empty()) {
    for (const auto* span : reader::sorted_by_name(summary.spans))
      series.push_back(
          SpanSeries{&span->first, nullptr, false, &span->second.durations, span->second.errors});
    return series;
  }
  for (const auto* span : reader::sorted_by_name(summary.labelled_spans)) {
    for (const auto& [key, labelled] : span->second.series)
      series.push_back(SpanSeries{&span->first, &labelled.labels, false, &labelled.stats.durations,
                                  labelled.stats.errors});
    const reader::SpanSeriesStats& overflow = span->second.overflow;
    if (overflow.durations.count() > 0)
      series.push_back(SpanSeries{&span->first, nullptr, true, &overflow.durations, overflow.errors});
  }
  return series;
}

std::vector<std::pair<std::string, std::uint64_t>> overflowed_spans(const reader::Summary& summary) {
  std::vector<std::pair<std::string, std::uint64_t>> overflowed;
  for (const auto* span : reader::sorted_by_name(summary.labelled_spans))
    if (const std::uint64_t count = span->second.overflow.durations.count(); count > 0)
      overflowed.emplace_back(span->first, count);
  return overflowed;
}

}  // namespace spanlog::exporters
