// The alert rules of `spanlog check`, e.g. `p99(db.query) < 5ms`, `errors(*) == 0`, `dropped == 0`,
// `logs(error) == 0`.
//
//   rule     := subject OP value
//   subject  := FUNC "(" GLOB [selector] ")" | "dropped" | "open_spans" | "spans" | "events" |
//   "skipped_lines" selector := "{" KEY "=" value ("," KEY "=" value)* "}"   (reader/attr_selector.hpp): the
//   spans whose
//               attributes, or the metric series whose labels, have those values
//   FUNC     := count | errors | total | self | parallel | mean | p50 | p90 | p99 | max
//                                              (over the spans matching GLOB)
//             | error_rate                     (errors / count)
//             | counter                        (the sum over the series of the names matching GLOB)
//             | event                          (the sum over the names matching GLOB)
//             | gauge | gauge_min | gauge_max  (one gauge series, by its exact name and labels)
//             | histogram_count | histogram_sum | histogram_mean | histogram_p50 | histogram_p90 |
//               histogram_p99 | histogram_max  (the histogram series matching, merged; in their unit)
//             | logs                           (log lines of exactly the level named: trace, debug,
//                                              info, warn or error; not the levels above it)
//   OP       := "<" | "<=" | ">" | ">=" | "==" | "!="
//   value    := NUMBER [UNIT]     UNIT: ns, us, µs, ms, s for durations; % for error_rate
//
// Duration subjects compare in nanoseconds: a plain number is nanoseconds. Percentiles, mean and max over no
// span (or no histogram value) at all make the rule fail (a misspelt name must not pass silently), as does a
// gauge rule that names no series or several.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "reader/aggregator.hpp"
#include "reader/attr_selector.hpp"
#include "reader/summary.hpp"

namespace spanlog::reader {

class RuleSyntaxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Rule {
  enum class Op { less, less_equal, greater, greater_equal, equal, not_equal };
  std::string text;                      // as written
  std::string function;                  // e.g. "p99", "dropped"
  std::string argument;                  // the glob or name; empty for argument-less subjects
  std::optional<AttrSelector> selector;  // the attribute filters after the glob, `{http.route="/a"}`
  Op op = Op::less;
  double threshold = 0;  // in nanoseconds for durations, a fraction for error_rate
  bool is_duration = false;
};

struct RuleResult {
  bool passed = false;
  std::optional<double> actual;  // empty when there was nothing to measure
  std::string explanation;       // e.g. "p99 = 7.10 ms" or "no spans match 'db.query'"
};

// Throws RuleSyntaxError with a message saying what was expected where.
Rule parse_rule(std::string_view text);
// The spans the rules' attribute filters pick, for the aggregation to count (AggregateOptions::selections):
// a summary made without them cannot judge such a rule.
std::vector<SpanSelection> span_selections(const std::vector<Rule>& rules);
RuleResult evaluate(const Rule& rule, const Summary& summary);

}  // namespace spanlog::reader
