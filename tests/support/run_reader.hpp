// Test support: reads a run's telemetry.jsonl back with simdjson, checks every line against the schema
// (docs/format.md) and gathers spans, with span/span_start/span_end merged by span_id.
#pragma once
#include <doctest/doctest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace test_support {

struct SpanRecordLine {
  std::uint64_t id = 0;
  std::uint64_t parent = 0;
  std::string name;
  std::uint64_t tid = 0;
  std::int64_t ts = 0;
  std::int64_t dur_ns = -1;  // -1: never ended
  std::string status;
  std::string message;
  std::string attrs_json;  // the minified attrs object(s), start then end
  bool started_alone = false;
  bool is_phase = false;
  bool from_row = false;  // a row of a `spans` record
  int ends = 0;
  std::int64_t stats_ns = 0;  // its direct statistics children's time (schema 1.4)
};

// A statistics-span name's `span_stats` lines summed (schema 1.4): buckets by lower bound.
struct StatsTotals {
  std::uint64_t count = 0, total_ns = 0, self_ns = 0, lines = 0;
  std::map<std::uint64_t, std::uint64_t> buckets;
  std::map<std::uint64_t, std::uint64_t> count_by_tid;
};

// A `log` line (docs/format.md, schema 1.6).
struct LogLine {
  std::string level, msg, file;
  std::uint64_t tid = 0, span_id = 0, line = 0;
  std::string attrs;  // the attrs object as written, "" when absent
};

// A histogram series' lines summed (schema 1.7): buckets by lower bound.
struct HistogramTotals {
  std::uint64_t count = 0, sum = 0, lines = 0;
  std::map<std::uint64_t, std::uint64_t> buckets;
};

struct MetricInfoLine {
  std::string unit, description;
};

struct RunContents {
  std::vector<std::string> kinds;  // "event" of every line, in order
  std::map<std::uint64_t, SpanRecordLine> spans;
  std::map<std::string, StatsTotals> span_stats;
  std::map<std::string, std::int64_t> counter_int_sums;
  std::map<std::string, double> counter_sums;
  std::map<std::string, double> gauge_last;
  // Series (schema 1.7) by "name" or "name{labels}", the labels object minified as written.
  std::map<std::string, double> series_sums;  // counters' deltas
  std::map<std::string, double> series_gauge_last, series_gauge_max;
  std::map<std::string, HistogramTotals> histograms;
  std::map<std::string, MetricInfoLine> metric_infos;  // from metric_info lines
  std::size_t metric_info_lines = 0;
  std::vector<std::string> instants;
  std::vector<std::uint64_t> instant_parents;  // beside instants: the span each was in, 0 for none
  std::map<std::uint64_t, std::string> thread_names;
  std::map<std::string, std::uint64_t> dropped;  // summed per field
  std::vector<std::string> phases;
  std::vector<LogLine> logs;
  std::string header;
  std::string footer;
  std::string crash;  // the crash record's line, if any
  int crash_signal = 0;
  std::string crash_reason;
  std::string stopped_by;  // the footer's
  std::size_t lines = 0;
  std::size_t schema_errors = 0;
  std::size_t end_without_start = 0;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Records a schema violation as a failed CHECK naming the line.
#define SCHEMA_CHECK(cond, line_no, what)               \
  do {                                                  \
    if (!(cond)) {                                      \
      ++out.schema_errors;                              \
      FAIL_CHECK("line " << (line_no) << ": " << what); \
    }                                                   \
  } while (0)

// A `spans` record (schema 1.3): each row a complete span, its columns named by "fields", ids relative to
// "id_base" and starts to the record's "ts".
inline void read_span_rows(RunContents& out, simdjson::dom::element e, std::size_t line_no,
                           const std::string& line) {
  using namespace simdjson;
  std::uint64_t tid = 0, id_base = 0;
  std::int64_t ts = 0;
  dom::array fields, rows;
  SCHEMA_CHECK(!e["tid"].get(tid) && !e["ts"].get(ts) && !e["id_base"].get(id_base), line_no,
               "spans needs tid, ts and id_base: " << line);
  SCHEMA_CHECK(!e["fields"].get(fields) && !e["rows"].get(rows), line_no, "spans needs fields and rows");
  std::map<std::string, std::size_t> column;
  std::size_t index = 0;
  for (dom::element f : fields) {
    std::string_view name;
    SCHEMA_CHECK(!f.get(name), line_no, "a field is a string");
    column[std::string(name)] = index++;
  }
  for (const char* required : {"name", "span_id", "parent", "ts", "dur_ns"})
    SCHEMA_CHECK(column.count(required), line_no, "spans fields lack " << required);
  if (out.schema_errors) return;
  for (dom::element row_element : rows) {
    dom::array row;
    SCHEMA_CHECK(!row_element.get(row), line_no, "a row is an array");
    if (out.schema_errors) return;
    std::vector<dom::element> cells;
    for (dom::element cell : row) cells.push_back(cell);
    auto cell = [&](const char* name) -> dom::element* {
      const std::size_t i = column[name];
      return i < cells.size() ? &cells[i] : nullptr;
    };
    SpanRecordLine s;
    std::string_view name;
    std::uint64_t relative_id = 0, relative_parent = 0;
    std::int64_t relative_ts = 0;
    SCHEMA_CHECK(cell("name") && !cell("name")->get(name), line_no, "row needs a string name: " << line);
    SCHEMA_CHECK(cell("span_id") && !cell("span_id")->get(relative_id), line_no, "row needs span_id");
    SCHEMA_CHECK(cell("ts") && !cell("ts")->get(relative_ts), line_no, "row needs ts");
    SCHEMA_CHECK(cell("dur_ns") && !cell("dur_ns")->get(s.dur_ns), line_no, "row needs dur_ns");
    if (out.schema_errors) return;
    if (dom::element* p = cell("parent"); p && !p->is_null()) {
      SCHEMA_CHECK(!p->get(relative_parent), line_no, "a row's parent is null or unsigned");
      s.parent = id_base + relative_parent;
    }
    if (dom::element* a = cell("attrs")) {
      dom::object o;
      SCHEMA_CHECK(!a->get(o), line_no, "a row's attrs is an object");
      if (!a->get(o)) s.attrs_json = simdjson::minify(o);
    }
    s.id = id_base + relative_id;
    s.name = std::string(name);
    s.tid = tid;
    s.ts = ts + relative_ts;
    s.status = "ok";
    s.from_row = true;
    s.ends = 1;
    SCHEMA_CHECK(out.spans.count(s.id) == 0, line_no, "span_id " << s.id << " appears twice");
    out.spans[s.id] = s;
  }
}

inline RunContents read_run(const std::string& run_dir) {
  using namespace simdjson;
  RunContents out;
  const std::string text = read_file(run_dir + "/telemetry.jsonl");
  REQUIRE_MESSAGE(!text.empty(), "no telemetry.jsonl in " << run_dir);
  CHECK_MESSAGE(text.back() == '\n', "the file ends with a whole line");
  dom::parser parser;
  std::size_t start = 0, line_no = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    ++out.lines;
    dom::element e;
    auto err = parser.parse(line).get(e);
    SCHEMA_CHECK(!err, line_no, "not JSON: " << line);
    if (err) continue;
    std::string_view kind;
    SCHEMA_CHECK(!e["event"].get(kind), line_no, "no \"event\" key");
    out.kinds.emplace_back(kind);
    auto u64 = [&](const char* key) {
      std::uint64_t v = 0;
      SCHEMA_CHECK(!e[key].get(v), line_no, kind << " needs unsigned \"" << key << "\": " << line);
      return v;
    };
    auto i64 = [&](const char* key) {
      std::int64_t v = 0;
      SCHEMA_CHECK(!e[key].get(v), line_no, kind << " needs integer \"" << key << "\": " << line);
      return v;
    };
    auto str = [&](const char* key) {
      std::string_view v;
      SCHEMA_CHECK(!e[key].get(v), line_no, kind << " needs string \"" << key << "\": " << line);
      return std::string(v);
    };
    auto attrs = [&]() -> std::string {
      dom::object o;
      if (e["attrs"].get(o)) return "";
      return simdjson::minify(o);
    };
    // A metric line's series: a labelled one has no tid, nor have the vitals; any other has.
    auto series_of = [&](const std::string& name) -> std::string {
      dom::object labels;
      const bool vital = name.rfind("spanlog.", 0) == 0;
      if (e["labels"].get(labels)) {
        if (!vital) u64("tid");
        return name;
      }
      std::uint64_t tid = 0;
      SCHEMA_CHECK(e["tid"].get(tid), line_no, "a labelled line has no tid: " << line);
      return name + simdjson::minify(labels);
    };
    if (line_no == 1) SCHEMA_CHECK(kind == "header", line_no, "the first line is the header");
    if (kind == "header") {
      SCHEMA_CHECK(u64("schema") == 1, line_no, "schema 1");
      u64("pid");
      str("run_id");
      str("host");
      str("process");
      i64("start_ts");
      dom::object clock;
      SCHEMA_CHECK(!e["clock"].get(clock), line_no, "header needs clock");
      out.header = line;
    } else if (kind == "span" || kind == "span_start") {
      SpanRecordLine s;
      s.id = u64("span_id");
      std::uint64_t parent = 0;
      if (!e["parent"].get(parent)) s.parent = parent;
      s.name = str("name");
      s.tid = u64("tid");
      s.ts = i64("ts");
      std::string_view k;
      s.is_phase = !e["kind"].get(k) && k == "phase";
      s.attrs_json = attrs();
      if (kind == "span") {
        s.dur_ns = i64("dur_ns");
        if (e["stats_ns"].error() != simdjson::NO_SUCH_FIELD) s.stats_ns = i64("stats_ns");
        s.status = str("status");
        std::string_view m;
        if (!e["message"].get(m)) s.message = std::string(m);
        s.ends = 1;
      } else {
        s.started_alone = true;
      }
      SCHEMA_CHECK(out.spans.count(s.id) == 0, line_no, "span_id " << s.id << " appears twice");
      out.spans[s.id] = s;
    } else if (kind == "spans") {
      read_span_rows(out, e, line_no, line);
    } else if (kind == "span_end") {
      const std::uint64_t id = u64("span_id");
      auto it = out.spans.find(id);
      if (it == out.spans.end()) {
        ++out.end_without_start;
        continue;
      }
      it->second.dur_ns = i64("dur_ns");
      if (e["stats_ns"].error() != simdjson::NO_SUCH_FIELD) it->second.stats_ns = i64("stats_ns");
      it->second.status = str("status");
      std::string_view m;
      if (!e["message"].get(m)) it->second.message = std::string(m);
      const std::string a = attrs();
      if (!a.empty()) it->second.attrs_json += a;
      ++it->second.ends;
      i64("ts");
      u64("tid");
    } else if (kind == "span_stats") {
      StatsTotals& t = out.span_stats[str("name")];
      const std::uint64_t tid = u64("tid");
      i64("ts");
      const std::uint64_t count = u64("count"), total = u64("total_ns"), self = u64("self_ns");
      SCHEMA_CHECK(self <= total, line_no, "self_ns is at most total_ns: " << line);
      dom::array buckets;
      SCHEMA_CHECK(!e["buckets"].get(buckets), line_no, "span_stats needs buckets: " << line);
      std::uint64_t in_buckets = 0, previous = 0;
      bool first = true;
      for (dom::element pair : buckets) {
        dom::array lower_and_count;
        std::uint64_t lower = 0, n = 0;
        SCHEMA_CHECK(!pair.get(lower_and_count) && lower_and_count.size() == 2 &&
                         !lower_and_count.at(0).get(lower) && !lower_and_count.at(1).get(n) && n > 0,
                     line_no, "a bucket is [lower_ns, count > 0]: " << line);
        SCHEMA_CHECK(first || lower > previous, line_no, "buckets ascend: " << line);
        first = false;
        previous = lower;
        t.buckets[lower] += n;
        in_buckets += n;
      }
      SCHEMA_CHECK(in_buckets == count, line_no, "the buckets' counts sum to count: " << line);
      t.count += count;
      t.total_ns += total;
      t.self_ns += self;
      t.count_by_tid[tid] += count;
      ++t.lines;
    } else if (kind == "counter") {
      const std::string name = str("name");
      const std::string series = series_of(name);
      i64("ts");
      double as_number = 0;
      SCHEMA_CHECK(!e["delta"].get(as_number), line_no, "counter delta is a number");
      out.series_sums[series] += as_number;
      std::int64_t i = 0;
      double d = 0;
      if (!e["delta"].get(i)) {
        out.counter_int_sums[name] += i;
        out.counter_sums[name] += static_cast<double>(i);
      } else {
        SCHEMA_CHECK(!e["delta"].get(d), line_no, "counter delta is a number");
        out.counter_sums[name] += d;
      }
    } else if (kind == "gauge") {
      const std::string name = str("name");
      const std::string series = series_of(name);
      double v = 0, max = 0;
      SCHEMA_CHECK(!e["value"].get(v), line_no, "gauge value is a number");
      SCHEMA_CHECK(!e["max"].get(max), line_no, "gauge max is a number");
      out.gauge_last[name] = v;
      out.series_gauge_last[series] = v;
      if (!out.series_gauge_max.count(series) || max > out.series_gauge_max[series])
        out.series_gauge_max[series] = max;
      u64("count");
    } else if (kind == "histogram") {
      HistogramTotals& h = out.histograms[series_of(str("name"))];
      i64("ts");
      h.sum += u64("sum");
      const std::uint64_t count = u64("count");
      h.count += count;
      ++h.lines;
      dom::array buckets;
      SCHEMA_CHECK(!e["buckets"].get(buckets), line_no, "histogram needs buckets");
      std::uint64_t bucket_sum = 0, previous = 0;
      bool first = true;
      for (dom::element pair : buckets) {
        std::uint64_t lower = 0, n = 0;
        SCHEMA_CHECK(!pair.at(0).get(lower) && !pair.at(1).get(n) && n > 0, line_no, "bucket pair: " << line);
        SCHEMA_CHECK(first || lower > previous, line_no, "buckets ascend: " << line);
        first = false;
        previous = lower;
        h.buckets[lower] += n;
        bucket_sum += n;
      }
      SCHEMA_CHECK(bucket_sum == count, line_no, "histogram count is its buckets' sum: " << line);
    } else if (kind == "metric_info") {
      out.metric_infos[str("name")] = MetricInfoLine{str("unit"), str("description")};
      ++out.metric_info_lines;
    } else if (kind == "instant") {
      out.instants.push_back(str("name"));
      std::uint64_t parent = 0;
      if (e["parent"].error() != simdjson::NO_SUCH_FIELD)
        SCHEMA_CHECK(!e["parent"].get(parent), line_no, "an instant's parent is unsigned");
      out.instant_parents.push_back(parent);
      u64("tid");
      i64("ts");
    } else if (kind == "log") {
      LogLine log;
      log.level = str("level");
      log.msg = str("msg");
      log.tid = u64("tid");
      i64("ts");
      if (e["span_id"].error() != simdjson::NO_SUCH_FIELD)
        SCHEMA_CHECK(!e["span_id"].get(log.span_id), line_no, "a log line's span_id is unsigned");
      simdjson::dom::element site;
      SCHEMA_CHECK(!e["site"].get(site), line_no, "a log line has its site");
      std::string_view file;
      SCHEMA_CHECK(!site["file"].get(file) && !site["line"].get(log.line), line_no,
                   "a log site's file and line");
      log.file = std::string(file);
      simdjson::dom::object attrs;
      if (!e["attrs"].get(attrs)) log.attrs = simdjson::minify(attrs);
      out.logs.push_back(std::move(log));
    } else if (kind == "ring_grown") {
      u64("tid");
      i64("ts");
      u64("bytes");
    } else if (kind == "thread") {
      const std::uint64_t tid = u64("tid");
      std::string_view n;
      if (!e["name"].get(n)) out.thread_names[tid] = std::string(n);
    } else if (kind == "dropped") {
      for (const char* f : {"spans", "events", "metrics", "attrs", "async_ends"}) out.dropped[f] += u64(f);
    } else if (kind == "phase") {
      out.phases.push_back(str("name"));
      u64("span_id");
      i64("wall_ns");
    } else if (kind == "crash") {
      out.crash = line;
      out.crash_signal = static_cast<int>(i64("signal"));
      str("name");
      out.crash_reason = str("reason");
      u64("tid");
      i64("ts");
    } else if (kind == "footer") {
      out.footer = line;
      i64("wall_ns");
      u64("spans");
      std::string_view by;
      if (!e["stopped_by"].get(by)) out.stopped_by = std::string(by);
    } else {
      SCHEMA_CHECK(false, line_no, "unknown record kind " << kind);
    }
  }
  return out;
}

// A number field of a JSON text (the footer, run_summary.json), by a JSON pointer such as "/dropped/spans".
inline double json_double(const std::string& json, const char* pointer) {
  simdjson::dom::parser p;
  simdjson::dom::element e;
  REQUIRE(!p.parse(json).get(e));
  double v = -1;
  auto err = e.at_pointer(pointer).get(v);
  REQUIRE_MESSAGE(!err, "no number at " << pointer << " in " << json);
  return v;
}

inline std::int64_t json_int(const std::string& json, const char* pointer) {
  simdjson::dom::parser p;
  simdjson::dom::element e;
  REQUIRE(!p.parse(json).get(e));
  std::int64_t v = -1;
  auto err = e.at_pointer(pointer).get(v);
  REQUIRE_MESSAGE(!err, "no integer at " << pointer << " in " << json);
  return v;
}

}  // namespace test_support
