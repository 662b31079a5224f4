// A run's metrics in the Prometheus text exposition format 0.0.4, for a scrape (a static file server, the
// node_exporter textfile collector) or a push to a Pushgateway: counters as `spanlog_<name>_total`, gauges as
// `spanlog_<name>` with their last value, histograms as classic histograms, each series with its labels and
// each name with its unit's suffix (`_seconds`, `_bytes`: docs/exporters.md), and span durations as one
// histogram, `spanlog_span_duration_seconds`, with a `name` label per span name (and, with --labels, one per
// chosen attribute: reader/labelled_spans.hpp bounds the series), and beside it `spanlog_span_errors_total`,
// the spans of each series that ended in error. Every family has HELP and TYPE lines so that `promtool check
// metrics` finds nothing to lint, as long as the names themselves carry no unit abbreviation (`latency_ms`).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "reader/summary.hpp"

namespace spanlog::exporters {

struct PrometheusReport {
  std::size_t families = 0;
  std::vector<std::string> renamed;  // "a.b -> spanlog_a_b_2_total": names that collided once sanitised
};

PrometheusReport write_prometheus(const reader::Summary& summary, std::ostream& out);
// The same text as a string: what a live /metrics endpoint answers.
std::string prometheus_text(const reader::Summary& summary);

// `spanlog_` and the name with every character outside [a-z0-9_] replaced by '_', camelCase split into
// snake_case and capitals lowered (promtool's lint asks for snake_case).
std::string prometheus_name(std::string_view name);
// A label name: every character outside [a-zA-Z0-9_] replaced by '_', a leading digit or "__" prefixed.
std::string prometheus_label_name(std::string_view key);
// A label value with backslash, double quote and newline escaped.
std::string prometheus_label_value(std::string_view value);

}  // namespace spanlog::exporters
