#include "export/prometheus.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "export/duration_buckets.hpp"
#include "export/output_buffer.hpp"
#include "export/prometheus_units.hpp"
#include "export/span_series.hpp"
#include "reader/metric_list.hpp"
#include "reader/sorted_by_name.hpp"

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

// A series' labels as Prometheus label pairs, `k="v",...` (without braces): names sanitised like metric
// names (`otel.metric.overflow` -> `otel_metric_overflow`), the values of two keys that sanitise alike joined
// with ';' (as OpenTelemetry's exporters do), values escaped.
std::string label_pairs(const reader::OwnedAttrs* labels) {
  if (labels == nullptr) return {};
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const reader::OwnedAttr& label : *labels) {
    const std::string name = prometheus_label_name(label.key);
    const std::string value = reader::label_value_text(label);
    auto same = std::find_if(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == name; });
    if (same != pairs.end())
      same->second += ";" + value;
    else
      pairs.emplace_back(name, value);
  }
  std::sort(pairs.begin(), pairs.end());
  std::string text;
  for (const auto& [name, value] : pairs)
    text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", name, prometheus_label_value(value));
  return text;
}

std::string braces(const std::string& pairs) {
  return pairs.empty() ? std::string() : "{" + pairs + "}";
}

std::string joined(const std::string& pairs, const std::string& more) {
  return pairs.empty() ? more : pairs + "," + more;
}

// The bounds a metric histogram's buckets are counted under: 0, then the powers of two 1 to 2^40, in the
// recorded unit. A log bucket never straddles a power of two (each power of two is split into 64), so a
// bucket's count goes under the first bound at or above its largest value and every count is exact: the
// values counted at `le` are all at or below it. Values of 2^40 and more are under +Inf only.
constexpr std::size_t kPowerBounds = 42;

std::uint64_t power_bound(std::size_t index) {
  return index == 0 ? 0 : std::uint64_t{1} << (index - 1);
}

// The index of the first bound at or above `largest`; kPowerBounds when none is.
std::size_t power_bound_index(std::uint64_t largest) {
  if (largest == 0) return 0;
  const unsigned exponent = largest == 1 ? 0 : 64 - static_cast<unsigned>(std::countl_zero(largest - 1));
  return exponent <= 40 ? exponent + 1 : kPowerBounds;
}

// A metric's family: its name from the metric's name, unit suffix and kind; HELP from its description.
template <class Family>
void write_metric(const reader::ListedMetric& metric, FamilyNames& names, const Family& family,
                  OutputBuffer& buffer, PrometheusReport& report) {
  const bool counter = metric.kind == reader::MetricKind::counter;
  const bool gauge = metric.kind == reader::MetricKind::gauge;
  const PrometheusUnit unit = prometheus_unit(metric.unit(), gauge);
  // The vitals are already named under `spanlog.`: the family prefix is not doubled.
  std::string base = prometheus_name(
      reader::is_vital(metric.name) ? metric.name.substr(std::string_view("spanlog.").size()) : metric.name);
  if (counter && ends_with(base, "_total")) base.resize(base.size() - 6);  // never "_total_total"
  if (!unit.suffix.empty() && !ends_with(base, "_" + unit.suffix)) base += "_" + unit.suffix;
  // Suffixes that promtool reserves for counters and histograms.
  if (!counter)
    for (std::string_view reserved : {"_total", "_count", "_sum", "_bucket"})
      if (ends_with(base, reserved)) base += "_value";
  const std::string name = names.claim(metric.name, base, counter ? "_total" : "", report);
  const std::string_view kind = reader::metric_kind_name(metric.kind);
  std::string help =
      !metric.description().empty() ? std::string(metric.description())
      : counter ? fmt::format("spanlog counter \"{}\": the sum of its additions over the run.", metric.name)
      : gauge   ? fmt::format("spanlog gauge \"{}\": the last value set in the run.", metric.name)
                : fmt::format("spanlog histogram \"{}\": the values recorded in the run.", metric.name);
  if (!metric.unit().empty() && unit.scale != 1.0)
    help += fmt::format(" (recorded in {}, written in {})", metric.unit(), unit.suffix);
  family(name, kind, help);

  if (metric.kind != reader::MetricKind::histogram) {
    for (const reader::ListedSeries& series : metric.series) {
      const double value = counter ? series.counter->value() : series.gauge->last.value_or(std::nan(""));
      buffer.format("{}{} {}", name, braces(label_pairs(series.labels)), sample_value(value * unit.scale));
      buffer.end_line();
    }
    return;
  }
  // One set of bounds for the family, from the smallest to the largest any of its series needs.
  std::size_t first_bound = kPowerBounds, last_bound = 0;
  for (const reader::ListedSeries& series : metric.series)
    for (const reader::Histogram::BucketCount& bucket : series.histogram->buckets()) {
      const std::size_t index = power_bound_index(bucket.upper);
      if (index == kPowerBounds) continue;
      first_bound = std::min(first_bound, index);
      last_bound = std::max(last_bound, index);
    }
  for (const reader::ListedSeries& series : metric.series) {
    const std::string pairs = label_pairs(series.labels);
    std::vector<std::uint64_t> per_bound(kPowerBounds + 1, 0);
    for (const reader::Histogram::BucketCount& bucket : series.histogram->buckets())
      per_bound[power_bound_index(bucket.upper)] += bucket.count;
    std::uint64_t at_most = 0;
    for (std::size_t i = 0; i < first_bound; ++i) at_most += per_bound[i];
    for (std::size_t i = first_bound; i <= last_bound && first_bound < kPowerBounds; ++i) {
      at_most += per_bound[i];
      buffer.format("{}_bucket{{{}}} {}", name,
                    joined(pairs, fmt::format("le=\"{}\"", sample_value(static_cast<double>(power_bound(i)) *
                                                                        unit.scale))),
                    at_most);
      buffer.end_line();
    }
    const reader::Histogram& h = *series.histogram;
    buffer.format("{}_bucket{{{}}} {}", name, joined(pairs, "le=\"+Inf\""), h.count());
    buffer.end_line();
    buffer.format("{}_sum{} {}", name, braces(pairs),
                  sample_value(static_cast<double>(h.sum()) * unit.scale));
    buffer.end_line();
    buffer.format("{}_count{} {}", name, braces(pairs), h.count());
    buffer.end_line();
  }
}

// `name="http.request",http_route="GET /search"`: a span series' labels but `le`, its attributes' labels as
// a metric series' are written.
std::string series_labels(const SpanSeries& series) {
  const std::string pairs = label_pairs(series.labels);
  std::string labels = "name=\"" + prometheus_label_value(*series.name) + "\"";
  if (!pairs.empty()) labels += "," + pairs;
  if (series.overflow) labels += ",otel_metric_overflow=\"true\"";
  return labels;
}

}  // namespace

std::string prometheus_label_name(std::string_view key) {
  std::string out;
  for (const char c : key) {
    const bool name_char =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += name_char ? c : '_';
  }
  // A label name may not start with a digit, and names starting with "__" are Prometheus's own.
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(0, "_");
  if (out.rfind("__", 0) == 0) out.insert(0, "label");
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
  const auto family = [&](const std::string& name, std::string_view type, std::string_view help) {
    buffer.format("# HELP {} {}", name, help_text(help));
    buffer.end_line();
    buffer.format("# TYPE {} {}", name, type);
    buffer.end_line();
    ++report.families;
  };

  std::vector<reader::ListedMetric> metrics = reader::list_metrics(summary, false);
  for (reader::ListedMetric& vital : reader::list_metrics(summary, true)) metrics.push_back(std::move(vital));
  std::stable_sort(
      metrics.begin(), metrics.end(),
      [](const reader::ListedMetric& a, const reader::ListedMetric& b) { return a.name < b.name; });
  for (const reader::MetricKind kind :
       {reader::MetricKind::counter, reader::MetricKind::gauge, reader::MetricKind::histogram})
    for (const reader::ListedMetric& metric : metrics)
      if (metric.kind == kind) write_metric(metric, names, family, buffer, report);

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
