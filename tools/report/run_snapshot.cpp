#include "report/run_snapshot.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <vector>

#include <fmt/format.h>

#include "reader/aggregator.hpp"
#include "reader/attrs_json.hpp"
#include "reader/sink_fanout.hpp"
#include "reader/span_assembler.hpp"
#include "reader/summary_json.hpp"
#include "reader/units.hpp"
#include "report/log_panel.hpp"
#include "report/metric_snapshot.hpp"
#include "report/time_buckets.hpp"

namespace spanlog::report {
namespace {

using reader::attrs_json;
using reader::json_number;
using reader::json_string;
using reader::WholeSpan;

struct LongerFirst {  // the queue's top is the shortest span kept, the first to give up its place
  bool operator()(const reader::WholeSpan& a, const reader::WholeSpan& b) const {
    return a.dur_ns > b.dur_ns;
  }
};

class SnapshotSink : public reader::RecordSink {
 public:
  // `base`: the run's start (the header's, else its first timestamp), which the page's times are relative to.
  SnapshotSink(const SnapshotLimits& limits, TimeBuckets buckets, std::uint64_t base)
      : limits_(limits), buckets_(buckets), base_(base) {}

  void on_header(const reader::HeaderRecord& r, std::uint64_t) override {
    header_ = fmt::format(
        "{{\"event\":\"header\",\"run_id\":{},\"process\":{},\"host\":{},\"pid\":{},\"version\":{},"
        "\"start_ts\":0,\"start_ts_ns\":\"{}\",\"options\":{{\"flush_interval_ms\":{}}}}}",
        json_string(r.run_id), json_string(r.process), json_string(r.host), r.pid, json_string(r.version),
        r.start_ts, r.flush_interval_ms.value_or(100));
  }
  void on_thread(const reader::ThreadRecord& r, std::uint64_t) override {
    auto& t = threads_[r.tid];
    if (r.name) t.name = std::string(*r.name);
    t.exited = t.exited || r.exited;
  }
  void on_span(const reader::SpanRecord& r, std::uint64_t) override { keep(reader::SpanAssembler::whole(r)); }
  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t) override { assembler_.start(r); }
  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t) override {
    if (auto span = assembler_.end(r)) keep(std::move(*span));
  }
  void on_phase(const reader::PhaseRecord& r, std::uint64_t) override {
    phases_.push_back(
        fmt::format("{{\"event\":\"phase\",\"name\":{},\"ts\":{},\"end_ts\":{},\"wall_ns\":{}}}",
                    json_string(r.name), rel(r.ts), rel(r.end_ts), r.wall_ns));
  }
  void on_dropped(const reader::DroppedRecord& r, std::uint64_t) override { dropped_.add(r.counts); }
  void on_crash(const reader::CrashRecord& r, std::uint64_t) override {
    crash_ =
        fmt::format("{{\"event\":\"crash\",\"signal\":{},\"name\":{},\"reason\":{},\"tid\":{},\"ts\":{}}}",
                    r.signal, json_string(r.name), json_string(r.what()), r.tid, rel(r.ts));
    last_ts_ = std::max(last_ts_, r.ts);
  }
  void on_footer(const reader::FooterRecord& r, std::uint64_t) override {
    footer_ = fmt::format("{{\"event\":\"footer\",\"ts\":{},\"wall_ns\":{}{}}}", rel(r.ts), r.wall_ns,
                          r.stopped_by.empty() ? "" : ",\"stopped_by\":" + json_string(r.stopped_by));
    last_ts_ = std::max(last_ts_, r.ts);
  }

  // The records as a JSON array, the open spans drawn up to `end_ts`, the metrics' series from `metrics`.
  std::string records_json(std::uint64_t end_ts, const MetricSnapshotSink& metrics) {
    std::vector<std::string> out;
    if (!header_.empty()) out.push_back(header_);
    for (const auto& [tid, t] : threads_)
      out.push_back(fmt::format("{{\"event\":\"thread\",\"tid\":{},\"name\":{},\"ts\":0,\"exited\":{}}}", tid,
                                json_string(t.name.empty() ? fmt::format("{}", tid) : t.name), t.exited));
    for (reader::WholeSpan& s : assembler_.still_open(end_ts)) {
      s.open = true;
      out.push_back(span_json(s));
    }
    while (!longest_.empty()) {
      out.push_back(span_json(longest_.top()));
      longest_.pop();
    }
    for (const auto& s : extra_) out.push_back(span_json(s));
    for (auto& p : phases_) out.push_back(std::move(p));
    metrics.append_records(out);
    if (dropped_.total() > 0)
      out.push_back(fmt::format(
          "{{\"event\":\"dropped\",\"tid\":0,\"ts\":0,\"spans\":{},\"events\":{},\"metrics\":{},\"attrs\":{},"
          "\"async_ends\":{}}}",
          dropped_.spans, dropped_.events, dropped_.metrics, dropped_.attrs, dropped_.async_ends));
    if (!crash_.empty()) out.push_back(crash_);
    if (!footer_.empty()) out.push_back(footer_);
    return "[" + fmt::format("{}", fmt::join(out, ",\n")) + "]";
  }

  // Spans begun per thread and time bucket, every span counted: where the spans not drawn are.
  std::string activity_json() const {
    std::string out = fmt::format("{{\"bucket_ns\":{},\"threads\":{{", buckets_.width);
    bool first = true;
    for (const auto& [tid, counts] : activity_) {
      out += fmt::format("{}\"{}\":[{}]", first ? "" : ",", tid, fmt::join(counts, ","));
      first = false;
    }
    return out + "}}";
  }

  std::uint64_t spans_seen = 0;
  std::uint64_t spans_drawn() const { return longest_.size() + extra_.size(); }
  std::uint64_t longest_kept() const { return longest_.size(); }
  std::uint64_t errors_left_out = 0;
  std::uint64_t last_ts() const { return last_ts_; }

 private:
  struct Thread {
    std::string name;
    bool exited = false;
  };

  std::int64_t rel(std::uint64_t ts) const {
    return static_cast<std::int64_t>(ts) - static_cast<std::int64_t>(base_);
  }
  void keep(reader::WholeSpan span) {
    ++spans_seen;
    auto& counts = activity_[span.tid];
    if (counts.empty()) counts.assign(buckets_.count, 0);
    ++counts[buckets_.index(span.start_ts)];
    last_ts_ = std::max(last_ts_, span.start_ts + span.dur_ns);
    if (span.is_phase || (span.error && errors_kept_ < limits_.max_error_spans)) {
      errors_kept_ += span.error;
      extra_.push_back(std::move(span));
      return;
    }
    if (span.error) ++errors_left_out;
    if (longest_.size() < limits_.max_spans) {
      longest_.push(std::move(span));
    } else if (!longest_.empty() && span.dur_ns > longest_.top().dur_ns) {
      longest_.pop();
      longest_.push(std::move(span));
    }
  }
  std::string span_json(const reader::WholeSpan& s) const {
    std::string out =
        fmt::format("{{\"event\":\"{}\",\"span_id\":{},\"name\":{},\"tid\":{},\"ts\":{}",
                    s.open ? "span_start" : "span", s.span_id, json_string(s.name), s.tid, rel(s.start_ts));
    if (s.parent) out += fmt::format(",\"parent\":{}", *s.parent);
    if (!s.open) out += fmt::format(",\"dur_ns\":{},\"status\":\"{}\"", s.dur_ns, s.error ? "error" : "ok");
    if (s.error && !s.message.empty()) out += ",\"message\":" + json_string(s.message);
    if (s.is_phase) out += ",\"kind\":\"phase\"";
    if (s.is_async) out += fmt::format(",\"async\":true,\"end_tid\":{}", s.end_tid);
    if (!s.attrs.empty()) out += ",\"attrs\":" + attrs_json(s.attrs);
    return out + "}";
  }

  const SnapshotLimits& limits_;
  TimeBuckets buckets_;
  std::uint64_t base_;
  std::uint64_t last_ts_ = 0;
  std::string header_, crash_, footer_;
  std::map<std::uint64_t, Thread> threads_;
  reader::SpanAssembler assembler_;
  std::priority_queue<reader::WholeSpan, std::vector<reader::WholeSpan>, LongerFirst> longest_;
  std::vector<reader::WholeSpan> extra_;  // phases and error spans, always drawn
  std::size_t errors_kept_ = 0;
  std::vector<std::string> phases_;
  std::map<std::uint64_t, std::vector<std::uint64_t>> activity_;
  reader::DroppedCounts dropped_;
};

}  // namespace

Snapshot build_snapshot(const std::filesystem::path& file, const reader::ReadOptions& read_options,
                        const SnapshotLimits& limits, bool raw_self_time) {
  reader::Summary summary = reader::summarize({file}, {}, read_options);
  if (raw_self_time) summary.use_raw_self_time();
  TimeBuckets buckets;
  if (!summary.runs.empty()) {
    const auto& run = summary.runs.front();
    buckets.start = run.start_ts;
    buckets.count = std::max<std::size_t>(1, limits.metric_buckets);
    const std::uint64_t length = run.end_ts > run.start_ts ? run.end_ts - run.start_ts : 1;
    buckets.width = std::max<std::uint64_t>(1, (length + buckets.count - 1) / buckets.count);
  }
  SnapshotSink sink(limits, buckets, buckets.start);
  MetricSnapshotSink metrics(buckets, limits.max_series_per_metric, buckets.start);
  LogPanelSink logs(limits.max_log_lines);
  reader::SinkFanout all{&sink, &metrics, &logs};
  reader::read_file(file, all, read_options);

  Snapshot snapshot;
  snapshot.spans_seen = sink.spans_seen;
  snapshot.spans_drawn = sink.spans_drawn();
  snapshot.open_spans = summary.open_spans.size();
  std::string note;
  if (snapshot.spans_drawn < snapshot.spans_seen)
    note = fmt::format(
        "The timeline draws {} of {} spans: the {} longest, with every phase and {} error span; the summary "
        "table counts them all.",
        snapshot.spans_drawn, snapshot.spans_seen, sink.longest_kept(),
        sink.errors_left_out ? fmt::format("the first {}", limits.max_error_spans) : std::string("every"));
  const std::uint64_t end_ts = summary.runs.empty() ? sink.last_ts() : summary.runs.front().end_ts;
  const std::uint64_t last = std::max({end_ts, sink.last_ts(), metrics.last_ts()});
  const std::uint64_t start = summary.runs.empty() ? 0 : summary.runs.front().start_ts;
  // end_ts: where open spans are drawn up to; the last record may be one the page is not sent (an instant).
  snapshot.json = fmt::format(
      "{{\"summary\":{},\"note\":{},\"end_ts\":{},\"activity\":{},\"logs\":{},\"series_left_out\":{},"
      "\"records\":{}}}",
      reader::summary_json(summary), json_string(note), last > start ? last - start : 0,
      snapshot.spans_drawn < snapshot.spans_seen ? sink.activity_json() : std::string("null"),
      logs.json(buckets.start), metrics.series_left_out_json(), sink.records_json(last, metrics));
  return snapshot;
}

}  // namespace spanlog::report
