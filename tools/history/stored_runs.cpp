#include "history/stored_runs.hpp"

#include <algorithm>
#include <charconv>
#include <deque>

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
    span_stats
  } kind = thread;
  std::size_t row = 0;
  bool operator<(const Item& o) const { return line < o.line; }
};

class Replay {
 public:
  Replay(Store& store, std::int64_t run_key, bool with_attrs) : store_(store), with_attrs_(with_attrs) {
    key_ = fmt::format("{}", run_key);
  }

  void run(reader::Aggregator& aggregator) {
    const QueryResult run = store_.query(
        "SELECT run_id, host, process, pid, version, start_ts, options, attrs, source, lines, records, "
        "bytes, "
        "header_line, torn_last_line, footer, crash FROM runs WHERE run_key = $1",
        {key_});
    if (run.rows.empty()) throw HistoryError(fmt::format("no run with key {}", key_));
    const auto& r = run.rows[0];
    aggregator.begin_run(std::string(text_of(r[8])));

    const auto threads = rows("SELECT line, tid, name, ts, exited FROM threads");
    // A run's spans are one range of span_row (history/schema.hpp).
    const std::int64_t run_key = std::stoll(key_);
    const auto spans = store_.query(
        "SELECT span_id, parent_id, name, tid, end_tid, start_ts, dur_ns, status, message, is_phase, "
        "is_async, "
        "attrs, start_line, end_line, stats_ns FROM spans WHERE span_row >= $1 AND span_row < $2 ORDER BY "
        "span_row",
        {fmt::format("{}", span_row(run_key, 0)), fmt::format("{}", span_row(run_key + 1, 0))});
    const auto events = rows("SELECT line, name, tid, ts, parent_id, attrs FROM events");
    const auto counters = rows("SELECT line, name, tid, ts, delta, delta_integer FROM counters");
    const auto gauges = rows("SELECT line, name, tid, ts, value, min, max, count FROM gauges");
    const auto phases = rows("SELECT line, name, span_id, start_ts, end_ts, wall_ns FROM phases");
    const auto dropped = rows(
        "SELECT line, tid, ts, spans, events, metrics, attrs, async_ends, reason, span_names, event_names "
        "FROM dropped");
    const auto span_stats =
        rows("SELECT line, name, tid, ts, count, total_ns, self_ns, buckets FROM span_stats_lines");

    std::vector<Item> items;
    auto add = [&items](const QueryResult& table, Item::Kind kind) {
      for (std::size_t i = 0; i < table.rows.size(); ++i)
        items.push_back({unsigned_of(table.rows[i][0]), kind, i});
    };
    add(threads, Item::thread);
    add(events, Item::event);
    add(counters, Item::counter);
    add(gauges, Item::gauge);
    add(phases, Item::phase);
    add(dropped, Item::dropped);
    add(span_stats, Item::span_stats);
    for (std::size_t i = 0; i < spans.rows.size(); ++i) {
      const auto& s = spans.rows[i];
      const std::uint64_t start_line = unsigned_of(s[12]);
      if (s[13]) {
        items.push_back({start_line, Item::span_start, i});
        items.push_back({unsigned_of(s[13]), Item::span_end, i});
      } else if (s[7] == "open") {
        items.push_back({start_line, Item::span_start, i});
      } else {
        items.push_back({start_line, Item::span, i});
      }
    }
    std::stable_sort(items.begin(), items.end());

    simdjson::dom::parser parser;
    reader::HeaderRecord header;
    const std::string options_json = r[6].value_or("{}");
    const auto options = parse_object(parser, options_json);
    header.schema = field(options, "schema");
    header.schema_minor = field(options, "schema_minor");
    std::string clock_source;
    {
      std::string_view source;
      if (!options["clock_source"].get_string().get(source)) clock_source = std::string(source);
      std::uint64_t flush = 0;
      if (!options["flush_interval_ms"].get_uint64().get(flush)) header.flush_interval_ms = flush;
      std::uint64_t ring = 0;
      if (!options["ring_bytes"].get_uint64().get(ring)) header.ring_bytes = ring;
      if (!options["ring_max_bytes"].get_uint64().get(ring)) header.ring_max_bytes = ring;
      simdjson::dom::element overhead;
      if (!options["overhead"].get(overhead)) {
        auto number = [&](std::string_view key) {
          double value = 0;
          return overhead[key].get_double().get(value) == simdjson::SUCCESS ? value : 0.0;
        };
        header.overhead = reader::InstrumentationOverhead{number("span_ns"),    number("span_ticks"),
                                                          number("clock_ns"),   number("clock_ticks"),
                                                          number("in_span_ns"), number("in_parent_ns")};
      }
    }
    header.clock_source = clock_source;
    header.run_id = text_of(r[0]);
    header.host = text_of(r[1]);
    header.process = text_of(r[2]);
    header.pid = unsigned_of(r[3]);
    header.version = text_of(r[4]);
    header.start_ts = unsigned_of(r[5]);
    const DecodedAttrs header_attrs = decode_attrs_json(r[7].value_or("{}"));
    header.attrs = header_attrs.attrs;

    const std::uint64_t header_line = unsigned_of(r[12]);
    bool header_sent = false;
    auto send_header_before = [&](std::uint64_t line) {
      if (!header_sent && header_line <= line) {
        aggregator.on_header(header, header_line);
        header_sent = true;
      }
    };

    for (const Item& item : items) {
      send_header_before(item.line);
      switch (item.kind) {
        case Item::thread: {
          const auto& t = threads.rows[item.row];
          reader::ThreadRecord record;
          record.tid = unsigned_of(t[1]);
          if (t[2]) record.name = std::string_view(*t[2]);
          record.ts = unsigned_of(t[3]);
          record.exited = unsigned_of(t[4]) != 0;
          aggregator.on_thread(record, item.line);
          break;
        }
        case Item::span: {
          const auto& s = spans.rows[item.row];
          reader::SpanRecord record;
          record.span_id = unsigned_of(s[0]);
          record.parent = optional_unsigned(s[1]);
          record.name = text_of(s[2]);
          record.tid = unsigned_of(s[3]);
          if (unsigned_of(s[4]) != record.tid) record.end_tid = unsigned_of(s[4]);
          record.ts = unsigned_of(s[5]);
          record.dur_ns = unsigned_of(s[6]);
          record.error = s[7] == "error";
          record.message = text_of(s[8]);
          record.is_phase = unsigned_of(s[9]) != 0;
          record.is_async = unsigned_of(s[10]) != 0;
          const DecodedAttrs attrs = decoded(s[11]);
          record.attrs = attrs.attrs;
          record.stats_ns = unsigned_of(s[14]);
          aggregator.on_span(record, item.line);
          break;
        }
        case Item::span_start: {
          const auto& s = spans.rows[item.row];
          reader::SpanStartRecord record;
          record.span_id = unsigned_of(s[0]);
          record.parent = optional_unsigned(s[1]);
          record.name = text_of(s[2]);
          record.tid = unsigned_of(s[3]);
          record.ts = unsigned_of(s[5]);
          record.is_phase = unsigned_of(s[9]) != 0;
          record.is_async = unsigned_of(s[10]) != 0;
          // The span's attributes as they were at its end: the ones set while it was open already win.
          const DecodedAttrs attrs = decoded(s[11]);
          record.attrs = attrs.attrs;
          aggregator.on_span_start(record, item.line);
          break;
        }
        case Item::span_end: {
          const auto& s = spans.rows[item.row];
          reader::SpanEndRecord record;
          record.span_id = unsigned_of(s[0]);
          record.tid = unsigned_of(s[4]);
          record.dur_ns = unsigned_of(s[6]);
          record.ts = unsigned_of(s[5]) + record.dur_ns;
          record.error = s[7] == "error";
          record.message = text_of(s[8]);
          record.stats_ns = unsigned_of(s[14]);
          aggregator.on_span_end(record, item.line);
          break;
        }
        case Item::event: {
          const auto& e = events.rows[item.row];
          reader::InstantRecord record;
          record.name = text_of(e[1]);
          record.tid = unsigned_of(e[2]);
          record.ts = unsigned_of(e[3]);
          record.parent = optional_unsigned(e[4]);
          const DecodedAttrs attrs = decoded(e[5]);
          record.attrs = attrs.attrs;
          aggregator.on_instant(record, item.line);
          break;
        }
        case Item::counter: {
          const auto& c = counters.rows[item.row];
          reader::CounterRecord record;
          record.name = text_of(c[1]);
          record.tid = unsigned_of(c[2]);
          record.ts = unsigned_of(c[3]);
          if (c[5]) {
            record.delta.is_integer = true;
            record.delta.as_integer = static_cast<std::int64_t>(unsigned_of(c[5]));
            record.delta.as_double = static_cast<double>(record.delta.as_integer);
          } else {
            record.delta.is_integer = false;
            record.delta.as_double = std::stod(*c[4]);
          }
          aggregator.on_counter(record, item.line);
          break;
        }
        case Item::gauge: {
          const auto& g = gauges.rows[item.row];
          reader::GaugeRecord record;
          record.name = text_of(g[1]);
          record.tid = unsigned_of(g[2]);
          record.ts = unsigned_of(g[3]);
          record.value = optional_double(g[4]);
          record.min = optional_double(g[5]);
          record.max = optional_double(g[6]);
          record.count = unsigned_of(g[7]);
          aggregator.on_gauge(record, item.line);
          break;
        }
        case Item::phase: {
          const auto& p = phases.rows[item.row];
          reader::PhaseRecord record;
          record.name = text_of(p[1]);
          record.span_id = optional_unsigned(p[2]);
          record.ts = unsigned_of(p[3]);
          record.end_ts = unsigned_of(p[4]);
          record.wall_ns = unsigned_of(p[5]);
          aggregator.on_phase(record, item.line);
          break;
        }
        case Item::dropped: {
          const auto& d = dropped.rows[item.row];
          reader::DroppedRecord record;
          record.tid = unsigned_of(d[1]);
          record.ts = unsigned_of(d[2]);
          record.counts = {unsigned_of(d[3]), unsigned_of(d[4]), unsigned_of(d[5]), unsigned_of(d[6]),
                           unsigned_of(d[7])};
          record.reason = text_of(d[8]);
          const std::vector<reader::NamedCount> span_names = named_counts(d[9]),
                                                event_names = named_counts(d[10]);
          record.span_names = span_names;
          record.event_names = event_names;
          aggregator.on_dropped(record, item.line);
          break;
        }
        case Item::span_stats: {
          const auto& l = span_stats.rows[item.row];
          reader::SpanStatsRecord record;
          record.name = text_of(l[1]);
          record.tid = unsigned_of(l[2]);
          record.ts = unsigned_of(l[3]);
          record.count = unsigned_of(l[4]);
          record.total_ns = unsigned_of(l[5]);
          record.self_ns = unsigned_of(l[6]);
          const std::vector<reader::SpanStatsRecord::Bucket> buckets = stored_buckets(l[7]);
          record.buckets = buckets;
          aggregator.on_span_stats(record, item.line);
          break;
        }
      }
    }
    send_header_before(~std::uint64_t{0});

    if (r[15]) {
      const auto crash = parse_object(parser, *r[15]);
      auto text = [&crash](std::string_view key) {
        std::string_view value;
        return crash[key].get_string().get(value) == simdjson::SUCCESS ? std::string(value) : std::string();
      };
      const std::string kept_name = text("name"), kept_reason = text("reason");
      reader::CrashRecord record{field(crash, "signal"), kept_name, kept_reason, field(crash, "tid"),
                                 field(crash, "ts")};
      aggregator.on_crash(record, field(crash, "line"));
    }
    if (r[14]) {
      const auto footer = parse_object(parser, *r[14]);
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
      record.stats_spans = field(footer, "stats_spans");  // absent before schema 1.4
      std::string_view stopped_by;
      std::string kept_stopped_by;
      if (footer["stopped_by"].get_string().get(stopped_by) == simdjson::SUCCESS)
        kept_stopped_by = stopped_by;
      record.stopped_by = kept_stopped_by;
      simdjson::dom::element counts;
      if (footer["dropped"].get(counts) == simdjson::SUCCESS)
        record.dropped = {field(counts, "spans"), field(counts, "events"), field(counts, "metrics"),
                          field(counts, "attrs"), field(counts, "async_ends")};
      aggregator.on_footer(record, field(footer, "line"));
    }

    reader::ReadReport report;
    report.lines = unsigned_of(r[9]);
    report.records = unsigned_of(r[10]);
    report.bytes = unsigned_of(r[11]);
    if (r[13]) report.torn_last_line = *r[13];
    aggregator.end_run(report);
  }

 private:
  QueryResult rows(const std::string& select) { return store_.query(select + " WHERE run_key = $1", {key_}); }
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

reader::Summary summarize_stored_runs(Store& store, const std::vector<std::string>& references,
                                      const reader::AggregateOptions& options) {
  require_current_schema(store);
  std::vector<std::int64_t> keys;
  for (const auto& reference : references) keys.push_back(resolve_run(store, reference));
  if (references.empty()) keys.push_back(resolve_run(store, "last"));
  reader::Aggregator aggregator(options);
  for (const std::int64_t key : keys) Replay(store, key, !options.group_by.empty()).run(aggregator);
  return aggregator.take_summary();
}

}  // namespace spanlog::history
