#include "reader/summary_json.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "reader/attrs_json.hpp"
#include "reader/metric_groups.hpp"
#include "reader/metric_list.hpp"
#include "reader/sorted_by_name.hpp"
#include "reader/units.hpp"

namespace spanlog::reader {

namespace {

template <class... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
}

std::string optional_number(const std::optional<double>& value) {
  return value ? json_number(*value) : "null";
}

std::string counts_json(const DroppedCounts& d) {
  return fmt::format("{{\"spans\":{},\"events\":{},\"metrics\":{},\"attrs\":{},\"async_ends\":{}}}", d.spans,
                     d.events, d.metrics, d.attrs, d.async_ends);
}

std::string names_json(const StringMap<std::uint64_t>& counts) {
  std::string out = "{";
  for (const auto* entry : sorted_by_name(counts)) {
    if (out.size() > 1) out += ',';
    out += json_string(entry->first) + ":" + fmt::format("{}", entry->second);
  }
  return out + "}";
}

// Each run: its identity, how it ended, what it lost.
void put_runs(fmt::memory_buffer& out, const Summary& s) {
  for (std::size_t i = 0; i < s.runs.size(); ++i) {
    const auto& run = s.runs[i];
    put(out,
        "{}{{\"run_id\":{},\"file\":{},\"start_ts\":{},\"wall_ns\":{},\"state\":{},\"complete\":{},"
        "\"has_footer\":{},\"records\":{},\"skipped_lines\":{},\"torn_last_line\":{},\"stopped_by\":{},"
        "\"crash\":",
        i ? "," : "", json_string(run.run_id), json_string(run.file.string()), run.start_ts, run.wall_ns,
        json_string(run.state.word()), run.state.kind == RunState::Kind::complete, run.has_footer,
        run.read.records, run.read.skipped_lines, run.read.torn_last_line.has_value(),
        run.stopped_by.empty() ? "null" : json_string(run.stopped_by));
    if (run.crash)
      put(out, "{{\"signal\":{},\"name\":{},\"reason\":{},\"tid\":{},\"ts\":{}}}", run.crash->signal,
          json_string(run.crash->name), json_string(run.crash->reason), run.crash->tid, run.crash->ts);
    else
      put(out, "null");
    put(out, ",\"overhead\":");
    if (run.overhead)
      put(out,
          "{{\"span_ns\":{},\"span_ticks\":{},\"clock_ns\":{},\"clock_ticks\":{},\"in_span_ns\":{},"
          "\"in_parent_ns\":{}}}",
          json_number(run.overhead->span_ns), json_number(run.overhead->span_ticks),
          json_number(run.overhead->clock_ns), json_number(run.overhead->clock_ticks),
          json_number(run.overhead->in_span_ns), json_number(run.overhead->in_parent_ns));
    else
      put(out, "null");
    put(out, ",\"spans\":{},\"events\":{},\"dropped\":{},\"rings_grown\":{},\"largest_ring\":{}}}", run.spans,
        run.events, counts_json(run.dropped), run.rings_grown, run.largest_ring);
  }
}

// Of a row's full spans (statistics-mode ones say nothing of errors), the share `count` is of; null without
// any.
std::string share_json(std::uint64_t count, const SpanStats& stats) {
  const std::uint64_t spans = stats.durations.count() - stats.statistics;
  return spans == 0 ? "null" : json_number(static_cast<double>(count) / static_cast<double>(spans));
}

// What a service's owner reads a row by: its spans per second of the wall time, and its error rates, of the
// span itself and of its subtree (the span or a span below it in error).
void put_rates(fmt::memory_buffer& out, const Summary& s, const SpanStats& stats) {
  const double wall_s = static_cast<double>(s.wall_ns()) / 1e9;
  put(out, ",\"rate_per_s\":{},\"error_rate\":{},\"subtree_errors\":{},\"subtree_error_rate\":{}",
      wall_s > 0 ? json_number(static_cast<double>(stats.durations.count()) / wall_s) : "null",
      share_json(stats.errors, stats), stats.subtree_errors, share_json(stats.subtree_errors, stats));
}

// Each span name (or combination of --by values) by name: its statistics.
void put_spans(fmt::memory_buffer& out, const Summary& s, const std::optional<InstrumentationCost>& cost) {
  bool first = true;
  for (const auto* entry : sorted_by_name(s.spans)) {
    const auto& h = entry->second.durations;
    put(out,
        "{}{{\"name\":{},\"count\":{},\"total_ns\":{},\"self_ns\":{},\"parallel_ns\":{},\"mean_ns\":{},"
        "\"min_ns\":{},\"p50_ns\":"
        "{},"
        "\"p90_ns\":{},\"p99_ns\":{},\"max_ns\":{},\"errors\":{},\"mostly_instrumentation\":{},"
        "\"statistics\":{}",
        first ? "" : ",", json_string(entry->first), h.count(), h.sum(), entry->second.self_ns,
        entry->second.parallel_ns, json_number(h.mean()), h.min(), h.percentile(0.5), h.percentile(0.9),
        h.percentile(0.99), h.max(), entry->second.errors,
        cost.has_value() && mostly_instrumentation(entry->second, *cost), entry->second.statistics);
    put_rates(out, s, entry->second);
    if (!s.group_keys.empty()) {
      std::string group;
      append_attrs_json(group, entry->second.group);
      put(out, ",\"group\":{}", group);
    }
    if (s.group_by.empty()) {
      const auto dropped = s.dropped_span_names.find(entry->first);
      put(out, ",\"dropped\":{}", dropped == s.dropped_span_names.end() ? 0 : dropped->second);
    }
    if (!entry->second.attr_sums.empty()) {
      put(out, ",\"attrs\":{{");
      bool first_attr = true;
      for (const auto& [key, value] : entry->second.attr_sums) {
        put(out, "{}{}:{}", first_attr ? "" : ",", json_string(key), json_number(value));
        first_attr = false;
      }
      put(out, "}}");
    }
    put(out, "}}");
    first = false;
  }
}

void put_phases(fmt::memory_buffer& out, const Summary& s) {
  bool first = true;
  for (const auto* entry : sorted_by_name(s.phases)) {
    put(out, "{}{}:{{\"wall_ns\":{},\"spans\":{},\"occurrences\":{}{}}}", first ? "" : ",",
        json_string(entry->first), entry->second.wall_ns, entry->second.spans, entry->second.occurrences,
        entry->second.open ? ",\"open\":true" : "");
    first = false;
  }
}

// The program's counters by name, each over all its series, as run_summary.json totals them.
void put_counters(fmt::memory_buffer& out, const Summary& s) {
  const double wall_s = static_cast<double>(s.wall_ns()) / 1e9;
  bool first = true;
  for (const auto& [name, counter] : program_counter_totals(s)) {
    const double total = counter.value();
    put(out, "{}{}:{{\"total\":{},\"rate_per_s\":{}}}", first ? "" : ",", json_string(name),
        json_number(total), wall_s > 0 ? json_number(total / wall_s) : "null");
    first = false;
  }
}

void put_gauges(fmt::memory_buffer& out, const Summary& s) {
  bool first = true;
  for (const auto* entry : sorted_by_name(s.gauges)) {
    const auto& g = entry->second;
    put(out, "{}{}:{{\"last\":{},\"min\":{},\"max\":{},\"sets\":{}}}", first ? "" : ",",
        json_string(entry->first), optional_number(g.last), optional_number(g.min), optional_number(g.max),
        g.sets);
    first = false;
  }
}

// One series' figures: a counter's total and rate, a gauge's last, min, max and sets, a histogram's count,
// sum, min, percentiles and max (to a bucket's width, within 1%).
void put_series_figures(fmt::memory_buffer& out, const ListedSeries& series, double wall_s) {
  if (series.counter != nullptr) {
    const double total = series.counter->value();
    put(out, "\"total\":{},\"rate_per_s\":{}", json_number(total),
        wall_s > 0 ? json_number(total / wall_s) : "null");
  } else if (series.gauge != nullptr) {
    const GaugeStats& g = *series.gauge;
    put(out, "\"last\":{},\"min\":{},\"max\":{},\"sets\":{}", optional_number(g.last), optional_number(g.min),
        optional_number(g.max), g.sets);
  } else {
    const Histogram& h = *series.histogram;
    put(out, "\"count\":{},\"sum\":{},\"min\":{},\"p50\":{},\"p90\":{},\"p99\":{},\"max\":{}", h.count(),
        h.sum(), h.min(), h.percentile(0.5), h.percentile(0.9), h.percentile(0.99), h.max());
  }
}

// Every metric of one side (the program's or the vitals) with its kind, unit, description and series.
void put_metrics(fmt::memory_buffer& out, const Summary& s, bool vitals) {
  const double wall_s = static_cast<double>(s.wall_ns()) / 1e9;
  bool first = true;
  for (const ListedMetric& metric : list_metrics(s, vitals)) {
    put(out, "{}{{\"name\":{},\"kind\":\"{}\",\"unit\":{},\"description\":{},\"series\":[", first ? "" : ",",
        json_string(metric.name), metric_kind_name(metric.kind), json_string(metric.unit()),
        json_string(metric.description()));
    for (std::size_t i = 0; i < metric.series.size(); ++i) {
      const ListedSeries& series = metric.series[i];
      std::string labels;
      if (series.labels != nullptr)
        append_attrs_json(labels, *series.labels);
      else
        labels = "{}";
      put(out, "{}{{\"labels\":{},", i ? "," : "", labels);
      put_series_figures(out, series, wall_s);
      put(out, "}}");
    }
    put(out, "]}}");
    first = false;
  }
}

// With group_by naming one attribute: the labelled metrics per value of that label, and the series without
// it.
void put_metric_groups(fmt::memory_buffer& out, const Summary& s) {
  const std::string& label = s.group_keys.front();
  const MetricGroups groups = group_metrics_by_label(s, label);
  put(out, "{{\"label\":{},\"groups\":{{", json_string(label));
  bool first_group = true;
  for (const auto& [value, group] : groups.by_value) {
    put(out, "{}{}:{{\"counters\":{{", first_group ? "" : ",", json_string(value));
    bool first = true;
    for (const auto& [name, counter] : group.counters) {
      put(out, "{}{}:{}", first ? "" : ",", json_string(name), json_number(counter.value()));
      first = false;
    }
    put(out, "}},\"gauges\":{{");
    first = true;
    for (const auto& [name, g] : group.gauges) {
      put(out, "{}{}:{{\"last\":{},\"min\":{},\"max\":{},\"sets\":{}}}", first ? "" : ",", json_string(name),
          optional_number(g.last), optional_number(g.min), optional_number(g.max), g.sets);
      first = false;
    }
    put(out, "}},\"histograms\":{{");
    first = true;
    for (const auto& [name, h] : group.histograms) {
      ListedSeries series;
      series.histogram = &h;
      put(out, "{}{}:{{", first ? "" : ",", json_string(name));
      put_series_figures(out, series, 0);
      put(out, "}}");
      first = false;
    }
    put(out, "}}}}");
    first_group = false;
  }
  put(out, "}},\"without_label\":[");
  for (std::size_t i = 0; i < groups.without_label.size(); ++i)
    put(out, "{}{}", i ? "," : "", json_string(groups.without_label[i]));
  put(out, "]}}");
}

void put_events(fmt::memory_buffer& out, const Summary& s) {
  bool first = true;
  for (const auto* entry : sorted_by_name(s.events)) {
    put(out, "{}{}:{}", first ? "" : ",", json_string(entry->first), entry->second);
    first = false;
  }
}

// Lines per level, then the warn and error sites, each level's most lines first.
void put_logs(fmt::memory_buffer& out, const Summary& s) {
  for (std::size_t i = 0; i < kLogLevels; ++i)
    put(out, "\"{}\":{},", kLogLevelNames[i], s.logs.count(static_cast<LogLevel>(i)));
  put(out, "\"sites\":[");
  bool first = true;
  for (const LogLevel level : {LogLevel::error, LogLevel::warn}) {
    for (const LogSite* site : s.logs.sites_by_count(level)) {
      put(out,
          "{}{{\"level\":\"{}\",\"file\":{},\"line\":{},\"count\":{},\"last_ts\":{},\"last_message\":{}}}",
          first ? "" : ",", log_level_name(level), json_string(site->file), site->line, site->count,
          site->last_ts, json_string(site->last_message));
      first = false;
    }
  }
  put(out, "]");
}

void put_threads(fmt::memory_buffer& out, const Summary& s) {
  for (std::size_t i = 0; i < s.threads.size(); ++i) {
    const auto& t = s.threads[i];
    put(out, "{}{{\"run_id\":{},\"tid\":{},\"name\":{},\"spans\":{}}}", i ? "," : "", json_string(t.run_id),
        t.tid, json_string(t.name), t.spans);
  }
}

void put_unnamed_drops(fmt::memory_buffer& out, const Summary& s) {
  for (std::size_t i = 0; i < s.unnamed_drops.size(); ++i) {
    const auto& u = s.unnamed_drops[i];
    put(out, "{}{{\"run_id\":{},\"tid\":{},\"spans\":{},\"events\":{},\"footer_only\":{}}}", i ? "," : "",
        json_string(u.run_id), u.footer_only ? "null" : fmt::format("{}", u.tid), u.spans, u.events,
        u.footer_only);
  }
}

void put_open_spans(fmt::memory_buffer& out, const Summary& s) {
  for (std::size_t i = 0; i < s.open_spans.size(); ++i) {
    const auto& o = s.open_spans[i];
    put(out,
        "{}{{\"run_id\":{},\"span_id\":{},\"name\":{},\"tid\":{},\"thread\":{},\"start_ts\":{},\"open_ns\":{}"
        "}}",
        i ? "," : "", json_string(o.run_id), o.span_id, json_string(o.name), o.tid,
        json_string(o.thread_name), o.start_ts, o.open_ns);
  }
}

}  // namespace

std::string summary_json(const Summary& s) {
  fmt::memory_buffer out;
  put(out, "{{\"runs\":[");
  put_runs(out, s);
  const std::optional<InstrumentationCost> cost = instrumentation_cost(s);
  std::string group_keys;
  for (const std::string& key : s.group_keys)
    group_keys += (group_keys.empty() ? "" : ",") + json_string(key);
  put(out, "],\"wall_ns\":{},\"group_by\":{},\"group_keys\":[{}],\"raw_self_time\":{},\"spans\":[",
      s.wall_ns(), s.group_by.empty() ? "null" : json_string(s.group_by), group_keys, s.raw_self_time);
  put_spans(out, s, cost);
  put(out, "],\"ungrouped_spans\":{},\"phases\":{{", s.ungrouped_spans);
  put_phases(out, s);
  put(out, "}},\"counters\":{{");
  put_counters(out, s);
  put(out, "}},\"gauges\":{{");
  put_gauges(out, s);
  put(out, "}},\"metrics\":[");
  put_metrics(out, s, false);
  put(out, "],\"vitals\":[");
  put_metrics(out, s, true);
  put(out, "],\"metric_overflow\":{},\"metric_groups\":", s.metric_overflow);
  if (s.group_keys.size() != 1)
    put(out, "null");
  else
    put_metric_groups(out, s);
  put(out, ",\"events\":{{");
  put_events(out, s);
  put(out, "}},\"logs\":{{");
  put_logs(out, s);
  put(out, "}},\"threads\":[");
  put_threads(out, s);
  put(out,
      "],\"dropped\":{{\"spans\":{},\"events\":{},\"metrics\":{},\"attrs\":{},\"async_ends\":{},"
      "\"span_names\":{},\"event_names\":{},\"unnamed\":[",
      s.dropped.spans, s.dropped.events, s.dropped.metrics, s.dropped.attrs, s.dropped.async_ends,
      names_json(s.dropped_span_names), names_json(s.dropped_event_names));
  put_unnamed_drops(out, s);
  put(out,
      "]}},\"unwritten_records\":{},\"rings_grown\":{},\"largest_ring\":{},\"sampled_out\":{},\"total_"
      "spans\":{},"
      "\"total_events\":{},\"records\":{},\"open_spans\":[",
      s.unwritten_records, s.rings_grown, s.largest_ring, s.sampled_out, s.total_spans, s.total_events,
      s.records);
  put_open_spans(out, s);
  put(out, "]}}\n");
  return fmt::to_string(out);
}

// The shape the recorder writes at stop() (docs/format.md, "run_summary.json"), so that a regenerated file
// reads like the original: spans counted when they start (open ones included), a phase's spans without
// phases, a thread's name only when it has one.
std::string run_summary_json(const Summary& s) {
  const RunInfo empty;
  const RunInfo& run = s.runs.empty() ? empty : s.runs.front();
  // The recorder counts statistics-mode spans apart from the others, per run and per thread.
  std::uint64_t statistics = 0;
  for (const ThreadInfo& t : s.threads) statistics += t.statistics;
  fmt::memory_buffer out;
  put(out, "{{\"run_id\":{},\"schema\":1,\"start_ts\":{},\"total_wall_ns\":{},\"phases\":{{",
      json_string(run.run_id), run.start_ts, run.wall_ns);
  bool first = true;
  for (const auto* entry : sorted_by_name(s.phases)) {
    put(out, "{}{}:{{\"wall_ns\":{},\"spans\":{}{}}}", first ? "" : ",", json_string(entry->first),
        entry->second.wall_ns, entry->second.spans, entry->second.open ? ",\"open\":true" : "");
    first = false;
  }
  put(out,
      "}},\"totals\":{{\"spans\":{},\"events\":{},\"stats_spans\":{},\"records\":{},\"dropped\":{},"
      "\"unwritten_records\":{},\"rings_grown\":{},\"largest_ring\":{},\"open_spans\":{},\"counters\":{{",
      s.total_spans - statistics + s.open_spans.size(), s.total_events, statistics, s.records,
      s.dropped.total(), s.unwritten_records, s.rings_grown, s.largest_ring, s.open_spans.size());
  first = true;
  for (const auto& [name, counter] : program_counter_totals(s)) {
    put(out, "{}{}:{}", first ? "" : ",", json_string(name), json_number(counter.value()));
    first = false;
  }
  put(out, "}}}},\"threads\":[");
  for (std::size_t i = 0; i < s.threads.size(); ++i) {
    const auto& t = s.threads[i];
    put(out, "{}{{\"tid\":{}{},\"spans\":{}}}", i ? "," : "", t.tid,
        t.name.empty() ? "" : ",\"name\":" + json_string(t.name), t.spans - t.statistics);
  }
  put(out, "]}}\n");
  return fmt::to_string(out);
}

}  // namespace spanlog::reader
