// The statistics of a span name that commands sort by (`summary --sort`), compare (`diff --metric`) and check
// (`check` rules): one table from a word to its value and its kind, so that each word means the same in all.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "reader/summary.hpp"

namespace spanlog::reader {

struct SpanStatistic {
  enum class Kind {
    count,     // a number of spans
    duration,  // nanoseconds
    ratio,     // a fraction of the spans
  };
  std::string_view name;
  Kind kind;
  bool needs_spans;  // undefined for a name with no spans (a mean, a percentile), unlike a count or a total
  double (*value)(const SpanStats&);
};

// count, errors, error_rate, subtree_errors, subtree_error_rate, total, self, parallel, mean, p50, p90, p99,
// max.
std::span<const SpanStatistic> span_statistics();
// nullptr for a word that names none.
const SpanStatistic* find_span_statistic(std::string_view name);
// "count, errors, ..., p99 or max": for an error message that says what would have been understood.
std::string span_statistic_names();

}  // namespace spanlog::reader
