#include "cli/span_labels.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "cli/usage_error.hpp"
#include "export/prometheus.hpp"
#include "export/span_series.hpp"
#include "reader/labelled_spans.hpp"
#include "reader/span_dimensions.hpp"

namespace spanlog::cli {

std::vector<std::string> span_label_keys(const std::string& option) {
  const std::vector<std::string> keys = reader::attribute_list(option);
  if (keys.empty())
    throw UsageError(fmt::format("--labels '{}': expected attribute names, comma-separated", option));
  static constexpr std::array<std::string_view, 4> kOwn = {"name", "le", "otel_metric_overflow", "span_name"};
  std::vector<std::string> label_names;
  for (const std::string& key : keys) {
    const std::string label = exporters::prometheus_label_name(key);
    if (std::find(kOwn.begin(), kOwn.end(), label) != kOwn.end() || label.rfind("__", 0) == 0)
      throw UsageError(fmt::format(
          "--labels {}: '{}' would clash with a label the exporters write themselves", option, key));
    if (std::find(label_names.begin(), label_names.end(), label) != label_names.end())
      throw UsageError(fmt::format("--labels {}: two attributes become the label '{}'", option, label));
    label_names.push_back(label);
  }
  return keys;
}

void warn_about_label_overflow(const reader::Summary& summary, const Console& console) {
  for (const auto& [name, spans] : exporters::overflowed_spans(summary))
    console.warning(
        "{} spans of {} had label values past its first {} combinations: they are in one series labelled "
        "otel_metric_overflow=\"true\"",
        spans, name, reader::kMaxLabelledSeries);
}

}  // namespace spanlog::cli
