// The exporters' `--labels http.route,http.status`: the attributes that label the span-duration series of
// `prom` and `otlp --metrics`, checked against the labels the exporters write themselves, and the warning
// when a span name had more combinations of their values than a series each (reader/labelled_spans.hpp).
#pragma once

#include <string>
#include <vector>

#include "cli/console.hpp"
#include "reader/summary.hpp"

namespace spanlog::cli {

// The attributes, comma-separated; throws UsageError for one that would clash with another label once a
// Prometheus label name (`http.route` and `http_route`) or with the exporters' own (name, le, span.name,
// otel_metric_overflow).
std::vector<std::string> span_label_keys(const std::string& option);

// "spanlog: warning: 37 spans of http.request had label values past the first 100 combinations: ...".
void warn_about_label_overflow(const reader::Summary& summary, const Console& console);

}  // namespace spanlog::cli
