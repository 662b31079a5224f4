// `spanlog summary`: the table per span name (or attribute value), then phases, counters, gauges, histograms
// (and with --by the labelled metrics per label value), events, log lines, threads, the vitals, dropped
// records and open spans; or the same as JSON.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/commands.hpp"
#include "cli/log_text.hpp"
#include "cli/losses.hpp"
#include "cli/metric_tables.hpp"
#include "cli/run_status.hpp"
#include "cli/usage_error.hpp"
#include "reader/aggregator.hpp"
#include "reader/metric_series.hpp"
#include "reader/run_location.hpp"
#include "reader/sorted_by_name.hpp"
#include "reader/span_dimensions.hpp"
#include "reader/span_statistic.hpp"
#include "reader/summary_json.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

namespace fs = std::filesystem;
using reader::human_duration;
using reader::human_number;
using reader::SpanStats;

// A row's value of each --by attribute, as cells; `-` for one its spans lack.
std::vector<std::string> group_cells(const reader::OwnedAttrs& group, const std::vector<std::string>& keys) {
  std::vector<std::string> cells;
  for (const std::string& key : keys) {
    const auto it =
        std::find_if(group.begin(), group.end(), [&](const reader::OwnedAttr& a) { return a.key == key; });
    cells.push_back(it == group.end() ? "-" : reader::label_value_text(*it));
  }
  return cells;
}

using SpanEntry = std::pair<const std::string, SpanStats>;

// By `key`: "name", or a statistic, largest first (ties by name). False for a key that names neither.
bool sort_spans(std::vector<const SpanEntry*>& rows, const std::string& key) {
  if (key == "name") {
    std::sort(rows.begin(), rows.end(),
              [](const SpanEntry* a, const SpanEntry* b) { return a->first < b->first; });
    return true;
  }
  const reader::SpanStatistic* statistic = reader::find_span_statistic(key);
  if (statistic == nullptr) return false;
  std::stable_sort(rows.begin(), rows.end(), [statistic](const SpanEntry* a, const SpanEntry* b) {
    const double ma = statistic->value(a->second), mb = statistic->value(b->second);
    return ma != mb ? ma > mb : a->first < b->first;
  });
  return true;
}

void check_sort_key(const std::string& key) {
  if (key != "name" && reader::find_span_statistic(key) == nullptr)
    throw UsageError(fmt::format("--sort {}: expected name, {}", key, reader::span_statistic_names()));
}

// A --by attribute names rows: adding up its values (a status code, a route) would mean nothing.
reader::AggregateOptions aggregate_options(const SummaryOptions& options) {
  reader::AggregateOptions aggregate;
  aggregate.group_by = options.group_by;
  aggregate.name_filter = options.filter;
  aggregate.sum_keys = reader::attribute_list(options.sum);
  const std::vector<std::string> group_keys = reader::attribute_list(options.group_by);
  if (!options.group_by.empty() && group_keys.empty())
    throw UsageError(fmt::format("--by '{}': expected attribute names, comma-separated", options.group_by));
  if (!options.sum.empty() && aggregate.sum_keys.empty())
    throw UsageError(fmt::format("--sum '{}': expected attribute names, comma-separated", options.sum));
  for (const std::string& key : aggregate.sum_keys)
    if (std::find(group_keys.begin(), group_keys.end(), key) != group_keys.end())
      throw UsageError(
          fmt::format("--sum {}: '{}' is a --by attribute; its values name the rows, they are not added up",
                      options.sum, key));
  return aggregate;
}

// Of the row's spans, the share `count` is of: "2.50%", or "-" for a row of statistics only.
std::string share_text(std::uint64_t count, const SpanStats& stats) {
  const std::uint64_t spans = stats.durations.count() - stats.statistics;
  if (spans == 0) return "-";
  return fmt::format("{:.3g}%", 100.0 * static_cast<double>(count) / static_cast<double>(spans));
}

// "18 ns", or "18 ns to 25 ns" when the runs measured different costs.
std::string about(double low, double high) {
  const std::string a = human_duration(std::round(low)), b = human_duration(std::round(high));
  return a == b ? a : a + " to " + b;
}

// What recording costs, from the header's `overhead`: a span that is mostly that is not worth a look.
void print_instrumentation(const reader::InstrumentationCost& cost, bool raw, const Console& console) {
  console.print(
      "{}\n", console.dim(fmt::format(
                  "instrumentation: each span adds about {} (clock read {}); names marked ~ have a p50 "
                  "below 10x that and are mostly instrumentation",
                  about(cost.span_ns_low, cost.span_ns_high), about(cost.clock_ns_low, cost.clock_ns_high))));
  console.print("{}\n",
                console.dim(raw ? std::string("self time: the instrumentation left in (--raw)")
                                : fmt::format("self time: about {} per child on the same thread taken out "
                                              "(--raw leaves it in)",
                                              about(cost.in_parent_ns_low, cost.in_parent_ns_high))));
}

// "per thread only: 10 on thread 4243, 2 on thread 4244": a thread of one of several runs is named with its
// run.
std::string per_thread(const reader::Summary& s, std::uint64_t reader::UnnamedDrops::*count) {
  std::vector<std::string> threads;
  std::uint64_t footer_only = 0;
  for (const auto& u : s.unnamed_drops) {
    if (u.*count == 0) continue;
    if (u.footer_only) {
      footer_only += u.*count;
      continue;
    }
    // Thread 0: the instant between a stop() and the next start() (docs/format.md, "dropped").
    threads.push_back(u.tid == 0 ? fmt::format("{} between runs", grouped(u.*count))
                                 : fmt::format("{} on thread {}{}", grouped(u.*count),
                                               s.runs.size() > 1 ? u.run_id + "/" : "", u.tid));
  }
  std::string text = threads.empty() ? "" : fmt::format("per thread only: {}", fmt::join(threads, ", "));
  if (footer_only > 0)
    text += fmt::format("{}{} counted only in the footer's totals", text.empty() ? "" : "; ",
                        grouped(footer_only));
  return text;
}

// Which names the dropped spans had, where the recorder knew, and where the rest were lost.
void print_dropped_spans(const reader::Summary& s, const Console& console) {
  std::vector<std::string> unrecorded;
  std::uint64_t named = 0;
  for (const auto* entry : reader::sorted_by_name(s.dropped_span_names)) {
    named += entry->second;
    if (s.spans.count(entry->first) == 0 || !s.group_by.empty())
      unrecorded.push_back(fmt::format("{} {}", entry->first, grouped(entry->second)));
  }
  if (!unrecorded.empty())
    console.print("{}\n", console.yellow(fmt::format("dropped spans of names {}: {}",
                                                     s.group_by.empty() ? "not in the table" : "(by name)",
                                                     fmt::join(unrecorded, ", "))));
  if (named < s.dropped.spans)
    console.print("{}\n",
                  console.yellow(fmt::format(
                      "{} dropped span{} without a name, known {}", grouped(s.dropped.spans - named),
                      s.dropped.spans - named == 1 ? "" : "s", per_thread(s, &reader::UnnamedDrops::spans))));
}

void print_spans(const reader::Summary& s, const SummaryOptions& options, const Console& console) {
  std::vector<const SpanEntry*> rows;
  for (const auto& entry : s.spans) rows.push_back(&entry);
  sort_spans(rows, options.sort);
  const std::size_t shown = std::min(rows.size(), options.top.value_or(rows.size()));

  // The --sum attributes summed per row, as columns.
  std::vector<std::string> attr_columns;
  for (std::size_t i = 0; i < shown; ++i)
    for (const auto& [key, value] : rows[i]->second.attr_sums)
      if (std::find(attr_columns.begin(), attr_columns.end(), key) == attr_columns.end())
        attr_columns.push_back(key);
  std::sort(attr_columns.begin(), attr_columns.end());

  using Align = Table::Align;
  // With --by, a column per attribute, the rate of the row's spans and its error rates: what a service's
  // owner reads a route by.
  const bool grouped_rows = !s.group_keys.empty();
  std::vector<Table::Column> columns;
  if (grouped_rows)
    for (const std::string& key : s.group_keys) columns.push_back({key, Align::left});
  else
    columns.push_back({"span", Align::left});
  columns.push_back({"count"});
  if (grouped_rows) columns.push_back({"rate/s"});
  for (const char* column : {"total", "self", "parallel", "mean", "p50", "p90", "p99", "max", "errors"})
    columns.push_back({column});
  if (grouped_rows) {
    columns.push_back({"error %"});
    columns.push_back({"subtree error %"});
  }
  for (const auto& key : attr_columns) columns.push_back({"Σ " + key});
  const double wall_s = static_cast<double>(s.wall_ns()) / 1e9;
  // Spans of a name that were dropped are shown beside those recorded (not with --by: drops are by name).
  const bool dropped_column = s.dropped.spans > 0 && options.group_by.empty();
  if (dropped_column) columns.push_back({"dropped"});
  // The mark of names that are mostly instrumentation comes last, so the name column stays the names.
  const std::optional<reader::InstrumentationCost> cost = reader::instrumentation_cost(s);
  auto marked = [&cost](const SpanStats& stats) {
    return cost && reader::mostly_instrumentation(stats, *cost);
  };
  const bool mark_column = std::any_of(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown),
                                       [&](const SpanEntry* row) { return marked(row->second); });
  // Statistics-mode spans (span_stats lines) are counted in the name's row; how many of them, beside it.
  const bool stats_column = std::any_of(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown),
                                        [](const SpanEntry* row) { return row->second.statistics > 0; });
  if (stats_column) columns.push_back({"stats"});
  if (mark_column) columns.push_back({"", Align::left});
  Table table(std::move(columns));
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& [name, stats] = *rows[i];
    const auto& h = stats.durations;
    std::vector<std::string> cells;
    if (grouped_rows)
      for (std::string& value : group_cells(stats.group, s.group_keys)) cells.push_back(std::move(value));
    else
      cells.push_back(name);
    cells.push_back(fmt::format("{}", h.count()));
    if (grouped_rows)
      cells.push_back(wall_s > 0 ? human_number(static_cast<double>(h.count()) / wall_s) : "-");
    for (std::string cell :
         {human_duration(h.sum()), human_duration(stats.self_ns), human_duration(stats.parallel_ns),
          human_duration(h.mean()), human_duration(h.percentile(0.5)), human_duration(h.percentile(0.9)),
          human_duration(h.percentile(0.99)), human_duration(h.max())})
      cells.push_back(std::move(cell));
    cells.push_back(stats.errors > 0 ? console.red(fmt::format("{}", stats.errors)) : "0");
    if (grouped_rows) {
      cells.push_back(share_text(stats.errors, stats));
      cells.push_back(stats.subtree_errors > stats.errors
                          ? console.red(share_text(stats.subtree_errors, stats))
                          : share_text(stats.subtree_errors, stats));
    }
    for (const auto& key : attr_columns) {
      const auto it = stats.attr_sums.find(key);
      cells.push_back(it == stats.attr_sums.end() ? "-" : human_number(it->second));
    }
    if (dropped_column) {
      const auto it = s.dropped_span_names.find(name);
      cells.push_back(it == s.dropped_span_names.end() ? "-" : console.yellow(grouped(it->second)));
    }
    if (stats_column) cells.push_back(stats.statistics > 0 ? grouped(stats.statistics) : "-");
    if (mark_column) cells.push_back(marked(stats) ? "~" : "");
    table.add_row(std::move(cells));
  }
  if (table.empty()) {
    console.print("no spans{}\n",
                  options.filter.empty() ? "" : fmt::format(" matching '{}'", options.filter));
  } else {
    table.print(console);
  }
  if (shown < rows.size())
    console.print("{}\n", console.dim(fmt::format("({} more not shown)", rows.size() - shown)));
  if (grouped_rows && !table.empty())
    console.print("{}\n",
                  console.dim("(error %: the span itself ended in error; subtree error %: the span or a "
                              "span below it (a child, its children...) did)"));
  if (stats_column)
    console.print("{}\n", console.dim("(stats: spans of statistics mode among the count, merged from their "
                                      "histograms: min, max and percentiles to a bucket's width, ~1%)"));
  if (cost) print_instrumentation(*cost, s.raw_self_time, console);
  if (s.dropped.spans > 0) print_dropped_spans(s, console);
  if (!options.group_by.empty() && s.ungrouped_spans > 0)
    console.print("{}\n",
                  console.dim(fmt::format("({} spans without {} '{}' not shown)", s.ungrouped_spans,
                                          s.group_keys.size() == 1 ? "attribute" : "any of the attributes",
                                          fmt::join(s.group_keys, "', '"))));
}

// Sites shown a level in the text; --json has them all.
constexpr std::size_t kLogSitesShown = 5;

// Lines per level, then the warn and error sites with the most lines: what the run complained of, and where.
void print_logs(const reader::LogStats& logs, const Console& console) {
  std::vector<std::string> counts;
  for (std::size_t i = 0; i < reader::kLogLevels; ++i)
    counts.push_back(fmt::format("{} {}", grouped(logs.count(static_cast<reader::LogLevel>(i))),
                                 reader::kLogLevelNames[i]));
  console.print("log lines: {}\n", fmt::join(counts, ", "));
  using Align = Table::Align;
  Table table(
      {{"level", Align::left}, {"site", Align::left}, {"lines"}, {"most recent message", Align::left}});
  std::size_t not_shown = 0;
  for (const reader::LogLevel level : {reader::LogLevel::error, reader::LogLevel::warn}) {
    const std::vector<const reader::LogSite*> sites = logs.sites_by_count(level);
    for (std::size_t i = 0; i < std::min(sites.size(), kLogSitesShown); ++i)
      table.add_row({level_text(level, console), fmt::format("{}:{}", sites[i]->file, sites[i]->line),
                     grouped(sites[i]->count), sites[i]->last_message});
    not_shown += sites.size() - std::min(sites.size(), kLogSitesShown);
  }
  if (table.empty()) return;
  table.print(console);
  if (not_shown > 0)
    console.print("{}\n",
                  console.dim(fmt::format("({} more sites not shown; --json lists them all)", not_shown)));
}

void print_text(const reader::Summary& s, const SummaryOptions& options, const Console& console) {
  for (const auto& run : s.runs) {
    const std::string status = state_text(run.state, console);
    // A run with drops is never only "complete": what it lost is on the same line.
    const std::string lost = dropped_phrase(run.dropped, run.spans, run.events);
    console.print("{} {}{}: wall {}, {} records, {}{}\n", console.bold("run"),
                  run.run_id.empty() ? run.file.string() : run.run_id,
                  run.process.empty()
                      ? ""
                      : fmt::format(" ({}{})", run.process, run.host.empty() ? "" : " on " + run.host),
                  human_duration(run.wall_ns), run.read.records, status,
                  lost.empty() ? "" : ", " + console.yellow(lost));
    if (run.crash)
      console.print("  {}\n",
                    console.red(fmt::format("crashed: {}", crash_phrase(*run.crash, run.start_ts))));
    if (!run.stopped_by.empty()) console.print("  written when {}\n", stopped_by_phrase(run.stopped_by));
  }
  console.print("\n");
  print_spans(s, options, console);

  using Align = Table::Align;
  if (!s.phases.empty()) {
    console.print("\n");
    Table table({{"phase", Align::left}, {"wall"}, {"spans"}, {"", Align::left}});
    for (const auto* p : reader::sorted_by_name(s.phases))
      table.add_row({p->first, human_duration(p->second.wall_ns), fmt::format("{}", p->second.spans),
                     p->second.open ? console.yellow("still open at the end") : ""});
    table.print(console);
  }
  // Once, whatever --by groups: the spans' groups above, the labelled metrics' groups here.
  print_metric_tables(s, console);
  // Metrics group by one label: with several --by attributes their tables stay as they are, once.
  if (s.group_keys.size() == 1) print_metrics_by_label(s, s.group_keys.front(), console);
  if (!s.events.empty() || !s.dropped_event_names.empty()) {
    console.print("\n");
    const bool dropped_column = s.dropped.events > 0;
    std::vector<Table::Column> columns = {{"event", Align::left}, {"count"}};
    if (dropped_column) columns.push_back({"dropped"});
    Table table(std::move(columns));
    // Names of which every event was dropped have a row too.
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> rows;
    for (const auto& [name, count] : s.events) rows[name].first = count;
    for (const auto& [name, count] : s.dropped_event_names) rows[name].second = count;
    std::uint64_t named = 0;
    for (const auto& [name, counts] : rows) {
      std::vector<std::string> row = {name, fmt::format("{}", counts.first)};
      if (dropped_column) row.push_back(counts.second ? console.yellow(grouped(counts.second)) : "-");
      named += counts.second;
      table.add_row(std::move(row));
    }
    table.print(console);
    if (named < s.dropped.events)
      console.print("{}\n", console.yellow(fmt::format("{} dropped event{} without a name, known {}",
                                                       grouped(s.dropped.events - named),
                                                       s.dropped.events - named == 1 ? "" : "s",
                                                       per_thread(s, &reader::UnnamedDrops::events))));
  }
  if (s.logs.total() > 0) {
    console.print("\n");
    print_logs(s.logs, console);
  }
  if (!s.threads.empty()) {
    console.print("\n");
    const bool several_runs = s.runs.size() > 1;
    std::vector<Table::Column> columns = {{"tid"}, {"thread", Align::left}, {"spans"}};
    if (several_runs) columns.insert(columns.begin(), {"run", Align::left});
    Table table(std::move(columns));
    for (const auto& t : s.threads) {
      std::vector<std::string> row = {fmt::format("{}", t.tid), t.name.empty() ? "-" : t.name,
                                      fmt::format("{}", t.spans)};
      if (several_runs) row.insert(row.begin(), t.run_id);
      table.add_row(std::move(row));
    }
    table.print(console);
  }
  print_vitals(s, console);
  console.print("\n");
  const std::string dropped =
      fmt::format("dropped: {} spans, {} events, {} metrics, {} attrs, {} async ends", s.dropped.spans,
                  s.dropped.events, s.dropped.metrics, s.dropped.attrs, s.dropped.async_ends);
  console.print("{}\n", s.dropped.total() > 0 ? console.yellow(dropped) : dropped);
  if (s.unwritten_records > 0)
    console.print("{}\n",
                  console.yellow(fmt::format("unwritten: {} records lost to a write error (full disk?)",
                                             s.unwritten_records)));
  if (const std::string growth = cli::ring_growth_phrase(s.rings_grown, s.largest_ring); !growth.empty())
    console.print("{}\n", growth);
  if (s.sampled_out > 0) console.print("sampled out: {} spans\n", s.sampled_out);
  if (!s.open_spans.empty()) {
    console.print("{}\n",
                  console.yellow(fmt::format("open spans (started, never ended): {}", s.open_spans.size())));
    for (const auto& o : s.open_spans)
      console.print("  {} on thread {}{} open for {}\n", o.name, o.tid,
                    o.thread_name.empty() ? "" : " (" + o.thread_name + ")", human_duration(o.open_ns));
  }
}

// Writes run_summary.json for a run that died before stop() wrote it; failure to write is only a warning.
void regenerate_run_summary(const fs::path& directory, const fs::path& file,
                            const reader::Summary* plain_summary, const reader::ReadOptions& read_options,
                            const Console& console) {
  const fs::path target = directory / "run_summary.json";
  std::error_code ec;
  if (fs::exists(target, ec)) return;
  reader::Summary own;
  if (plain_summary == nullptr) {
    own = reader::summarize({file}, {}, read_options);
    plain_summary = &own;
  }
  const fs::path temporary = directory / ".run_summary.json.tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << reader::run_summary_json(*plain_summary);
    if (!out) {
      console.warning("could not write {}", target.string());
      fs::remove(temporary, ec);
      return;
    }
  }
  fs::rename(temporary, target, ec);
  if (ec)
    console.warning("could not write {}: {}", target.string(), ec.message());
  else
    console.warning("{} had no run_summary.json (the run did not stop cleanly); wrote one",
                    directory.string());
}

}  // namespace

int summary_command(const SummaryOptions& options, const Console& console) {
  if (options.stored_runs) {
    check_sort_key(options.sort);
    reader::Summary summary = options.stored_runs(options.runs, aggregate_options(options));
    if (options.raw) summary.use_raw_self_time();
    for (const auto& run : summary.runs)
      if (run.read.torn_last_line) console.warning("{}", *run.read.torn_last_line);
    if (options.json)
      console.print("{}", reader::summary_json(summary));
    else
      print_text(summary, options, console);
    return 0;
  }
  std::vector<reader::RunLocation> locations;
  if (options.runs.empty()) locations.push_back(reader::locate_run(std::nullopt));
  for (const auto& run : options.runs) locations.push_back(reader::locate_run(run));
  check_sort_key(options.sort);
  const reader::AggregateOptions aggregate = aggregate_options(options);

  std::vector<fs::path> files;
  for (const auto& location : locations) files.push_back(location.file);
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  reader::Summary summary = reader::summarize(files, aggregate, read_options);

  for (const auto& run : summary.runs) {
    if (run.read.torn_last_line) console.warning("{}", *run.read.torn_last_line);
    if (run.read.skipped_lines > 0) {
      console.warning("{}: skipped {} malformed lines, for example:", run.file.string(),
                      run.read.skipped_lines);
      for (const auto& example : run.read.skipped_examples) fmt::print(console.err, "  {}\n", example);
    }
  }
  if (options.write_run_summary) {
    const bool plain = !aggregate.reads_attrs() && options.filter.empty() && locations.size() == 1;
    for (const auto& location : locations)
      if (location.directory)
        regenerate_run_summary(*location.directory, location.file, plain ? &summary : nullptr, read_options,
                               console);
  }

  // run_summary.json above has no self time: --raw changes only what is shown.
  if (options.raw) summary.use_raw_self_time();
  if (options.json)
    console.print("{}", reader::summary_json(summary));
  else
    print_text(summary, options, console);
  return 0;
}

}  // namespace spanlog::cli
