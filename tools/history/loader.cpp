#include "history/loader.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <unordered_map>

#include <fmt/format.h>

#include "history/attrs_json.hpp"
#include "history/schema.hpp"
#include "reader/aggregator.hpp"
#include "reader/histogram.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/metric_series.hpp"
#include "reader/span_assembler.hpp"
#include "reader/units.hpp"

namespace spanlog::history {
namespace {

using reader::Histogram;

// Ids above 2^63 keep their bits in a signed column; the replay casts them back.
std::int64_t as_signed(std::uint64_t value) {
  return static_cast<std::int64_t>(value);
}

// What the reader reports for a percentile landing in this value's bucket (before it is kept in [min, max]).
std::uint64_t bucket_midpoint(std::uint64_t value) {
  const std::size_t bucket = Histogram::bucket_of(value);
  const std::uint64_t low = Histogram::bucket_lower_bound(bucket),
                      high = Histogram::bucket_upper_bound(bucket);
  return low + (high - low) / 2;
}

struct AlreadyLoaded {};

class LoadingSink : public reader::RecordSink {
 public:
  // The source is stored resolved, so that `latest` names the run it was, not the newest one.
  LoadingSink(Store& store, const std::filesystem::path& file)
      : store_(store), file_(std::filesystem::weakly_canonical(file)) {
    times_.begin_run(file_);
  }

  LoadResult result;
  std::uint64_t max_ts = 0;
  std::string footer_json;
  bool has_header = false;
  std::uint64_t start_ts = 0;

  void on_header(const reader::HeaderRecord& r, std::uint64_t line) override {
    if (has_header) throw HistoryError(fmt::format("{}:{}: a second header", file_.string(), line));
    has_header = true;
    times_.on_header(r, line);
    start_ts = r.start_ts;
    for (const reader::MetricInfoRecord& info : r.metrics)
      metric_info_[std::string(info.name)] = {std::string(info.unit), std::string(info.description)};
    result.run_id = std::string(r.run_id);
    store_.begin_write();
    in_transaction_ = true;
    const std::vector<std::string> identity = {std::string(r.run_id), std::string(r.host),
                                               fmt::format("{}", r.start_ts)};
    if (store_.dialect() == Dialect::postgresql)
      store_.query("SELECT pg_advisory_xact_lock(hashtext($1 || ' ' || $2 || ' ' || $3))", identity);
    const QueryResult existing = store_.query(
        "SELECT run_key, status FROM runs WHERE run_id = $1 AND host = $2 AND start_ts = $3", identity);
    if (!existing.rows.empty()) {
      // A run that ended (its footer or its crash record is in the file) is final; one that was running or
      // seemed to have died may have grown since.
      if (existing.rows[0][1] != "running" && existing.rows[0][1] != "died") throw AlreadyLoaded{};
      // Loaded while it was being written: replaced by what the file holds now.
      const std::string key = *existing.rows[0][0];
      for (const char* table :
           {"threads", "events", "counters", "gauges", "phases", "dropped", "span_times", "span_stats_lines",
            "span_stats_buckets", "logs", "histograms", "histogram_buckets", "metric_info"})
        store_.query(fmt::format("DELETE FROM {} WHERE run_key = $1", table), {key});
      const std::int64_t run_key = std::stoll(key);
      store_.query("DELETE FROM spans WHERE span_row >= $1 AND span_row < $2",
                   {fmt::format("{}", span_row(run_key, 0)), fmt::format("{}", span_row(run_key + 1, 0))});
      store_.query("DELETE FROM runs WHERE run_key = $1", {key});
      result.outcome = LoadResult::Outcome::completed;
    }
    std::string options = "{\"schema\":";
    fmt::format_to(std::back_inserter(options), "{},\"schema_minor\":{},\"clock_source\":", r.schema,
                   r.schema_minor);
    append_json_string(options, r.clock_source);
    if (r.flush_interval_ms)
      fmt::format_to(std::back_inserter(options), ",\"flush_interval_ms\":{}", *r.flush_interval_ms);
    if (r.ring_bytes) fmt::format_to(std::back_inserter(options), ",\"ring_bytes\":{}", *r.ring_bytes);
    if (r.ring_max_bytes)
      fmt::format_to(std::back_inserter(options), ",\"ring_max_bytes\":{}", *r.ring_max_bytes);
    if (r.overhead)
      fmt::format_to(std::back_inserter(options),
                     ",\"overhead\":{{\"span_ns\":{},\"span_ticks\":{},\"clock_ns\":{},\"clock_ticks\":{},"
                     "\"in_span_ns\":{},\"in_parent_ns\":{}}}",
                     reader::json_number(r.overhead->span_ns), reader::json_number(r.overhead->span_ticks),
                     reader::json_number(r.overhead->clock_ns), reader::json_number(r.overhead->clock_ticks),
                     reader::json_number(r.overhead->in_span_ns),
                     reader::json_number(r.overhead->in_parent_ns));
    options += '}';
    std::string attrs;
    append_attrs_json(attrs, r.attrs);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const QueryResult inserted = store_.query(
        "INSERT INTO runs (run_id, host, process, pid, version, start_ts, end_ts, wall_ns, status, options, "
        "attrs, source, lines, records, bytes, header_line, loaded_at) VALUES ($1, $2, $3, $4, $5, "
        "$6, $6, 0, 'loading', $7, $8, $9, 0, 0, 0, $10, $11) RETURNING run_key",
        {std::string(r.run_id), std::string(r.host), std::string(r.process), fmt::format("{}", r.pid),
         std::string(r.version), fmt::format("{}", r.start_ts), options, attrs, file_.string(),
         fmt::format("{}", line),
         fmt::format("{}", std::chrono::duration_cast<std::chrono::seconds>(now).count())});
    result.run_key = std::stoll(*inserted.rows.at(0).at(0));
    open_appenders();
  }

  // Every table's row starts with its run and its line; the record's time widens the run's span of time.
  // The table is taken as its owner: before the header there is no table yet, only the error to report.
  RowAppender& begin_row(const std::unique_ptr<RowAppender>& owner, std::uint64_t line, std::uint64_t ts) {
    require_header(line);
    saw(ts);
    RowAppender& table = *owner;
    table.integer(result.run_key);
    table.integer(as_signed(line));
    return table;
  }

  void on_thread(const reader::ThreadRecord& r, std::uint64_t line) override {
    times_.on_thread(r, line);
    auto& a = begin_row(threads_, line, r.ts);
    a.integer(as_signed(r.tid));
    r.name ? a.text(*r.name) : a.null();
    a.integer(as_signed(r.ts));
    a.integer(r.exited ? 1 : 0);
    end_row(a);
  }

  void on_span(const reader::SpanRecord& r, std::uint64_t line) override {
    times_.on_span(r, line);
    require_header(line);
    saw(r.ts + r.dur_ns);
    attrs_text_.clear();
    append_attrs_json(attrs_text_, r.attrs);
    write_span(as_signed(r.span_id), r.parent, r.name, r.tid, r.end_tid.value_or(r.tid), r.ts, r.dur_ns,
               r.error ? "error" : "ok", r.message, r.is_phase, r.is_async, attrs_text_, line, std::nullopt,
               r.stats_ns);
  }

  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t line) override {
    times_.on_span_start(r, line);
    require_header(line);
    saw(r.ts);
    assembler_.start(r);
    start_lines_[r.span_id] = line;
  }

  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t line) override {
    times_.on_span_end(r, line);
    require_header(line);
    saw(r.ts);
    auto span = assembler_.end(r);
    const auto start = start_lines_.find(r.span_id);
    if (!span || start == start_lines_.end()) return;  // an end without a start: the reader counts it, not us
    const std::uint64_t start_line = start->second;
    start_lines_.erase(start);
    write_whole(*span, span->error ? "error" : "ok", start_line, line, r.stats_ns);
  }

  void on_span_stats(const reader::SpanStatsRecord& r, std::uint64_t line) override {
    times_.on_span_stats(r, line);
    auto& a = begin_row(span_stats_lines_, line, r.ts);
    a.text(r.name);
    a.integer(as_signed(r.tid));
    a.integer(as_signed(r.ts));
    a.integer(as_signed(r.count));
    a.integer(as_signed(r.total_ns));
    a.integer(as_signed(r.self_ns));
    // The appender may keep a view of the text until the row ends.
    buckets_text_ = "[";
    for (const auto& bucket : r.buckets)
      fmt::format_to(std::back_inserter(buckets_text_), "{}[{},{}]", buckets_text_.size() > 1 ? "," : "",
                     bucket.lower_ns, bucket.count);
    buckets_text_ += ']';
    a.text(buckets_text_);
    end_row(a);
    auto& buckets = stats_buckets_[std::string(r.name)];
    for (const auto& bucket : r.buckets) buckets[Histogram::bucket_of(bucket.lower_ns)] += bucket.count;
  }

  void on_instant(const reader::InstantRecord& r, std::uint64_t line) override {
    times_.on_instant(r, line);
    auto& a = begin_row(events_, line, r.ts);
    a.text(r.name);
    a.integer(as_signed(r.tid));
    a.integer(as_signed(r.ts));
    r.parent ? a.integer(as_signed(*r.parent)) : a.null();
    attrs_text_.clear();
    append_attrs_json(attrs_text_, r.attrs);
    a.text(attrs_text_);
    end_row(a);
  }

  void on_log(const reader::LogRecord& r, std::uint64_t line) override {
    times_.on_log(r, line);
    auto& a = begin_row(logs_, line, r.ts);
    a.integer(as_signed(r.tid));
    a.integer(as_signed(r.ts));
    a.text(reader::log_level_name(r.level));
    r.span_id != 0 ? a.integer(as_signed(r.span_id)) : a.null();
    a.text(r.message);
    attrs_text_.clear();
    if (!r.attrs.empty()) append_attrs_json(attrs_text_, r.attrs);
    attrs_text_.empty() ? a.null() : a.text(attrs_text_);
    r.site_file.empty() ? a.null() : a.text(r.site_file);
    r.site_line != 0 ? a.integer(as_signed(r.site_line)) : a.null();
    end_row(a);
  }

  void on_counter(const reader::CounterRecord& r, std::uint64_t line) override {
    times_.on_counter(r, line);
    auto& a = begin_row(counters_, line, r.ts);
    a.text(r.name);
    a.integer(as_signed(r.tid));
    a.integer(as_signed(r.ts));
    a.real(r.delta.is_integer ? static_cast<double>(r.delta.as_integer) : r.delta.as_double);
    r.delta.is_integer ? a.integer(r.delta.as_integer) : a.null();
    labels_cell(a, r.labels);
    end_row(a);
  }

  void on_gauge(const reader::GaugeRecord& r, std::uint64_t line) override {
    times_.on_gauge(r, line);
    auto& a = begin_row(gauges_, line, r.ts);
    a.text(r.name);
    a.integer(as_signed(r.tid));
    a.integer(as_signed(r.ts));
    a.optional_real(r.value);
    a.optional_real(r.min);
    a.optional_real(r.max);
    a.integer(as_signed(r.count));
    labels_cell(a, r.labels);
    end_row(a);
  }

  void on_histogram(const reader::HistogramRecord& r, std::uint64_t line) override {
    times_.on_histogram(r, line);
    auto& a = begin_row(histograms_, line, r.ts);
    a.text(r.name);
    r.tid ? a.integer(as_signed(*r.tid)) : a.null();
    a.integer(as_signed(r.ts));
    a.integer(as_signed(r.sum));
    a.integer(as_signed(r.count));
    buckets_text_ = "[";
    for (const auto& bucket : r.buckets)
      fmt::format_to(std::back_inserter(buckets_text_), "{}[{},{}]", buckets_text_.size() > 1 ? "," : "",
                     bucket.lower_ns, bucket.count);
    buckets_text_ += ']';
    a.text(buckets_text_);
    labels_cell(a, r.labels);
    label_text_ = reader::label_text(r.labels);
    a.text(label_text_);
    end_row(a);
    auto& buckets = histogram_buckets_[{std::string(r.name), label_text_}];
    for (const auto& bucket : r.buckets) buckets[Histogram::bucket_of(bucket.lower_ns)] += bucket.count;
  }

  void on_metric_info(const reader::MetricInfoRecord& r, std::uint64_t line) override {
    times_.on_metric_info(r, line);
    metric_info_[std::string(r.name)] = {std::string(r.unit), std::string(r.description)};
  }

  void on_phase(const reader::PhaseRecord& r, std::uint64_t line) override {
    times_.on_phase(r, line);
    auto& a = begin_row(phases_, line, r.end_ts);
    a.text(r.name);
    r.span_id ? a.integer(as_signed(*r.span_id)) : a.null();
    a.integer(as_signed(r.ts));
    a.integer(as_signed(r.end_ts));
    a.integer(as_signed(r.wall_ns));
    end_row(a);
  }

  // Not stored: a ring's growths are counted by the footer (a crashed run's are in its file only).
  void on_ring_grown(const reader::RingGrownRecord& r, std::uint64_t line) override {
    times_.on_ring_grown(r, line);
  }

  void on_dropped(const reader::DroppedRecord& r, std::uint64_t line) override {
    times_.on_dropped(r, line);
    auto& a = begin_row(dropped_, line, r.ts);
    a.integer(as_signed(r.tid));
    a.integer(as_signed(r.ts));
    for (const std::uint64_t count :
         {r.counts.spans, r.counts.events, r.counts.metrics, r.counts.attrs, r.counts.async_ends})
      a.integer(as_signed(count));
    a.text(r.reason);
    // The appender may keep a view of the text until the row ends: the texts live in members.
    for (std::size_t i = 0; i < 2; ++i) {
      const reader::NamedCounts names = i == 0 ? r.span_names : r.event_names;
      if (names.empty()) {
        a.null();
        continue;
      }
      std::string& json = names_text_[i];
      json = "{";
      for (const auto& n : names) {
        if (json.size() > 1) json += ',';
        append_json_string(json, n.name);
        fmt::format_to(std::back_inserter(json), ":{}", n.count);
      }
      json += '}';
      a.text(json);
    }
    end_row(a);
  }

  void on_footer(const reader::FooterRecord& r, std::uint64_t line) override {
    times_.on_footer(r, line);
    require_header(line);
    footer_ts_ = r.ts;
    footer_wall_ns_ = r.wall_ns;
    footer_json = fmt::format(
        "{{\"line\":{},\"ts\":{},\"wall_ns\":{},\"records\":{},\"spans\":{},\"events\":{},\"sampled_out\":{},"
        "\"open_spans\":{},\"unwritten_records\":{},\"rings_grown\":{},\"largest_ring\":{},\"dropped\":{{"
        "\"spans\":{},\"events\":{},\"metrics\":{},\"attrs\":{},\"async_ends\":{}}}}}",
        line, r.ts, r.wall_ns, r.records, r.spans, r.events, r.sampled_out, r.open_spans, r.unwritten_records,
        r.rings_grown, r.largest_ring, r.dropped.spans, r.dropped.events, r.dropped.metrics, r.dropped.attrs,
        r.dropped.async_ends);
    if (r.stats_spans != 0) {
      footer_json.pop_back();
      fmt::format_to(std::back_inserter(footer_json), ",\"stats_spans\":{}}}", r.stats_spans);
    }
    if (r.metric_overflow != 0) {
      footer_json.pop_back();
      fmt::format_to(std::back_inserter(footer_json), ",\"metric_overflow\":{}}}", r.metric_overflow);
    }
    if (!r.stopped_by.empty()) {
      footer_json.pop_back();
      footer_json += ",\"stopped_by\":";
      append_json_string(footer_json, r.stopped_by);
      footer_json += '}';
    }
  }

  void on_crash(const reader::CrashRecord& r, std::uint64_t line) override {
    times_.on_crash(r, line);
    require_header(line);
    saw(r.ts);
    crash_json_ = fmt::format("{{\"line\":{},\"signal\":{},\"name\":", line, r.signal);
    append_json_string(crash_json_, r.name);
    crash_json_ += ",\"reason\":";
    append_json_string(crash_json_, r.reason);
    fmt::format_to(std::back_inserter(crash_json_), ",\"tid\":{},\"ts\":{}}}", r.tid, r.ts);
  }

  // After the whole file: the spans still open, the run's totals, commit.
  void finish(const reader::ReadReport& report) {
    if (!has_header) throw HistoryError(fmt::format("{}: no header line: not a spanlog run", file_.string()));
    write_span_times(report);
    std::uint64_t end_ts = std::max(max_ts, start_ts);
    std::uint64_t wall_ns = end_ts - start_ts;
    if (!footer_json.empty()) {
      if (footer_ts_ != 0) end_ts = footer_ts_;
      if (footer_wall_ns_ != 0) wall_ns = footer_wall_ns_;
    }
    for (const auto& span : assembler_.still_open(end_ts))
      write_whole(span, "open", start_lines_.at(span.span_id), std::nullopt);
    for (auto* appender :
         {threads_.get(), spans_.get(), events_.get(), counters_.get(), gauges_.get(), phases_.get(),
          dropped_.get(), span_stats_lines_.get(), logs_.get(), histograms_.get()})
      appender->finish();
    write_metric_tables();
    result.complete = !footer_json.empty();
    // The run's state as every view says it (reader/run_state.hpp), decided by the reader's aggregator.
    const std::string status = times_.summary().runs.back().state.word();
    std::vector<std::string> values = {fmt::format("{}", as_signed(end_ts)),
                                       fmt::format("{}", as_signed(wall_ns)),
                                       status,
                                       fmt::format("{}", report.lines),
                                       fmt::format("{}", report.records),
                                       fmt::format("{}", report.bytes),
                                       report.torn_last_line.value_or(""),
                                       fmt::format("{}", result.run_key)};
    // JSON columns get a parameter only when there is a value: NULL otherwise (a text NULLIF would not be
    // JSON to PostgreSQL).
    auto json_value = [&values](const std::string& json) {
      if (json.empty()) return std::string("NULL");
      values.push_back(json);
      return fmt::format("${}", values.size());
    };
    const std::string footer = json_value(footer_json), crash = json_value(crash_json_);
    store_.query(
        fmt::format("UPDATE runs SET end_ts = $1, wall_ns = $2, status = $3, lines = $4, records = $5, "
                    "bytes = $6, torn_last_line = NULLIF($7, ''), footer = {}, crash = {} WHERE run_key = $8",
                    footer, crash),
        values);
    store_.commit();
    in_transaction_ = false;
  }

  void abandon() {
    if (in_transaction_) store_.rollback();
    in_transaction_ = false;
  }

 private:
  // Self and parallel time as the reader works them out (reader/self_time.hpp), per span name.
  // A metric line's labels as a JSON object, NULL when it had none.
  void labels_cell(RowAppender& a, reader::Labels labels) {
    labels_json_.clear();
    if (!labels.empty()) append_attrs_json(labels_json_, labels);
    labels_json_.empty() ? a.null() : a.text(labels_json_);
  }

  // The metric histograms' merged buckets, for the histogram_stats view, and the metrics' units.
  void write_metric_tables() {
    const auto buckets = store_.append_rows(
        "histogram_buckets", {"run_key", "name", "labels", "lower", "upper", "middle", "count"});
    for (const auto& [series, counts] : histogram_buckets_)
      for (const auto& [bucket, count] : counts) {
        buckets->integer(result.run_key);
        buckets->text(series.first);
        buckets->text(series.second);
        const std::uint64_t lower = Histogram::bucket_lower_bound(bucket);
        buckets->integer(as_signed(lower));
        buckets->integer(as_signed(Histogram::bucket_upper_bound(bucket)));
        buckets->integer(as_signed(bucket_midpoint(lower)));
        buckets->integer(as_signed(count));
        end_row(*buckets);
      }
    buckets->finish();
    const auto infos = store_.append_rows("metric_info", {"run_key", "name", "unit", "description"});
    for (const auto& [name, info] : metric_info_) {
      infos->integer(result.run_key);
      infos->text(name);
      infos->text(info.first);
      infos->text(info.second);
      end_row(*infos);
    }
    infos->finish();
  }

  void write_span_times(const reader::ReadReport& report) {
    times_.end_run(report);
    const auto table =
        store_.append_rows("span_times", {"run_key", "name", "self_ns", "raw_self_ns", "parallel_ns"});
    for (const auto& [name, stats] : times_.summary().spans) {
      table->integer(result.run_key);
      table->text(name);
      table->integer(as_signed(stats.self_ns));
      table->integer(as_signed(stats.raw_self_ns));
      table->integer(as_signed(stats.parallel_ns));
      end_row(*table);
    }
    table->finish();
    // The statistics-mode spans' buckets, merged per name, for the span_stats view.
    const auto buckets = store_.append_rows(
        "span_stats_buckets", {"run_key", "name", "lower_ns", "upper_ns", "middle_ns", "count"});
    for (const auto& [name, counts] : stats_buckets_)
      for (const auto& [bucket, count] : counts) {
        buckets->integer(result.run_key);
        buckets->text(name);
        const std::uint64_t lower = Histogram::bucket_lower_bound(bucket);
        buckets->integer(as_signed(lower));
        buckets->integer(as_signed(Histogram::bucket_upper_bound(bucket)));
        buckets->integer(as_signed(bucket_midpoint(lower)));
        buckets->integer(as_signed(count));
        end_row(*buckets);
      }
    buckets->finish();
  }

  void require_header(std::uint64_t line) const {
    if (!has_header)
      throw HistoryError(
          fmt::format("{}:{}: a record before the header: not a spanlog run", file_.string(), line));
  }
  void saw(std::uint64_t ts) { max_ts = std::max(max_ts, ts); }
  void end_row(RowAppender& appender) {
    appender.end_row();
    ++result.rows;
  }

  void open_appenders() {
    threads_ = store_.append_rows("threads", {"run_key", "line", "tid", "name", "ts", "exited"});
    spans_ =
        store_.append_rows("spans", {"span_row", "run_key", "span_id", "parent_id", "name", "tid", "end_tid",
                                     "start_ts", "dur_ns", "duration_bucket_ns", "status", "message",
                                     "is_phase", "is_async", "attrs", "start_line", "end_line", "stats_ns"});
    events_ = store_.append_rows("events", {"run_key", "line", "name", "tid", "ts", "parent_id", "attrs"});
    counters_ = store_.append_rows(
        "counters", {"run_key", "line", "name", "tid", "ts", "delta", "delta_integer", "labels"});
    gauges_ = store_.append_rows(
        "gauges", {"run_key", "line", "name", "tid", "ts", "value", "min", "max", "count", "labels"});
    histograms_ = store_.append_rows("histograms", {"run_key", "line", "name", "tid", "ts", "sum", "count",
                                                    "buckets", "labels", "label_text"});
    phases_ =
        store_.append_rows("phases", {"run_key", "line", "name", "span_id", "start_ts", "end_ts", "wall_ns"});
    dropped_ = store_.append_rows("dropped", {"run_key", "line", "tid", "ts", "spans", "events", "metrics",
                                              "attrs", "async_ends", "reason", "span_names", "event_names"});
    span_stats_lines_ = store_.append_rows("span_stats_lines", {"run_key", "line", "name", "tid", "ts",
                                                                "count", "total_ns", "self_ns", "buckets"});
    logs_ = store_.append_rows("logs", {"run_key", "line", "tid", "ts", "level", "span_id", "msg", "attrs",
                                        "site_file", "site_line"});
  }

  void write_whole(const reader::WholeSpan& span, std::string_view status, std::uint64_t start_line,
                   std::optional<std::uint64_t> end_line, std::uint64_t stats_ns = 0) {
    attrs_text_.clear();
    append_attrs_json(attrs_text_, span.attrs);
    write_span(as_signed(span.span_id), span.parent, span.name, span.tid, span.end_tid, span.start_ts,
               span.dur_ns, status, span.message, span.is_phase, span.is_async, attrs_text_, start_line,
               end_line ? std::optional<std::uint64_t>(*end_line) : std::nullopt, stats_ns);
    if (!end_line) ++open_written_;
  }

  void write_span(std::int64_t span_id, std::optional<std::uint64_t> parent, std::string_view name,
                  std::uint64_t tid, std::uint64_t end_tid, std::uint64_t start, std::uint64_t dur_ns,
                  std::string_view status, std::string_view message, bool is_phase, bool is_async,
                  std::string_view attrs, std::uint64_t start_line, std::optional<std::uint64_t> end_line,
                  std::uint64_t stats_ns) {
    // Numbered in the order written, not by line: the rows of one `spans` line are many spans.
    if (++span_rows_written_ >> kSpanRowLineBits != 0)
      throw HistoryError(fmt::format("{}:{}: too many spans for the history", file_.string(), start_line));
    auto& a = *spans_;
    a.integer(span_row(result.run_key, span_rows_written_));
    a.integer(result.run_key);
    a.integer(span_id);
    parent ? a.integer(as_signed(*parent)) : a.null();
    a.text(name);
    a.integer(as_signed(tid));
    a.integer(as_signed(end_tid));
    a.integer(as_signed(start));
    a.integer(as_signed(dur_ns));
    a.integer(as_signed(bucket_midpoint(dur_ns)));
    a.text(status);
    message.empty() ? a.null() : a.text(message);
    a.integer(is_phase ? 1 : 0);
    a.integer(is_async ? 1 : 0);
    attrs == "{}" ? a.null() : a.text(attrs);
    a.integer(as_signed(start_line));
    end_line ? a.integer(as_signed(*end_line)) : a.null();
    stats_ns != 0 ? a.integer(as_signed(stats_ns)) : a.null();
    end_row(a);
    ++result.spans;
  }

  Store& store_;
  std::filesystem::path file_;
  bool in_transaction_ = false;
  std::unique_ptr<RowAppender> threads_, spans_, events_, counters_, gauges_, phases_, dropped_,
      span_stats_lines_, logs_, histograms_;
  // The metric histograms' buckets per name and label text, and the metrics' units and descriptions.
  std::map<std::pair<std::string, std::string>, std::map<std::size_t, std::uint64_t>> histogram_buckets_;
  std::map<std::string, std::pair<std::string, std::string>> metric_info_;
  std::string label_text_, labels_json_;
  reader::SpanAssembler assembler_;
  reader::Aggregator times_;                                      // the reader's own figures, for span_times
  std::unordered_map<std::uint64_t, std::uint64_t> start_lines_;  // open span id -> its span_start's line
  std::string attrs_text_;
  std::string names_text_[2];  // a dropped line's span_names and event_names
  std::string buckets_text_;   // a span_stats line's buckets
  std::map<std::string, std::map<std::size_t, std::uint64_t>> stats_buckets_;  // name -> bucket -> count
  std::string crash_json_;
  std::uint64_t footer_ts_ = 0, footer_wall_ns_ = 0;
  std::uint64_t open_written_ = 0;
  std::uint64_t span_rows_written_ = 0;  // of this run: the low bits of the next span's span_row
};

}  // namespace

LoadResult load_run(Store& store, const std::filesystem::path& file) {
  prepare_for_writing(store);
  LoadingSink sink(store, file);
  try {
    const reader::ReadReport report = reader::read_file(file, sink);
    sink.finish(report);
  } catch (const AlreadyLoaded&) {
    sink.abandon();
    sink.result.outcome = LoadResult::Outcome::already_loaded;
    sink.result.complete = true;
    sink.result.rows = sink.result.spans = 0;
  } catch (...) {
    sink.abandon();
    throw;
  }
  return sink.result;
}

}  // namespace spanlog::history
