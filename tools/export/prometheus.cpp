#include "export/prometheus.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "export/duration_buckets.hpp"
#include "export/output_buffer.hpp"
#include "export/span_series.hpp"
#include "reader/sorted_by_name.hpp"
#include "reader/span_dimensions.hpp"

namespace spanlog::exporters {
namespace {

constexpr std::string_view kDurationFamily = "spanlog_span_duration_seconds";
constexpr std::string_view kErrorsFamily = "spanlog_span_errors_total";

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// HELP text escapes backslash and newline only.
std::string help_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// A sample value: integers exactly, others in the shortest form that reads back, and Prometheus's spellings
// of infinities and NaN.
std::string sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9e15) return fmt::format("{:.0f}", value);
  return fmt::format("{}", value);
}

// Family names already written; a second name that sanitises to the same family gets a numbered one.
class FamilyNames {
 public:
  FamilyNames() {
    used_.insert(std::string(kDurationFamily));
    used_.insert(std::string(kErrorsFamily));
  }

  std::string claim(std::string_view original, std::string base, std::string_view suffix,
                    PrometheusReport& report) {
    std::string name = base + std::string(suffix);
    for (int n = 2; !used_.insert(name).second; ++n) name = fmt::format("{}_{}{}", base, n, suffix);
    if (name != base + std::string(suffix)) report.renamed.push_back(fmt::format("{} -> {}", original, name));
    return name;
  }

 private:
  std::set<std::string> used_;
};

// `name="http.request",http_route="GET /search"`: a series' labels but `le`.
std::string series_labels(const SpanSeries& series) {
  std::string labels = "name=\"" + prometheus_label_value(*series.name) + "\"";
  if (series.labels != nullptr)
    for (const reader::OwnedAttr& label : *series.labels)
      labels += fmt::format(",{}=\"{}\"", prometheus_label_name(label.key),
                            prometheus_label_value(reader::attr_text(label)));
  if (series.overflow) labels += ",otel_metric_overflow=\"true\"";
  return labels;
}

}  // namespace

std::string prometheus_label_name(std::string_view key) {
  std::string out;
  for (const char c : key) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += word ? c : '_';
  }
  if (out.empty() || (out.front() >= '0' && out.front() <= '9')) out.insert(out.begin(), '_');
  return out;
}

std::string prometheus_name(std::string_view name) {
  std::string out = "spanlog_";
  char previous = '_';
  for (const char c : name) {
    const bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z', digit = c >= '0' && c <= '9';
    if (upper && ((previous >= 'a' && previous <= 'z') || (previous >= '0' && previous <= '9'))) out += '_';
    out += upper ? static_cast<char>(c - 'A' + 'a') : (lower || digit || c == '_') ? c : '_';
    previous = c;
  }
  return out;
}

std::string prometheus_label_value(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

PrometheusReport write_prometheus(const reader::Summary& summary, std::ostream& out) {
  OutputBuffer buffer(out);
  PrometheusReport report;
  FamilyNames names;
  const auto family = [&](const std::string& name, std::string_view type, const std::string& help) {
    buffer.format("# HELP {} {}", name, help_text(help));
    buffer.end_line();
    buffer.format("# TYPE {} {}", name, type);
    buffer.end_line();
    ++report.families;
  };

  for (const auto* counter : reader::sorted_by_name(summary.counters)) {
    std::string base = prometheus_name(counter->first);
    if (ends_with(base, "_total")) base.resize(base.size() - 6);  // never "_total_total"
    const std::string name = names.claim(counter->first, base, "_total", report);
    family(name, "counter",
           fmt::format("spanlog counter \"{}\": the sum of its additions over the run.", counter->first));
    buffer.format("{} {}", name, sample_value(counter->second.value()));
    buffer.end_line();
  }

  for (const auto* gauge : reader::sorted_by_name(summary.gauges)) {
    std::string base = prometheus_name(gauge->first);
    // Suffixes that promtool reserves for counters and histograms.
    for (std::string_view reserved : {"_total", "_count", "_sum", "_bucket"})
      if (ends_with(base, reserved)) base += "_value";
    const std::string name = names.claim(gauge->first, base, "", report);
    family(name, "gauge", fmt::format("spanlog gauge \"{}\": the last value set in the run.", gauge->first));
    buffer.format("{} {}", name, sample_value(gauge->second.last.value_or(std::nan(""))));
    buffer.end_line();
  }

  const std::vector<SpanSeries> series = span_series(summary);
  if (!series.empty()) {
    const std::string name(kDurationFamily);
    family(name, "histogram",
           summary.label_keys.empty() ? std::string("Durations of the run's spans, per span name.")
                                      : fmt::format("Durations of the run's spans, per span name and {}.",
                                                    fmt::join(summary.label_keys, ", ")));
    const auto bounds = duration_bounds_ns();
    for (const SpanSeries& one : series) {
      const std::string labels = series_labels(one);
      const reader::Histogram& durations = *one.durations;
      const std::vector<std::uint64_t> at_most = cumulative_counts(durations, bounds);
      for (std::size_t i = 0; i < bounds.size(); ++i) {
        buffer.format("{}_bucket{{{},le=\"{}\"}} {}", name, labels, seconds_text(bounds[i]), at_most[i]);
        buffer.end_line();
      }
      buffer.format("{}_bucket{{{},le=\"+Inf\"}} {}", name, labels, durations.count());
      buffer.end_line();
      buffer.format("{}_sum{{{}}} {}", name, labels, seconds_text(durations.sum()));
      buffer.end_line();
      buffer.format("{}_count{{{}}} {}", name, labels, durations.count());
      buffer.end_line();
    }
    // Beside the durations, with the same labels: a span's error rate is errors over the histogram's count.
    const std::string errors(kErrorsFamily);
    family(errors, "counter", "Spans that ended in error, per series of spanlog_span_duration_seconds.");
    for (const SpanSeries& one : series) {
      buffer.format("{}{{{}}} {}", errors, series_labels(one), one.errors);
      buffer.end_line();
    }
  }
  buffer.flush();
  return report;
}

std::string prometheus_text(const reader::Summary& summary) {
  std::ostringstream text;
  write_prometheus(summary, text);
  return text.str();
}

}  // namespace spanlog::exporters
