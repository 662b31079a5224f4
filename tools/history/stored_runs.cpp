#include "history/stored_runs.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <iterator>

#include <fmt/format.h>
#include <simdjson.h>

#include "history/attrs_json.hpp"
#include "history/schema.hpp"

namespace spanlog::history {
namespace {

using Cell = std::optional<std::string>;

std::uint64_t unsigned_of(const Cell& cell) {
  if (!cell) return 0;
  std::int64_t value = 0;
  std::from_chars(cell->data(), cell->data() + cell->size(), value);
  return static_cast<std::uint64_t>(value);  // ids above 2^63 were stored with their bits in a signed column
}
std::optional<std::uint64_t> optional_unsigned(const Cell& cell) {
  return cell ? std::optional<std::uint64_t>(unsigned_of(cell)) : std::nullopt;
}
std::optional<double> optional_double(const Cell& cell) {
  return cell ? std::optional<double>(std::stod(*cell)) : std::nullopt;
}
std::string_view text_of(const Cell& cell) {
  return cell ? std::string_view(*cell) : std::string_view();
}

simdjson::dom::element parse_object(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element element;
  if (parser.parse(simdjson::padded_string(json)).get(element) || !element.is_object())
    throw HistoryError(fmt::format("a stored JSON value is not an object: {}", json));
  return element;
}
std::uint64_t field(simdjson::dom::element object, std::string_view name) {
  std::uint64_t value = 0;
  if (object[name].get_uint64().get(value) != simdjson::SUCCESS) return 0;
  return value;
}

// Each table's columns as the replay selects them: an enum names the positions, the array beside it the
// columns, in the same order (checked by the static_asserts), so a cell is read by its name, never a number.
namespace run_column {
enum : std::size_t {
  run_id,
  host,
  process,
  pid,
  version,
  start_ts,
  options,
  attrs,
  source,
  lines,
  records,
  bytes,
  header_line,
  torn_last_line,
  footer,
  crash,
  count
};
constexpr const char* names[] = {"run_id",      "host",           "process", "pid",   "version", "start_ts",
                                 "options",     "attrs",          "source",  "lines", "records", "bytes",
                                 "header_line", "torn_last_line", "footer",  "crash"};
static_assert(std::size(names) == count);
}  // namespace run_column

namespace span_column {
enum : std::size_t {
  span_id,
  parent_id,
  name,
  tid,
  end_tid,
  start_ts,
  dur_ns,
  status,
  message,
  is_phase,
  is_async,
  attrs,
  start_line,
  end_line,
  stats_ns,
  count
};
constexpr const char* names[] = {"span_id",  "parent_id", "name",       "tid",      "end_tid",
                                 "start_ts", "dur_ns",    "status",     "message",  "is_phase",
                                 "is_async", "attrs",     "start_line", "end_line", "stats_ns"};
static_assert(std::size(names) == count);
}  // namespace span_column

// The other tables: `line` first (where the file had the record), then the record's own columns.
namespace thread_column {
enum : std::size_t { line, tid, name, ts, exited, count };
constexpr const char* names[] = {"line", "tid", "name", "ts", "exited"};
static_assert(std::size(names) == count);
}  // namespace thread_column
namespace event_column {
enum : std::size_t { line, name, tid, ts, parent_id, attrs, count };
constexpr const char* names[] = {"line", "name", "tid", "ts", "parent_id", "attrs"};
static_assert(std::size(names) == count);
}  // namespace event_column
namespace counter_column {
enum : std::size_t { line, name, tid, ts, delta, delta_integer, labels, count };
constexpr const char* names[] = {"line", "name", "tid", "ts", "delta", "delta_integer", "labels"};
static_assert(std::size(names) == count);
}  // namespace counter_column
namespace gauge_column {
enum : std::size_t { line, name, tid, ts, value, min, max, samples, labels, count };
constexpr const char* names[] = {"line", "name", "tid", "ts", "value", "min", "max", "count", "labels"};
static_assert(std::size(names) == count);
}  // namespace gauge_column
namespace phase_column {
enum : std::size_t { line, name, span_id, start_ts, end_ts, wall_ns, count };
constexpr const char* names[] = {"line", "name", "span_id", "start_ts", "end_ts", "wall_ns"};
static_assert(std::size(names) == count);
}  // namespace phase_column
namespace dropped_column {
enum : std::size_t {
  line,
  tid,
  ts,
  spans,
  events,
  metrics,
  attrs,
  async_ends,
  reason,
  span_names,
  event_names,
  count
};
constexpr const char* names[] = {"line",  "tid",        "ts",     "spans",      "events",     "metrics",
                                 "attrs", "async_ends", "reason", "span_names", "event_names"};
static_assert(std::size(names) == count);
}  // namespace dropped_column
namespace stats_column {
enum : std::size_t { line, name, tid, ts, samples, total_ns, self_ns, buckets, count };
constexpr const char* names[] = {"line", "name", "tid", "ts", "count", "total_ns", "self_ns", "buckets"};
static_assert(std::size(names) == count);
}  // namespace stats_column
namespace histogram_column {
enum : std::size_t { line, name, tid, ts, sum, samples, buckets, labels, count };
constexpr const char* names[] = {"line", "name", "tid", "ts", "sum", "count", "buckets", "labels"};
static_assert(std::size(names) == count);
}  // namespace histogram_column
namespace log_column {
enum : std::size_t { line, tid, ts, level, span_id, msg, attrs, site_file, site_line, count };
constexpr const char* names[] = {"line", "tid",   "ts",        "level",    "span_id",
                                 "msg",  "attrs", "site_file", "site_line"};
static_assert(std::size(names) == count);
}  // namespace log_column

template <std::size_t N>
std::string select_list(const char* const (&names)[N]) {
  std::string list;
  for (std::size_t i = 0; i < N; ++i) list += i ? std::string(", ") + names[i] : std::string(names[i]);
  return list;
}

// One record of a stored run, found by its table and row, at the line the file had it on.
struct Item {
  std::uint64_t line = 0;
  enum Kind {
    thread,
    span,
    span_start,
    span_end,
    event,
    counter,
    gauge,
    phase,
    dropped,
    span_stats,
    log,
    histogram
  } kind = thread;
  std::size_t row = 0;
  bool operator<(const Item& o) const { return line < o.line; }
};

// A stored run's rows, table by table.
struct StoredTables {
  QueryResult threads, spans, events, counters, gauges, phases, dropped, span_stats, logs, histograms;
};

// Replays a stored run into a sink as if its file were read: the header, every record in the order of the
// lines the file had them on, then the crash and the footer; into an aggregator, also what the reading saw.
class Replay {
 public:
  Replay(Store& store, std::int64_t run_key, bool with_attrs) : store_(store), with_attrs_(with_attrs) {
    key_ = fmt::format("{}", run_key);
  }

  void run(reader::Aggregator& aggregator) {
    const QueryResult run = run_row();
    const auto& r = run.rows[0];
    aggregator.begin_run(std::string(text_of(r[run_column::source])));
    replay_records(r, aggregator);
    aggregator.end_run(read_report_of(r));
  }

  void send_records(reader::RecordSink& sink) { replay_records(run_row().rows[0], sink); }

 private:
  QueryResult run_row() {
    QueryResult run =
        store_.query("SELECT " + select_list(run_column::names) + " FROM runs WHERE run_key = $1", {key_});
    if (run.rows.empty()) throw HistoryError(fmt::format("no run with key {}", key_));
    return run;
  }

  void replay_records(const std::vector<Cell>& r, reader::RecordSink& sink) {
    const StoredTables tables = read_tables();
    simdjson::dom::parser parser;
    HeaderCopy header;
    read_header(r, parser, header);
    // The metrics' units and descriptions, as the header's `metrics`: the views need no more than the last.
    const QueryResult infos = store_.query(
        "SELECT name, unit, description FROM metric_info WHERE run_key = $1 ORDER BY name", {key_});
    std::vector<reader::MetricInfoRecord> metrics;
    for (const auto& info : infos.rows)
      metrics.push_back({text_of(info[0]), 0, text_of(info[1]), text_of(info[2])});
    header.record.metrics = metrics;
    const std::uint64_t header_line = unsigned_of(r[run_column::header_line]);
    bool header_sent = false;
    for (const Item& item : ordered_items(tables)) {
      if (!header_sent && header_line <= item.line) {
        sink.on_header(header.record, header_line);
        header_sent = true;
      }
      replay_item(tables, item, sink);
    }
    if (!header_sent) sink.on_header(header.record, header_line);

    if (r[run_column::crash]) replay_crash(parse_object(parser, *r[run_column::crash]), sink);
    if (r[run_column::footer]) replay_footer(parse_object(parser, *r[run_column::footer]), sink);
  }

  // A header record and the strings its views point at: it stays where it was made (a move would leave a
  // short string's view behind).
  struct HeaderCopy {
    HeaderCopy() = default;
    HeaderCopy(const HeaderCopy&) = delete;
    HeaderCopy& operator=(const HeaderCopy&) = delete;
    reader::HeaderRecord record;
    std::string clock_source;
    DecodedAttrs attrs;
  };

  StoredTables read_tables() {
    StoredTables t;
    t.threads = rows(select_list(thread_column::names), "threads");
    // A run's spans are one range of span_row (history/schema.hpp).
    const std::int64_t run_key = std::stoll(key_);
    t.spans =
        store_.query("SELECT " + select_list(span_column::names) +
                         " FROM spans WHERE span_row >= $1 AND span_row < $2 ORDER BY span_row",
                     {fmt::format("{}", span_row(run_key, 0)), fmt::format("{}", span_row(run_key + 1, 0))});
    t.events = rows(select_list(event_column::names), "events");
    t.counters = rows(select_list(counter_column::names), "counters");
    t.gauges = rows(select_list(gauge_column::names), "gauges");
    t.phases = rows(select_list(phase_column::names), "phases");
    t.dropped = rows(select_list(dropped_column::names), "dropped");
    t.span_stats = rows(select_list(stats_column::names), "span_stats_lines");
    t.logs = rows(select_list(log_column::names), "logs");
    t.histograms = rows(select_list(histogram_column::names), "histograms");
    return t;
  }

  static std::vector<Item> ordered_items(const StoredTables& t) {
    std::vector<Item> items;
    auto add = [&items](const QueryResult& table, Item::Kind kind) {
      for (std::size_t i = 0; i < table.rows.size(); ++i)
        items.push_back({unsigned_of(table.rows[i][0]), kind, i});
    };
    add(t.threads, Item::thread);
    add(t.events, Item::event);
    add(t.counters, Item::counter);
    add(t.gauges, Item::gauge);
    add(t.phases, Item::phase);
    add(t.dropped, Item::dropped);
    add(t.span_stats, Item::span_stats);
    add(t.logs, Item::log);
    add(t.histograms, Item::histogram);
    // A span stored whole was one line; one with an end line was a start and an end; an open one only a
    // start.
    for (std::size_t i = 0; i < t.spans.rows.size(); ++i) {
      const auto& s = t.spans.rows[i];
      const std::uint64_t start_line = unsigned_of(s[span_column::start_line]);
      if (s[span_column::end_line]) {
        items.push_back({start_line, Item::span_start, i});
        items.push_back({unsigned_of(s[span_column::end_line]), Item::span_end, i});
      } else if (s[span_column::status] == "open") {
        items.push_back({start_line, Item::span_start, i});
      } else {
        items.push_back({start_line, Item::span, i});
      }
    }
    std::stable_sort(items.begin(), items.end());
    return items;
  }

  static void read_header(const std::vector<Cell>& r, simdjson::dom::parser& parser, HeaderCopy& header) {
    reader::HeaderRecord& h = header.record;
    const auto options = parse_object(parser, r[run_column::options].value_or("{}"));
    h.schema = field(options, "schema");
    h.schema_minor = field(options, "schema_minor");
    std::string_view source;
    if (!options["clock_source"].get_string().get(source)) header.clock_source = std::string(source);
    std::uint64_t value = 0;
    if (!options["flush_interval_ms"].get_uint64().get(value)) h.flush_interval_ms = value;
    if (!options["ring_bytes"].get_uint64().get(value)) h.ring_bytes = value;
    if (!options["ring_max_bytes"].get_uint64().get(value)) h.ring_max_bytes = value;
    simdjson::dom::element overhead;
    if (!options["overhead"].get(overhead)) {
      auto number = [&](std::string_view key) {
        double v = 0;
        return overhead[key].get_double().get(v) == simdjson::SUCCESS ? v : 0.0;
      };
      h.overhead = reader::InstrumentationOverhead{number("span_ns"),    number("span_ticks"),
                                                   number("clock_ns"),   number("clock_ticks"),
                                                   number("in_span_ns"), number("in_parent_ns")};
    }
    h.clock_source = header.clock_source;
    h.run_id = text_of(r[run_column::run_id]);
    h.host = text_of(r[run_column::host]);
    h.process = text_of(r[run_column::process]);
    h.pid = unsigned_of(r[run_column::pid]);
    h.version = text_of(r[run_column::version]);
    h.start_ts = unsigned_of(r[run_column::start_ts]);
    header.attrs = decode_attrs_json(r[run_column::attrs].value_or("{}"));
    h.attrs = header.attrs.attrs;
  }

  void replay_item(const StoredTables& t, const Item& item, reader::RecordSink& sink) {
    using RowReplay = void (Replay::*)(const std::vector<Cell>&, std::uint64_t, reader::RecordSink&);
    struct Source {
      QueryResult StoredTables::*table;
      RowReplay replay;
    };
    // In the order of Item::Kind.
    static constexpr Source sources[] = {
        {&StoredTables::threads, &Replay::replay_thread},
        {&StoredTables::spans, &Replay::replay_span},
        {&StoredTables::spans, &Replay::replay_span_start},
        {&StoredTables::spans, &Replay::replay_span_end},
        {&StoredTables::events, &Replay::replay_event},
        {&StoredTables::counters, &Replay::replay_counter},
        {&StoredTables::gauges, &Replay::replay_gauge},
        {&StoredTables::phases, &Replay::replay_phase},
        {&StoredTables::dropped, &Replay::replay_dropped},
        {&StoredTables::span_stats, &Replay::replay_span_stats},
        {&StoredTables::logs, &Replay::replay_log},
        {&StoredTables::histograms, &Replay::replay_histogram},
    };
    static_assert(std::size(sources) == Item::histogram + 1, "one source per Item::Kind");
    const Source& source = sources[item.kind];
    (this->*source.replay)((t.*source.table).rows[item.row], item.line, sink);
  }

  void replay_thread(const std::vector<Cell>& t, std::uint64_t line, reader::RecordSink& sink) {
    reader::ThreadRecord record;
    record.tid = unsigned_of(t[thread_column::tid]);
    if (t[thread_column::name]) record.name = std::string_view(*t[thread_column::name]);
    record.ts = unsigned_of(t[thread_column::ts]);
    record.exited = unsigned_of(t[thread_column::exited]) != 0;
    sink.on_thread(record, line);
  }

  void replay_span(const std::vector<Cell>& s, std::uint64_t line, reader::RecordSink& sink) {
    reader::SpanRecord record;
    record.span_id = unsigned_of(s[span_column::span_id]);
    record.parent = optional_unsigned(s[span_column::parent_id]);
    record.name = text_of(s[span_column::name]);
    record.tid = unsigned_of(s[span_column::tid]);
    if (unsigned_of(s[span_column::end_tid]) != record.tid)
      record.end_tid = unsigned_of(s[span_column::end_tid]);
    record.ts = unsigned_of(s[span_column::start_ts]);
    record.dur_ns = unsigned_of(s[span_column::dur_ns]);
    record.error = s[span_column::status] == "error";
    record.message = text_of(s[span_column::message]);
    record.is_phase = unsigned_of(s[span_column::is_phase]) != 0;
    record.is_async = unsigned_of(s[span_column::is_async]) != 0;
    const DecodedAttrs attrs = decoded(s[span_column::attrs]);
    record.attrs = attrs.attrs;
    record.stats_ns = unsigned_of(s[span_column::stats_ns]);
    sink.on_span(record, line);
  }

  void replay_span_start(const std::vector<Cell>& s, std::uint64_t line, reader::RecordSink& sink) {
    reader::SpanStartRecord record;
    record.span_id = unsigned_of(s[span_column::span_id]);
    record.parent = optional_unsigned(s[span_column::parent_id]);
    record.name = text_of(s[span_column::name]);
    record.tid = unsigned_of(s[span_column::tid]);
    record.ts = unsigned_of(s[span_column::start_ts]);
    record.is_phase = unsigned_of(s[span_column::is_phase]) != 0;
    record.is_async = unsigned_of(s[span_column::is_async]) != 0;
    // The span's attributes as they were at its end: the ones set while it was open already win.
    const DecodedAttrs attrs = decoded(s[span_column::attrs]);
    record.attrs = attrs.attrs;
    sink.on_span_start(record, line);
  }

  void replay_span_end(const std::vector<Cell>& s, std::uint64_t line, reader::RecordSink& sink) {
    reader::SpanEndRecord record;
    record.span_id = unsigned_of(s[span_column::span_id]);
    record.tid = unsigned_of(s[span_column::end_tid]);
    record.dur_ns = unsigned_of(s[span_column::dur_ns]);
    record.ts = unsigned_of(s[span_column::start_ts]) + record.dur_ns;
    record.error = s[span_column::status] == "error";
    record.message = text_of(s[span_column::message]);
    record.stats_ns = unsigned_of(s[span_column::stats_ns]);
    sink.on_span_end(record, line);
  }

  void replay_event(const std::vector<Cell>& e, std::uint64_t line, reader::RecordSink& sink) {
    reader::InstantRecord record;
    record.name = text_of(e[event_column::name]);
    record.tid = unsigned_of(e[event_column::tid]);
    record.ts = unsigned_of(e[event_column::ts]);
    record.parent = optional_unsigned(e[event_column::parent_id]);
    const DecodedAttrs attrs = decoded(e[event_column::attrs]);
    record.attrs = attrs.attrs;
    sink.on_instant(record, line);
  }

  void replay_counter(const std::vector<Cell>& c, std::uint64_t line, reader::RecordSink& sink) {
    reader::CounterRecord record;
    record.name = text_of(c[counter_column::name]);
    record.tid = unsigned_of(c[counter_column::tid]);
    record.ts = unsigned_of(c[counter_column::ts]);
    if (c[counter_column::delta_integer]) {
      record.delta.is_integer = true;
      record.delta.as_integer = static_cast<std::int64_t>(unsigned_of(c[counter_column::delta_integer]));
      record.delta.as_double = static_cast<double>(record.delta.as_integer);
    } else {
      record.delta.is_integer = false;
      record.delta.as_double = std::stod(*c[counter_column::delta]);
    }
    const DecodedAttrs labels = decoded_labels(c[counter_column::labels]);
    record.labels = labels.attrs;
    sink.on_counter(record, line);
  }

  void replay_gauge(const std::vector<Cell>& g, std::uint64_t line, reader::RecordSink& sink) {
    reader::GaugeRecord record;
    record.name = text_of(g[gauge_column::name]);
    record.tid = unsigned_of(g[gauge_column::tid]);
    record.ts = unsigned_of(g[gauge_column::ts]);
    record.value = optional_double(g[gauge_column::value]);
    record.min = optional_double(g[gauge_column::min]);
    record.max = optional_double(g[gauge_column::max]);
    record.count = unsigned_of(g[gauge_column::samples]);
    const DecodedAttrs labels = decoded_labels(g[gauge_column::labels]);
    record.labels = labels.attrs;
    sink.on_gauge(record, line);
  }

  void replay_histogram(const std::vector<Cell>& h, std::uint64_t line, reader::RecordSink& sink) {
    reader::HistogramRecord record;
    record.name = text_of(h[histogram_column::name]);
    record.tid = optional_unsigned(h[histogram_column::tid]);
    record.ts = unsigned_of(h[histogram_column::ts]);
    record.sum = unsigned_of(h[histogram_column::sum]);
    record.count = unsigned_of(h[histogram_column::samples]);
    const std::vector<reader::SpanStatsRecord::Bucket> buckets = stored_buckets(h[histogram_column::buckets]);
    record.buckets = buckets;
    const DecodedAttrs labels = decoded_labels(h[histogram_column::labels]);
    record.labels = labels.attrs;
    sink.on_histogram(record, line);
  }

  void replay_phase(const std::vector<Cell>& p, std::uint64_t line, reader::RecordSink& sink) {
    reader::PhaseRecord record;
    record.name = text_of(p[phase_column::name]);
    record.span_id = optional_unsigned(p[phase_column::span_id]);
    record.ts = unsigned_of(p[phase_column::start_ts]);
    record.end_ts = unsigned_of(p[phase_column::end_ts]);
    record.wall_ns = unsigned_of(p[phase_column::wall_ns]);
    sink.on_phase(record, line);
  }

  void replay_dropped(const std::vector<Cell>& d, std::uint64_t line, reader::RecordSink& sink) {
    reader::DroppedRecord record;
    record.tid = unsigned_of(d[dropped_column::tid]);
    record.ts = unsigned_of(d[dropped_column::ts]);
    record.counts = {unsigned_of(d[dropped_column::spans]), unsigned_of(d[dropped_column::events]),
                     unsigned_of(d[dropped_column::metrics]), unsigned_of(d[dropped_column::attrs]),
                     unsigned_of(d[dropped_column::async_ends])};
    record.reason = text_of(d[dropped_column::reason]);
    const std::vector<reader::NamedCount> span_names = named_counts(d[dropped_column::span_names]),
                                          event_names = named_counts(d[dropped_column::event_names]);
    record.span_names = span_names;
    record.event_names = event_names;
    sink.on_dropped(record, line);
  }

  void replay_span_stats(const std::vector<Cell>& l, std::uint64_t line, reader::RecordSink& sink) {
    reader::SpanStatsRecord record;
    record.name = text_of(l[stats_column::name]);
    record.tid = unsigned_of(l[stats_column::tid]);
    record.ts = unsigned_of(l[stats_column::ts]);
    record.count = unsigned_of(l[stats_column::samples]);
    record.total_ns = unsigned_of(l[stats_column::total_ns]);
    record.self_ns = unsigned_of(l[stats_column::self_ns]);
    const std::vector<reader::SpanStatsRecord::Bucket> buckets = stored_buckets(l[stats_column::buckets]);
    record.buckets = buckets;
    sink.on_span_stats(record, line);
  }

  void replay_log(const std::vector<Cell>& l, std::uint64_t line, reader::RecordSink& sink) {
    reader::LogRecord record;
    const auto level = reader::log_level_named(text_of(l[log_column::level]));
    if (!level)
      throw HistoryError(
          fmt::format("run key {}, line {}: a stored log level is not one of trace, debug, info, "
                      "warn, error: {}",
                      key_, line, text_of(l[log_column::level])));
    record.level = *level;
    record.tid = unsigned_of(l[log_column::tid]);
    record.ts = unsigned_of(l[log_column::ts]);
    record.span_id = unsigned_of(l[log_column::span_id]);
    record.message = text_of(l[log_column::msg]);
    const DecodedAttrs attrs = decoded(l[log_column::attrs]);
    record.attrs = attrs.attrs;
    record.site_file = text_of(l[log_column::site_file]);
    record.site_line = unsigned_of(l[log_column::site_line]);
    sink.on_log(record, line);
  }

  static void replay_crash(simdjson::dom::element crash, reader::RecordSink& sink) {
    auto text = [&crash](std::string_view key) {
      std::string_view value;
      return crash[key].get_string().get(value) == simdjson::SUCCESS ? std::string(value) : std::string();
    };
    const std::string kept_name = text("name"), kept_reason = text("reason");
    reader::CrashRecord record{field(crash, "signal"), kept_name, kept_reason, field(crash, "tid"),
                               field(crash, "ts")};
    sink.on_crash(record, field(crash, "line"));
  }

  static void replay_footer(simdjson::dom::element footer, reader::RecordSink& sink) {
    reader::FooterRecord record;
    record.ts = field(footer, "ts");
    record.wall_ns = field(footer, "wall_ns");
    record.records = field(footer, "records");
    record.spans = field(footer, "spans");
    record.events = field(footer, "events");
    record.sampled_out = field(footer, "sampled_out");
    record.open_spans = field(footer, "open_spans");
    record.unwritten_records = field(footer, "unwritten_records");
    record.rings_grown = field(footer, "rings_grown");  // 0 in a footer stored before schema 1.3
    record.largest_ring = field(footer, "largest_ring");
    record.stats_spans = field(footer, "stats_spans");          // absent before schema 1.4
    record.metric_overflow = field(footer, "metric_overflow");  // absent before schema 1.7
    std::string_view stopped_by;
    std::string kept_stopped_by;
    if (footer["stopped_by"].get_string().get(stopped_by) == simdjson::SUCCESS) kept_stopped_by = stopped_by;
    record.stopped_by = kept_stopped_by;
    simdjson::dom::element counts;
    if (footer["dropped"].get(counts) == simdjson::SUCCESS)
      record.dropped = {field(counts, "spans"), field(counts, "events"), field(counts, "metrics"),
                        field(counts, "attrs"), field(counts, "async_ends")};
    sink.on_footer(record, field(footer, "line"));
  }

  static reader::ReadReport read_report_of(const std::vector<Cell>& r) {
    reader::ReadReport report;
    report.lines = unsigned_of(r[run_column::lines]);
    report.records = unsigned_of(r[run_column::records]);
    report.bytes = unsigned_of(r[run_column::bytes]);
    if (r[run_column::torn_last_line]) report.torn_last_line = *r[run_column::torn_last_line];
    return report;
  }

 private:
  QueryResult rows(const std::string& columns, const char* table) {
    return store_.query("SELECT " + columns + " FROM " + table + " WHERE run_key = $1", {key_});
  }
  // A stored {"name": count} object; the names point into names_, which lives as long as the replay.
  std::vector<reader::NamedCount> named_counts(const Cell& cell) {
    std::vector<reader::NamedCount> counts;
    if (!cell) return counts;
    const auto object = parse_object(names_parser_, *cell);
    for (const auto field : object.get_object()) {
      std::uint64_t count = 0;
      if (field.value.get_uint64().get(count) == simdjson::SUCCESS)
        counts.push_back({names_.emplace_back(field.key), count});
    }
    return counts;
  }
  // A stored span_stats line's [[lower_ns, count], ...].
  std::vector<reader::SpanStatsRecord::Bucket> stored_buckets(const Cell& cell) {
    std::vector<reader::SpanStatsRecord::Bucket> buckets;
    simdjson::dom::array pairs;
    if (!cell || names_parser_.parse(simdjson::padded_string(*cell)).get_array().get(pairs))
      throw HistoryError(
          fmt::format("a stored span_stats line's buckets are not an array: {}", cell.value_or("")));
    for (const simdjson::dom::element pair : pairs) {
      reader::SpanStatsRecord::Bucket bucket;
      if (pair.at(0).get_uint64().get(bucket.lower_ns) || pair.at(1).get_uint64().get(bucket.count))
        throw HistoryError(fmt::format("a stored span_stats line's buckets are not pairs: {}", *cell));
      buckets.push_back(bucket);
    }
    return buckets;
  }
  DecodedAttrs decoded(const Cell& cell) const {
    if (!with_attrs_ || !cell) return {};
    return decode_attrs_json(*cell);
  }
  // Labels name a metric's series: read whether or not the sink wants attributes.
  static DecodedAttrs decoded_labels(const Cell& cell) {
    return cell ? decode_attrs_json(*cell) : DecodedAttrs{};
  }

  Store& store_;
  bool with_attrs_;
  std::string key_;
  simdjson::dom::parser names_parser_;
  std::deque<std::string> names_;  // a deque: the strings never move
};

}  // namespace

std::int64_t resolve_run(Store& store, const std::string& reference) {
  std::optional<std::uint64_t> back;
  if (reference == "last") back = 0;
  if (reference.rfind("last~", 0) == 0) {
    std::uint64_t n = 0;
    const char* begin = reference.data() + 5;
    const char* end = reference.data() + reference.size();
    const auto [stop, error] = std::from_chars(begin, end, n);
    if (error != std::errc() || stop != end || begin == end)
      throw HistoryError(fmt::format("{}: expected last, last~N or a run id", reference));
    back = n;
  }
  const QueryResult found =
      back ? store.query("SELECT run_key FROM run_order WHERE back = CAST($1 AS INTEGER)",
                         {fmt::format("{}", *back)})
           : store.query("SELECT run_key FROM runs WHERE run_id = $1 ORDER BY start_ts DESC, run_key DESC",
                         {reference});
  if (found.rows.empty())
    throw HistoryError(fmt::format("{}: no such run in {}", reference, store.display_name()));
  return std::stoll(*found.rows[0][0]);
}

void replay_stored_run(Store& store, std::int64_t run_key, reader::RecordSink& sink) {
  require_current_schema(store);
  Replay(store, run_key, true).send_records(sink);
}

reader::Summary summarize_stored_runs(Store& store, const std::vector<std::string>& references,
                                      const reader::AggregateOptions& options) {
  require_current_schema(store);
  std::vector<std::int64_t> keys;
  for (const auto& reference : references) keys.push_back(resolve_run(store, reference));
  if (references.empty()) keys.push_back(resolve_run(store, "last"));
  reader::Aggregator aggregator(options);
  for (const std::int64_t key : keys) Replay(store, key, options.reads_attrs()).run(aggregator);
  return aggregator.take_summary();
}

}  // namespace spanlog::history
