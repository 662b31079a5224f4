// The summary's metric tables (schema 1.7): counters, gauges and histograms, each metric's label sets as rows
// under it; the vitals in a table of their own; with --by, the labelled metrics per value of the label.
#pragma once

#include <string_view>

#include "cli/console.hpp"
#include "reader/summary.hpp"

namespace spanlog::cli {

void print_metric_tables(const reader::Summary& summary, const Console& console);
void print_vitals(const reader::Summary& summary, const Console& console);
void print_metrics_by_label(const reader::Summary& summary, std::string_view label, const Console& console);

}  // namespace spanlog::cli
