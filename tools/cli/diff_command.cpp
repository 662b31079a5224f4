// `spanlog diff BASE NEW`: per span name, how count, p50, p99 and total changed; with --fail-above, a change
// beyond the threshold in one of the chosen metrics is a regression and the exit status is 1.
#include <algorithm>
#include <cmath>
#include <set>

#include "cli/commands.hpp"
#include "cli/losses.hpp"
#include "cli/usage_error.hpp"
#include "reader/aggregator.hpp"
#include "reader/run_location.hpp"
#include "reader/span_statistic.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

using reader::human_duration;
using reader::json_number;
using reader::json_string;

struct MetricChange {
  std::string metric;
  double base = 0, candidate = 0;
  std::optional<double> percent;  // empty when the base is zero
  bool regression = false;
};

// Validated before: every metric names a statistic.
double metric_value(const reader::SpanStats& stats, const std::string& metric) {
  return reader::find_span_statistic(metric)->value(stats);
}

std::string percent_text(const std::optional<double>& percent) {
  if (!percent) return "new";
  return fmt::format("{:+.1f}%", *percent);
}

reader::Summary read_side(const std::string& run, bool skip_bad) {
  reader::ReadOptions read_options;
  read_options.skip_bad = skip_bad;
  return reader::summarize({reader::locate_run(run).file}, {}, read_options);
}

}  // namespace

int diff_command(const DiffOptions& options, const Console& console) {
  for (const auto& metric : options.metrics)
    if (reader::find_span_statistic(metric) == nullptr)
      throw UsageError(fmt::format("--metric {}: expected {}", metric, reader::span_statistic_names()));

  reader::Summary base = options.stored_runs ? options.stored_runs({options.base}, {})
                                             : read_side(options.base, options.skip_bad);
  reader::Summary candidate = options.stored_runs ? options.stored_runs({options.candidate}, {})
                                                  : read_side(options.candidate, options.skip_bad);
  if (options.raw) {
    base.use_raw_self_time();
    candidate.use_raw_self_time();
  }
  // A side that lost records compares what it kept: said before any figure, with each side's share.
  if (base.dropped.total() > 0 || candidate.dropped.total() > 0)
    console.warning("records were dropped, so the figures are of what was recorded: BASE {}; NEW {}",
                    losses(base), losses(candidate));

  std::vector<std::string> names;
  for (const auto& [name, stats] : base.spans) names.push_back(name);
  for (const auto& [name, stats] : candidate.spans)
    if (base.spans.count(name) == 0) names.push_back(name);
  // The most expensive spans of the base first: that is where a regression costs most.
  auto total_of = [&](const std::string& name) {
    const auto it = base.spans.find(name);
    return it == base.spans.end() ? 0 : it->second.durations.sum();
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return total_of(a) != total_of(b) ? total_of(a) > total_of(b) : a < b;
  });

  const std::vector<std::string> shown = {"count", "p50", "p99", "total"};
  std::size_t regressions = 0;
  using Align = Table::Align;
  Table table({{"span", Align::left},
               {"count"},
               {"Δ"},
               {"p50"},
               {"Δ"},
               {"p99"},
               {"Δ"},
               {"total"},
               {"Δ"},
               {"", Align::left}});
  std::string json = "{\"spans\":[";
  bool first_json = true;

  for (const auto& name : names) {
    const auto b = base.spans.find(name);
    const auto c = candidate.spans.find(name);
    std::vector<std::string> row = {name};
    if (b == base.spans.end() || c == candidate.spans.end()) {
      const bool added = b == base.spans.end();
      const auto& stats = added ? c->second : b->second;
      for (const auto& metric : shown) {
        const double v = metric_value(stats, metric);
        row.push_back(metric == "count" ? fmt::format("{}", v) : human_duration(v));
        row.push_back("");
      }
      row.push_back(console.dim(added ? "only in NEW" : "only in BASE"));
      table.add_row(std::move(row));
      json += fmt::format("{}{{\"name\":{},\"only_in\":\"{}\"}}", first_json ? "" : ",", json_string(name),
                          added ? "new" : "base");
      first_json = false;
      continue;
    }
    std::vector<MetricChange> changes;
    std::set<std::string> all_metrics(shown.begin(), shown.end());
    all_metrics.insert(options.metrics.begin(), options.metrics.end());
    const bool enough =
        b->second.durations.count() >= options.min_count && c->second.durations.count() >= options.min_count;
    bool row_regressed = false;
    for (const auto& metric : all_metrics) {
      MetricChange change{
          metric, metric_value(b->second, metric), metric_value(c->second, metric), {}, false};
      if (change.base > 0) change.percent = (change.candidate - change.base) / change.base * 100.0;
      const bool gated =
          std::find(options.metrics.begin(), options.metrics.end(), metric) != options.metrics.end();
      if (gated && enough && options.fail_above_percent && change.percent &&
          *change.percent > *options.fail_above_percent)
        change.regression = true;
      row_regressed = row_regressed || change.regression;
      changes.push_back(change);
    }
    for (const auto& metric : shown) {
      const auto& change = *std::find_if(changes.begin(), changes.end(),
                                         [&](const MetricChange& m) { return m.metric == metric; });
      row.push_back(metric == "count" ? fmt::format("{}", change.candidate)
                                      : human_duration(change.candidate));
      const std::string pct = percent_text(change.percent);
      row.push_back(change.regression ? console.red(pct) : pct);
    }
    row.push_back(row_regressed ? console.red("REGRESSION") : "");
    if (row_regressed) ++regressions;
    table.add_row(std::move(row));

    json += fmt::format("{}{{\"name\":{},\"regression\":{}", first_json ? "" : ",", json_string(name),
                        row_regressed);
    for (const auto& change : changes)
      json += fmt::format(",\"{}\":{{\"base\":{},\"new\":{},\"change_percent\":{}}}", change.metric,
                          json_number(change.base), json_number(change.candidate),
                          change.percent ? json_number(*change.percent) : "null");
    json += "}";
    first_json = false;
  }
  auto dropped_json = [](const reader::DroppedCounts& d) {
    return fmt::format("{{\"spans\":{},\"events\":{},\"metrics\":{},\"attrs\":{},\"async_ends\":{}}}",
                       d.spans, d.events, d.metrics, d.attrs, d.async_ends);
  };
  json += fmt::format("],\"regressions\":{},\"dropped\":{{\"base\":{},\"new\":{}}}}}\n", regressions,
                      dropped_json(base.dropped), dropped_json(candidate.dropped));

  if (options.json) {
    console.print("{}", json);
  } else {
    console.print("base {}  →  new {}\n\n", options.base, options.candidate);
    if (table.empty())
      console.print("no spans on either side\n");
    else
      table.print(console);
    if (options.fail_above_percent) {
      console.print("\n");
      if (regressions > 0)
        console.print("{}\n",
                      console.red(fmt::format("{} span{} regressed by more than {}% (in {})", regressions,
                                              regressions == 1 ? "" : "s", *options.fail_above_percent,
                                              fmt::join(options.metrics, ", "))));
      else
        console.print("{}\n",
                      console.green(fmt::format("no regression above {}%", *options.fail_above_percent)));
    }
  }
  return regressions > 0 ? 1 : 0;
}

}  // namespace spanlog::cli
