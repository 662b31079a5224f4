#include "cli/metric_tables.hpp"

#include <string>
#include <vector>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cli/losses.hpp"
#include "reader/metric_groups.hpp"
#include "reader/metric_list.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

using reader::human_number;
using reader::ListedMetric;
using reader::ListedSeries;
using reader::MetricKind;
using Align = Table::Align;

// An empty gauge value is one the recorder wrote as null: it was not finite.
std::string optional_number(const std::optional<double>& value) {
  return value ? human_number(*value) : "not finite";
}

// A metric's row, then its label sets as rows under it: `  {kind="input",model="m-large"}`. A metric of one
// series without labels is one row.
std::string row_name(const ListedMetric& metric, const ListedSeries& series) {
  return series.label_text.empty() ? metric.name : "  {" + series.label_text + "}";
}

bool header_row_needed(const ListedMetric& metric) {
  return !metric.series.empty() && !metric.series.front().label_text.empty();
}

void print_counters(const std::vector<ListedMetric>& metrics, double wall_s, const Console& console) {
  Table table({{"counter", Align::left}, {"total"}, {"rate/s"}, {"unit", Align::left}, {"", Align::left}});
  auto rate = [wall_s](double total) { return wall_s > 0 ? human_number(total / wall_s) : "-"; };
  for (const ListedMetric& metric : metrics) {
    if (metric.kind != MetricKind::counter) continue;
    if (header_row_needed(metric)) {
      // The metric's total over its series: a sum of counters is a counter.
      reader::CounterStats sum;
      for (const ListedSeries& series : metric.series) sum.merge(*series.counter);
      table.add_row({metric.name, human_number(sum.value()), rate(sum.value()), std::string(metric.unit()),
                     std::string(metric.description())});
    }
    for (const ListedSeries& series : metric.series) {
      const bool own_row = series.label_text.empty();
      table.add_row({row_name(metric, series), human_number(series.counter->value()),
                     rate(series.counter->value()), own_row ? std::string(metric.unit()) : "",
                     own_row ? std::string(metric.description()) : ""});
    }
  }
  if (!table.empty()) {
    console.print("\n");
    table.print(console);
  }
}

void print_gauges(const std::vector<ListedMetric>& metrics, const Console& console) {
  Table table({{"gauge", Align::left}, {"last"}, {"min"}, {"max"}, {"unit", Align::left}, {"", Align::left}});
  for (const ListedMetric& metric : metrics) {
    if (metric.kind != MetricKind::gauge) continue;
    if (header_row_needed(metric))
      table.add_row({metric.name, "", "", "", std::string(metric.unit()), std::string(metric.description())});
    for (const ListedSeries& series : metric.series) {
      const bool own_row = series.label_text.empty();
      const reader::GaugeStats& g = *series.gauge;
      table.add_row({row_name(metric, series), optional_number(g.last), optional_number(g.min),
                     optional_number(g.max), own_row ? std::string(metric.unit()) : "",
                     own_row ? std::string(metric.description()) : ""});
    }
  }
  if (!table.empty()) {
    console.print("\n");
    table.print(console);
  }
}

std::vector<std::string> histogram_figures(const reader::Histogram& h) {
  return {grouped(h.count()),
          human_number(static_cast<double>(h.sum())),
          human_number(static_cast<double>(h.percentile(0.5))),
          human_number(static_cast<double>(h.percentile(0.9))),
          human_number(static_cast<double>(h.percentile(0.99))),
          human_number(static_cast<double>(h.max()))};
}

void print_histograms(const std::vector<ListedMetric>& metrics, const Console& console) {
  Table table({{"histogram", Align::left},
               {"count"},
               {"sum"},
               {"p50"},
               {"p90"},
               {"p99"},
               {"max"},
               {"unit", Align::left},
               {"", Align::left}});
  for (const ListedMetric& metric : metrics) {
    if (metric.kind != MetricKind::histogram) continue;
    if (header_row_needed(metric)) {
      reader::Histogram all;
      for (const ListedSeries& series : metric.series) all.merge(*series.histogram);
      std::vector<std::string> cells = {metric.name};
      for (std::string& figure : histogram_figures(all)) cells.push_back(std::move(figure));
      cells.push_back(std::string(metric.unit()));
      cells.push_back(std::string(metric.description()));
      table.add_row(std::move(cells));
    }
    for (const ListedSeries& series : metric.series) {
      const bool own_row = series.label_text.empty();
      std::vector<std::string> cells = {row_name(metric, series)};
      for (std::string& figure : histogram_figures(*series.histogram)) cells.push_back(std::move(figure));
      cells.push_back(own_row ? std::string(metric.unit()) : "");
      cells.push_back(own_row ? std::string(metric.description()) : "");
      table.add_row(std::move(cells));
    }
  }
  if (!table.empty()) {
    console.print("\n");
    table.print(console);
    console.print("{}\n", console.dim("(histograms: percentiles and max to a bucket's width, within 1%)"));
  }
}

// A vital's value as its unit reads best: bytes, durations, fractions as percentages.
std::string vital_value(double value, std::string_view unit) {
  if (unit == "By") return reader::human_bytes(static_cast<std::uint64_t>(std::max(0.0, value)));
  if (unit == "ns") return reader::human_duration(value);
  if (unit == "s") return reader::human_duration(value * 1e9);
  if (unit == "1") return human_number(std::round(value * 1000) / 10) + "%";
  return human_number(value);
}

std::string vital_value(const std::optional<double>& value, std::string_view unit) {
  return value ? vital_value(*value, unit) : "not finite";
}

}  // namespace

void print_metric_tables(const reader::Summary& summary, const Console& console) {
  const std::vector<ListedMetric> metrics = reader::list_metrics(summary, false);
  print_counters(metrics, static_cast<double>(summary.wall_ns()) / 1e9, console);
  print_gauges(metrics, console);
  print_histograms(metrics, console);
  if (summary.metric_overflow > 0)
    console.print("{}\n",
                  console.yellow(fmt::format("{} metric values past a metric's label-set limit went to its "
                                             "{{otel.metric.overflow=true}} series",
                                             grouped(summary.metric_overflow))));
}

void print_vitals(const reader::Summary& summary, const Console& console) {
  const std::vector<ListedMetric> vitals = reader::list_metrics(summary, true);
  if (vitals.empty()) return;
  console.print("\n");
  Table table({{"vital", Align::left}, {"total/last"}, {"min"}, {"max"}});
  for (const ListedMetric& metric : vitals) {
    for (const ListedSeries& series : metric.series) {
      const std::string name =
          series.label_text.empty() ? metric.name : metric.name + "{" + series.label_text + "}";
      if (series.counter != nullptr)
        table.add_row({name, vital_value(series.counter->value(), metric.unit()), "", ""});
      else if (series.gauge != nullptr)
        table.add_row({name, vital_value(series.gauge->last, metric.unit()),
                       vital_value(series.gauge->min, metric.unit()),
                       vital_value(series.gauge->max, metric.unit())});
    }
  }
  table.print(console);
}

void print_metrics_by_label(const reader::Summary& summary, std::string_view label, const Console& console) {
  const reader::MetricGroups groups = reader::group_metrics_by_label(summary, label);
  if (groups.by_value.empty()) return;
  console.print("\n");
  Table table({{std::string(label), Align::left},
               {"metric", Align::left},
               {"total/last"},
               {"count"},
               {"p50"},
               {"p99"},
               {"max"}});
  for (const auto& [value, group] : groups.by_value) {
    for (const auto& [name, counter] : group.counters)
      table.add_row({value, name, human_number(counter.value()), "", "", "", ""});
    for (const auto& [name, gauge] : group.gauges)
      table.add_row({value, name, optional_number(gauge.last), "", "", "", optional_number(gauge.max)});
    for (const auto& [name, h] : group.histograms)
      table.add_row({value, name, "", grouped(h.count()),
                     human_number(static_cast<double>(h.percentile(0.5))),
                     human_number(static_cast<double>(h.percentile(0.99))),
                     human_number(static_cast<double>(h.max()))});
  }
  table.print(console);
  if (!groups.without_label.empty())
    console.print("{}\n", console.dim(fmt::format("(metrics without label '{}': {})", label,
                                                  fmt::join(groups.without_label, ", "))));
}

}  // namespace spanlog::cli
