// `spanlog diff BASE NEW`: per span name, how count, p50, p99 and total changed; with --fail-above, a change
// beyond the threshold in one of the chosen metrics is a regression and the exit status is 1.
#include <algorithm>
#include <cmath>

#include "cli/commands.hpp"
#include "cli/losses.hpp"
#include "cli/usage_error.hpp"
#include "reader/aggregator.hpp"
#include "reader/run_location.hpp"
#include "reader/span_diff.hpp"
#include "reader/span_statistic.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

using reader::human_duration;
using reader::json_number;
using reader::json_string;
using reader::NameDiff;

std::string percent_text(const std::optional<double>& percent) {
  if (!percent) return "new";
  return fmt::format("{:+.1f}%", *percent);
}

std::string value_text(const reader::StatisticChange& change) {
  return change.statistic == "count" ? fmt::format("{}", change.candidate) : human_duration(change.candidate);
}

reader::Summary read_side(const std::string& run, bool skip_bad) {
  reader::ReadOptions read_options;
  read_options.skip_bad = skip_bad;
  return reader::summarize({reader::locate_run(run).file}, {}, read_options);
}

Table diff_table(const reader::SpanDiff& diff, const std::vector<std::string>& shown,
                 const Console& console) {
  using Align = Table::Align;
  std::vector<Table::Column> columns = {{"span", Align::left}};
  for (const auto& statistic : shown) {
    columns.push_back({statistic});
    columns.push_back({"Δ"});
  }
  columns.push_back({"", Align::left});
  Table table(std::move(columns));
  for (const NameDiff& name : diff.names) {
    std::vector<std::string> row = {name.name};
    for (const auto& statistic : shown) {
      const reader::StatisticChange& change = *name.change_of(statistic);
      row.push_back(value_text(change));
      if (name.presence != NameDiff::Presence::both) {
        row.push_back("");
        continue;
      }
      const std::string pct = percent_text(change.percent);
      row.push_back(change.regression ? console.red(pct) : pct);
    }
    if (name.presence == NameDiff::Presence::both)
      row.push_back(name.regression ? console.red("REGRESSION") : "");
    else
      row.push_back(
          console.dim(name.presence == NameDiff::Presence::only_new ? "only in NEW" : "only in BASE"));
    table.add_row(std::move(row));
  }
  return table;
}

std::string dropped_json(const reader::DroppedCounts& d) {
  return fmt::format("{{\"spans\":{},\"events\":{},\"metrics\":{},\"attrs\":{},\"async_ends\":{}}}", d.spans,
                     d.events, d.metrics, d.attrs, d.async_ends);
}

std::string diff_json(const reader::SpanDiff& diff, const reader::Summary& base,
                      const reader::Summary& candidate) {
  std::string json = "{\"spans\":[";
  for (std::size_t i = 0; i < diff.names.size(); ++i) {
    const NameDiff& name = diff.names[i];
    if (i) json += ',';
    if (name.presence != NameDiff::Presence::both) {
      json += fmt::format("{{\"name\":{},\"only_in\":\"{}\"}}", json_string(name.name),
                          name.presence == NameDiff::Presence::only_new ? "new" : "base");
      continue;
    }
    json += fmt::format("{{\"name\":{},\"regression\":{}", json_string(name.name), name.regression);
    for (const auto& change : name.changes)
      json += fmt::format(",\"{}\":{{\"base\":{},\"new\":{},\"change_percent\":{}}}", change.statistic,
                          json_number(change.base), json_number(change.candidate),
                          change.percent ? json_number(*change.percent) : "null");
    json += "}";
  }
  json += fmt::format("],\"regressions\":{},\"dropped\":{{\"base\":{},\"new\":{}}}}}\n", diff.regressions,
                      dropped_json(base.dropped), dropped_json(candidate.dropped));
  return json;
}

void print_verdict(const reader::SpanDiff& diff, const DiffOptions& options, const Console& console) {
  if (!options.fail_above_percent) return;
  console.print("\n");
  if (diff.regressions > 0)
    console.print("{}\n",
                  console.red(fmt::format("{} span{} regressed by more than {}% (in {})", diff.regressions,
                                          diff.regressions == 1 ? "" : "s", *options.fail_above_percent,
                                          fmt::join(options.metrics, ", "))));
  else
    console.print("{}\n", console.green(fmt::format("no regression above {}%", *options.fail_above_percent)));
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

  reader::DiffCriteria criteria;
  criteria.gated = options.metrics;
  criteria.fail_above_percent = options.fail_above_percent;
  criteria.min_count = options.min_count;
  const reader::SpanDiff diff = reader::diff_spans(base, candidate, criteria);

  if (options.json) {
    console.print("{}", diff_json(diff, base, candidate));
  } else {
    console.print("base {}  →  new {}\n\n", options.base, options.candidate);
    if (diff.names.empty())
      console.print("no spans on either side\n");
    else
      diff_table(diff, criteria.shown, console).print(console);
    print_verdict(diff, options, console);
  }
  return diff.regressions > 0 ? 1 : 0;
}

}  // namespace spanlog::cli
