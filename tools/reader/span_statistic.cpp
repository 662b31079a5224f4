#include "reader/span_statistic.hpp"

#include <array>

namespace spanlog::reader {
namespace {

using Kind = SpanStatistic::Kind;

double as_double(std::uint64_t v) {
  return static_cast<double>(v);
}

constexpr std::array kStatistics = {
    SpanStatistic{"count", Kind::count, false,
                  [](const SpanStats& s) { return as_double(s.durations.count()); }},
    SpanStatistic{"errors", Kind::count, false, [](const SpanStats& s) { return as_double(s.errors); }},
    SpanStatistic{"error_rate", Kind::ratio, true,
                  [](const SpanStats& s) {
                    const std::uint64_t count = s.durations.count();
                    return count ? as_double(s.errors) / as_double(count) : 0.0;
                  }},
    // The span or a span below it in error: a request is failing when its `validate` child is.
    SpanStatistic{"subtree_errors", Kind::count, false,
                  [](const SpanStats& s) { return as_double(s.subtree_errors); }},
    SpanStatistic{"subtree_error_rate", Kind::ratio, true,
                  [](const SpanStats& s) {
                    const std::uint64_t count = s.durations.count();
                    return count ? as_double(s.subtree_errors) / as_double(count) : 0.0;
                  }},
    SpanStatistic{"total", Kind::duration, false,
                  [](const SpanStats& s) { return as_double(s.durations.sum()); }},
    SpanStatistic{"self", Kind::duration, false, [](const SpanStats& s) { return as_double(s.self_ns); }},
    SpanStatistic{"parallel", Kind::duration, false,
                  [](const SpanStats& s) { return as_double(s.parallel_ns); }},
    SpanStatistic{"mean", Kind::duration, true, [](const SpanStats& s) { return s.durations.mean(); }},
    SpanStatistic{"p50", Kind::duration, true,
                  [](const SpanStats& s) { return as_double(s.durations.percentile(0.5)); }},
    SpanStatistic{"p90", Kind::duration, true,
                  [](const SpanStats& s) { return as_double(s.durations.percentile(0.9)); }},
    SpanStatistic{"p99", Kind::duration, true,
                  [](const SpanStats& s) { return as_double(s.durations.percentile(0.99)); }},
    SpanStatistic{"max", Kind::duration, true,
                  [](const SpanStats& s) { return as_double(s.durations.max()); }},
};

}  // namespace

std::span<const SpanStatistic> span_statistics() {
  return kStatistics;
}

const SpanStatistic* find_span_statistic(std::string_view name) {
  for (const SpanStatistic& statistic : kStatistics)
    if (statistic.name == name) return &statistic;
  return nullptr;
}

std::string span_statistic_names() {
  std::string names;
  for (std::size_t i = 0; i < kStatistics.size(); ++i) {
    if (i) names += i + 1 == kStatistics.size() ? " or " : ", ";
    names += kStatistics[i].name;
  }
  return names;
}

}  // namespace spanlog::reader
