#include "reader/rules.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "reader/metric_rule_values.hpp"
#include "reader/span_statistic.hpp"
#include "reader/units.hpp"

namespace spanlog::reader {
namespace {

enum class Family { spans_duration, spans_count, error_rate, counter, event, gauge, histogram, logs, scalar };

struct FunctionInfo {
  std::string_view name;
  Family family;
};

// The functions of a metric's name; a span name's functions are its statistics (reader/span_statistic.hpp).
constexpr std::array kMetricFunctions = {
    FunctionInfo{"counter", Family::counter},
    FunctionInfo{"event", Family::event},
    FunctionInfo{"gauge", Family::gauge},
    FunctionInfo{"gauge_min", Family::gauge},
    FunctionInfo{"gauge_max", Family::gauge},
    FunctionInfo{"logs", Family::logs},
    FunctionInfo{"histogram_count", Family::histogram},
    FunctionInfo{"histogram_sum", Family::histogram},
    FunctionInfo{"histogram_mean", Family::histogram},
    FunctionInfo{"histogram_p50", Family::histogram},
    FunctionInfo{"histogram_p90", Family::histogram},
    FunctionInfo{"histogram_p99", Family::histogram},
    FunctionInfo{"histogram_max", Family::histogram},
};
constexpr std::array<std::string_view, 5> kScalars = {"dropped", "open_spans", "spans", "events",
                                                      "skipped_lines"};

Family span_family(SpanStatistic::Kind kind) {
  switch (kind) {
    case SpanStatistic::Kind::count:
      return Family::spans_count;
    case SpanStatistic::Kind::duration:
      return Family::spans_duration;
    case SpanStatistic::Kind::ratio:
      return Family::error_rate;
  }
  return Family::spans_count;
}

std::optional<Family> family_of(std::string_view function) {
  if (const SpanStatistic* statistic = find_span_statistic(function)) return span_family(statistic->kind);
  for (const auto& f : kMetricFunctions)
    if (f.name == function) return f.family;
  for (const auto& s : kScalars)
    if (s == function) return Family::scalar;
  return std::nullopt;
}

// "count, errors, ..., max": the span functions, as the statistics table lists them.
std::string span_statistic_list() {
  std::string names;
  for (const SpanStatistic& statistic : span_statistics())
    names += (names.empty() ? "" : ", ") + std::string(statistic.name);
  return names;
}

bool is_span_family(Family family) {
  return family == Family::spans_count || family == Family::spans_duration || family == Family::error_rate;
}

// What attribute or label filters may follow the name: spans' attributes, metric series' labels.
bool takes_filters(Family family) {
  return is_span_family(family) || family == Family::counter || family == Family::gauge ||
         family == Family::histogram;
}

// histogram_p99 and the others: the figure of the merged histogram, empty for a figure of no value at all.
std::optional<double> histogram_figure(std::string_view function, const Histogram& h) {
  if (function == "histogram_count") return static_cast<double>(h.count());
  if (function == "histogram_sum") return static_cast<double>(h.sum());
  if (h.count() == 0) return std::nullopt;
  if (function == "histogram_mean") return h.mean();
  if (function == "histogram_max") return static_cast<double>(h.max());
  const double q = function == "histogram_p50" ? 0.5 : function == "histogram_p90" ? 0.9 : 0.99;
  return static_cast<double>(h.percentile(q));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool compare(double actual, Rule::Op op, double threshold) {
  switch (op) {
    case Rule::Op::less:
      return actual < threshold;
    case Rule::Op::less_equal:
      return actual <= threshold;
    case Rule::Op::greater:
      return actual > threshold;
    case Rule::Op::greater_equal:
      return actual >= threshold;
    case Rule::Op::equal:
      return actual == threshold;
    case Rule::Op::not_equal:
      return actual != threshold;
  }
  return false;
}

}  // namespace

Rule parse_rule(std::string_view text) {
  Rule rule;
  rule.text = std::string(trim(text));
  std::string_view rest = trim(text);
  auto fail = [&](const std::string& what) {
    throw RuleSyntaxError(fmt::format("rule '{}': {}", rule.text, what));
  };

  // subject
  std::size_t i = 0;
  while (i < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[i])) || rest[i] == '_')) ++i;
  rule.function = std::string(rest.substr(0, i));
  if (rule.function.empty()) fail("expected a function such as p99(NAME), or dropped, at the start");
  const auto family = family_of(rule.function);
  if (!family)
    fail(fmt::format(
        "unknown function '{}' (expected {}, counter, event, gauge, gauge_min, gauge_max, histogram_count, "
        "histogram_sum, histogram_mean, histogram_p50, histogram_p90, histogram_p99, histogram_max, logs, "
        "dropped, open_spans, spans, events or skipped_lines)",
        rule.function, span_statistic_list()));
  rest = trim(rest.substr(i));
  if (*family == Family::scalar) {
    if (!rest.empty() && rest.front() == '(') fail(fmt::format("'{}' takes no argument", rule.function));
  } else {
    if (rest.empty() || rest.front() != '(') fail(fmt::format("expected '(' after '{}'", rule.function));
    const std::size_t close = rest.find_first_of("{)");
    if (close == std::string_view::npos) fail("expected ')'");
    rule.argument = std::string(trim(rest.substr(1, close - 1)));
    if (*family == Family::logs && !log_level_named(rule.argument))
      fail(fmt::format("'logs' takes a level: trace, debug, info, warn or error, not '{}'", rule.argument));
    if (rule.argument.empty())
      fail(fmt::format("'{}' needs a span, counter or gauge name (or a glob)", rule.function));
    rest = rest.substr(close);
    if (rest.front() == '{') {
      if (!takes_filters(*family))
        fail(fmt::format("filters '{{...}}' select spans or metric series: '{}' takes none", rule.function));
      try {
        ParsedSelector parsed =
            parse_attr_selector(rest, static_cast<std::size_t>(rest.data() - trim(text).data()));
        rule.selector = std::move(parsed.selector);
        rest = trim(rest.substr(parsed.length));
      } catch (const AttrSelectorError& e) {
        fail(e.what());
      }
      if (rest.empty() || rest.front() != ')') fail("expected ')' after the attribute filters");
    }
    rest = trim(rest.substr(1));
  }

  // operator
  static constexpr std::array<std::pair<std::string_view, Rule::Op>, 6> kOps = {{
      {"<=", Rule::Op::less_equal},
      {">=", Rule::Op::greater_equal},
      {"==", Rule::Op::equal},
      {"!=", Rule::Op::not_equal},
      {"<", Rule::Op::less},
      {">", Rule::Op::greater},
  }};
  bool found_op = false;
  for (const auto& [symbol, op] : kOps) {
    if (rest.substr(0, symbol.size()) == symbol) {
      rule.op = op;
      rest = trim(rest.substr(symbol.size()));
      found_op = true;
      break;
    }
  }
  if (!found_op) fail("expected a comparison (<, <=, >, >=, ==, !=) after the subject");

  // value
  if (rest.empty()) fail("expected a number after the comparison");
  double number = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
  if (error != std::errc() || !std::isfinite(number)) fail(fmt::format("expected a number, got '{}'", rest));
  const std::string_view unit = trim(rest.substr(static_cast<std::size_t>(end - rest.data())));
  rule.is_duration = *family == Family::spans_duration;
  if (rule.is_duration) {
    if (unit.empty()) {
      rule.threshold = number;
    } else if (const auto ns = parse_duration(rest)) {
      rule.threshold = *ns;
    } else {
      fail(fmt::format("unknown unit '{}' (expected ns, us, µs, ms or s)", unit));
    }
  } else if (*family == Family::error_rate) {
    if (unit == "%")
      rule.threshold = number / 100.0;
    else if (unit.empty())
      rule.threshold = number;
    else
      fail(fmt::format("unknown unit '{}' for {} (expected % or a fraction)", unit, rule.function));
  } else {
    if (!unit.empty())
      fail(fmt::format("'{}' is a count, not a duration: drop the unit '{}'", rule.function, unit));
    rule.threshold = number;
  }
  return rule;
}

std::vector<SpanSelection> span_selections(const std::vector<Rule>& rules) {
  std::vector<SpanSelection> selections;
  for (const Rule& rule : rules) {
    if (!rule.selector) continue;
    SpanSelection selection{rule.argument, *rule.selector};
    const bool known = std::any_of(selections.begin(), selections.end(),
                                   [&](const SpanSelection& s) { return s.key() == selection.key(); });
    if (!known) selections.push_back(std::move(selection));
  }
  return selections;
}

RuleResult evaluate(const Rule& rule, const Summary& summary) {
  RuleResult result;
  const Family family = *family_of(rule.function);
  auto finish = [&](double actual, std::string shown) {
    result.actual = actual;
    result.passed = compare(actual, rule.op, rule.threshold);
    result.explanation =
        fmt::format("{} = {}",
                    rule.argument.empty() ? rule.function
                                          : rule.function + "(" + rule.argument +
                                                (rule.selector ? rule.selector->text() : std::string()) + ")",
                    shown);
    return result;
  };

  switch (family) {
    case Family::spans_count:
    case Family::spans_duration:
    case Family::error_rate: {
      SpanStats stats;
      if (rule.selector) {
        const auto picked = summary.selected_spans.find(rule.argument + rule.selector->text());
        if (picked == summary.selected_spans.end()) {
          result.passed = false;
          result.explanation = "the run was read without these attribute filters";
          return result;
        }
        stats = picked->second;
      } else {
        stats = combine_matching(summary, rule.argument);
      }
      const SpanStatistic& statistic = *find_span_statistic(rule.function);
      if (statistic.needs_spans && stats.durations.count() == 0) {
        result.passed = false;
        result.explanation = fmt::format("no spans match '{}{}'", rule.argument,
                                         rule.selector ? rule.selector->text() : std::string());
        return result;
      }
      const double value = statistic.value(stats);
      switch (statistic.kind) {
        case SpanStatistic::Kind::count:
          return finish(value, fmt::format("{}", static_cast<std::uint64_t>(value)));
        case SpanStatistic::Kind::duration:
          return finish(value, human_duration(value));
        case SpanStatistic::Kind::ratio:
          return finish(
              value, fmt::format("{:.3g}% ({} of {})", value * 100,
                                 rule.function == "subtree_error_rate" ? stats.subtree_errors : stats.errors,
                                 stats.durations.count()));
      }
      return result;
    }
    case Family::counter: {
      const CounterSum sum =
          sum_counter_series(summary, rule.argument, rule.selector ? &*rule.selector : nullptr);
      return finish(sum.total, human_number(sum.total));
    }
    case Family::histogram: {
      const Histogram merged =
          merge_histogram_series(summary, rule.argument, rule.selector ? &*rule.selector : nullptr);
      const std::optional<double> value = histogram_figure(rule.function, merged);
      if (!value) {
        result.passed = false;
        result.explanation = fmt::format("no histogram values match '{}{}'", rule.argument,
                                         rule.selector ? rule.selector->text() : std::string());
        return result;
      }
      return finish(*value, human_number(*value));
    }
    case Family::event: {
      std::uint64_t total = 0;
      for (const auto& [name, count] : summary.events)
        if (glob_match(rule.argument, name)) total += count;
      return finish(static_cast<double>(total), fmt::format("{}", total));
    }
    case Family::logs: {
      const std::uint64_t count = summary.logs.count(*log_level_named(rule.argument));
      return finish(static_cast<double>(count), fmt::format("{}", count));
    }
    case Family::gauge: {
      const GaugePick pick =
          pick_gauge_series(summary, rule.argument, rule.selector ? &*rule.selector : nullptr);
      if (!pick.gauge) {
        result.passed = false;
        const std::string named = rule.argument + (rule.selector ? rule.selector->text() : std::string());
        result.explanation =
            pick.matching == 0
                ? fmt::format("no gauge '{}'", named)
                : fmt::format("{} series of gauge '{}': name one with its labels, {}{{label=\"value\"}}",
                              pick.matching, named, rule.argument);
        return result;
      }
      const std::optional<double> value = rule.function == "gauge_min"   ? pick.gauge->min
                                          : rule.function == "gauge_max" ? pick.gauge->max
                                                                         : pick.gauge->last;
      if (!value) {  // the recorder wrote null: no comparison with a number holds
        result.passed = false;
        result.explanation = fmt::format("{}({}) is not finite", rule.function, rule.argument);
        return result;
      }
      return finish(*value, human_number(*value));
    }
    case Family::scalar: {
      std::uint64_t value = 0;
      if (rule.function == "dropped")
        value = summary.dropped.total();
      else if (rule.function == "open_spans")
        value = summary.open_spans.size();
      else if (rule.function == "spans")
        value = summary.total_spans;
      else if (rule.function == "events")
        value = summary.total_events;
      else
        for (const auto& run : summary.runs) value += run.read.skipped_lines;
      return finish(static_cast<double>(value), fmt::format("{}", value));
    }
  }
  return result;
}

}  // namespace spanlog::reader
