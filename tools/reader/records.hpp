// The records of a telemetry.jsonl file (docs/format.md, schema 1.7) as the reader hands them out.
// Every string_view points into the parser's buffers and is valid only during the sink callback that receives
// it: a sink that keeps a name must copy it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace spanlog::reader {

// The newest major schema this reader understands; a header with a larger `schema` is refused.
inline constexpr std::uint64_t kSupportedSchema = 1;

// A JSON number that keeps integers exact (counter deltas, attribute values) while allowing floats.
struct Number {
  double as_double = 0.0;
  std::int64_t as_integer = 0;  // valid when is_integer
  bool is_integer = true;
};

struct AttrValue {
  enum class Type { null, number, boolean, string };
  Type type = Type::null;
  Number number;
  bool boolean = false;
  std::string_view string;
};

struct Attr {
  std::string_view key;
  AttrValue value;
};
using Attrs = std::span<const Attr>;
// A metric line's `labels` (schema 1.7): attribute values sorted by key, each key once, so that two lines of
// one series hold equal label lists. A metric's series is its name and its label list; no labels is a series.
using Labels = std::span<const Attr>;

// What recording costs, as the recorder measured it when the run started (the header's `overhead`, schema
// 1.2). Numbers may have fractions.
struct InstrumentationOverhead {
  double span_ns = 0, span_ticks = 0;    // a scoped span's begin and end, to the program
  double clock_ns = 0, clock_ticks = 0;  // one clock read
  double in_span_ns = 0;                 // what an empty span's dur_ns reads: the pair's part inside it
  double in_parent_ns = 0;               // span_ns - in_span_ns: the part that falls in the parent's time
};

// A metric's unit (UCUM as OpenTelemetry uses it: `By`, `s`, `ms`, `1`, `{token}`) and description: a
// `metric_info` line, or an entry of the header's `metrics` (schema 1.7). Either may be empty.
struct MetricInfoRecord {
  std::string_view name;
  std::uint64_t ts = 0;  // 0 in the header's entries
  std::string_view unit, description;
};

struct HeaderRecord {
  std::uint64_t schema = 0;
  std::uint64_t schema_minor = 0;
  std::string_view version, run_id, process, host, clock_source;
  std::uint64_t pid = 0;
  std::uint64_t start_ts = 0;
  std::optional<std::uint64_t> flush_interval_ms;
  Attrs attrs;
  std::optional<InstrumentationOverhead> overhead;  // absent in older files: nothing is subtracted then
  // options.ring_bytes and options.ring_max_bytes (schema 1.3): a ring's size, and what it may grow to.
  std::optional<std::uint64_t> ring_bytes, ring_max_bytes;
  std::span<const MetricInfoRecord> metrics;  // the metrics declared before the run started (schema 1.7)
};

struct ThreadRecord {
  std::uint64_t tid = 0;
  std::optional<std::string_view> name;
  std::uint64_t ts = 0;
  bool exited = false;
};

// A span that began and ended within one drained batch: a `span` line, or one row of a `spans` line (schema
// 1.3), which the reader hands out exactly as the `span` line it stands for.
struct SpanRecord {
  std::uint64_t span_id = 0;
  std::optional<std::uint64_t> parent;
  std::string_view name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;  // start
  std::uint64_t dur_ns = 0;
  bool error = false;
  std::string_view message;
  bool is_phase = false;
  bool is_async = false;
  std::optional<std::uint64_t> end_tid;
  Attrs attrs;
  // The time of the span's direct statistics-mode children on its thread (schema 1.4): they are not in the
  // file as spans, so self time takes it off.
  std::uint64_t stats_ns = 0;
};

struct SpanStartRecord {
  std::uint64_t span_id = 0;
  std::optional<std::uint64_t> parent;
  std::string_view name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  bool is_phase = false;
  bool is_async = false;
  Attrs attrs;
};

struct SpanEndRecord {
  std::uint64_t span_id = 0;
  std::optional<std::uint64_t> tid;  // the ending thread, when the recorder writes it
  std::uint64_t ts = 0;              // end
  std::uint64_t dur_ns = 0;
  bool error = false;
  std::string_view message;
  Attrs attrs;
  std::uint64_t stats_ns = 0;  // as in SpanRecord
};

// The statistics-mode spans of one thread and name over one stats interval (schema 1.4): what the thread's
// histogram of the name grew by since its previous line. `ts` is when it was written, no span's start.
struct SpanStatsRecord {
  // A bucket of the reader's own histogram scheme (Histogram::bucket_lower_bound) and its count.
  struct Bucket {
    std::uint64_t lower_ns = 0, count = 0;
  };
  std::string_view name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  std::uint64_t count = 0, total_ns = 0, self_ns = 0;
  std::span<const Bucket> buckets;  // ascending, summing to `count`
};

struct InstantRecord {
  std::string_view name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  std::optional<std::uint64_t> parent;
  Attrs attrs;
};

// A log line's severity, in increasing order: a filter "at or above" compares them.
enum class LogLevel : std::uint8_t { trace, debug, info, warn, error };
inline constexpr std::size_t kLogLevels = 5;
inline constexpr std::string_view kLogLevelNames[kLogLevels] = {"trace", "debug", "info", "warn", "error"};

constexpr std::string_view log_level_name(LogLevel level) {
  return kLogLevelNames[static_cast<std::size_t>(level)];
}
// The level a word names, as the format spells it ("warn"); empty for any other word.
constexpr std::optional<LogLevel> log_level_named(std::string_view word) {
  for (std::size_t i = 0; i < kLogLevels; ++i)
    if (kLogLevelNames[i] == word) return static_cast<LogLevel>(i);
  return std::nullopt;
}

// A `SPANLOG_LOG_*` line (schema 1.6): its message as the flusher formatted it, its arguments as attributes.
struct LogRecord {
  LogLevel level = LogLevel::info;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  std::uint64_t span_id = 0;  // the innermost open span of its thread; 0 when logged outside every span
  std::string_view message;
  Attrs attrs;
  std::string_view site_file;  // the call's file as the compiler spelled it, and its line
  std::uint64_t site_line = 0;
};

struct CounterRecord {
  std::string_view name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;  // time of the drain
  Number delta;
  Labels labels;  // schema 1.7; a labelled line has no tid (0): the flusher summed the series over threads
};

struct GaugeRecord {
  std::string_view name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  std::optional<double> value, min, max;  // empty when the recorder wrote null (not finite)
  std::uint64_t count = 1;
  Labels labels;  // as for counters
};

// A distribution of non-negative integer values (schema 1.7): what one series' histogram grew by since its
// previous line, in the buckets of span_stats (Histogram::bucket_lower_bound).
struct HistogramRecord {
  std::string_view name;
  std::optional<std::uint64_t> tid;  // absent on a labelled line, summed over threads
  std::uint64_t ts = 0;
  std::uint64_t sum = 0, count = 0;
  std::span<const SpanStatsRecord::Bucket> buckets;  // ascending, summing to `count`; lower_ns is a value
  Labels labels;
};

struct PhaseRecord {
  std::string_view name;
  std::optional<std::uint64_t> span_id;
  std::uint64_t ts = 0;
  std::uint64_t end_ts = 0;
  std::uint64_t wall_ns = 0;
};

// A thread's ring that doubled (schema 1.3): its thread outran the flusher. One per growth, on the thread's
// line order.
struct RingGrownRecord {
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  std::uint64_t bytes = 0;  // the ring's new size
};

struct DroppedCounts {
  std::uint64_t spans = 0, events = 0, metrics = 0, attrs = 0;
  std::uint64_t async_ends = 0;  // ends of async spans lost: their span_start has no span_end
  std::uint64_t total() const { return spans + events + metrics + attrs + async_ends; }
  void add(const DroppedCounts& o) {
    spans += o.spans;
    events += o.events;
    metrics += o.metrics;
    attrs += o.attrs;
    async_ends += o.async_ends;
  }
  // Each count the larger of the two: the footer's totals against the sum of the `dropped` lines.
  void take_max(const DroppedCounts& o) {
    spans = std::max(spans, o.spans);
    events = std::max(events, o.events);
    metrics = std::max(metrics, o.metrics);
    attrs = std::max(attrs, o.attrs);
    async_ends = std::max(async_ends, o.async_ends);
  }
};

// A name and how many of its spans or events were dropped.
struct NamedCount {
  std::string_view name;
  std::uint64_t count = 0;
};
using NamedCounts = std::span<const NamedCount>;

struct DroppedRecord {
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  DroppedCounts counts;
  std::string_view reason;
  // Of `counts.spans` and `counts.events`, those whose name the recorder knew (schema 1.2); they may sum to
  // less: the rest are known only per thread.
  NamedCounts span_names, event_names;
};

struct FooterRecord {
  std::uint64_t ts = 0;
  std::uint64_t wall_ns = 0;
  std::uint64_t records = 0, spans = 0, events = 0, sampled_out = 0, open_spans = 0;
  std::uint64_t unwritten_records = 0;  // lines lost to a write error (a full disk): not in the file
  // Growths of rings in the run, and the largest ring's bytes (options.ring_bytes when none grew); 0 in files
  // older than schema 1.3.
  std::uint64_t rings_grown = 0, largest_ring = 0;
  DroppedCounts dropped;
  // Why spanlog wrote the run: "SIGTERM", "SIGINT" or "quick_exit" when the process was ending by that
  // signal or by quick_exit (schema 1.1); empty after a stop() or a normal exit.
  std::string_view stopped_by;
  std::uint64_t stats_spans = 0;  // the span_stats lines' counts summed (schema 1.4), not among `spans`
  std::uint64_t logs = 0;         // the `log` lines written (schema 1.6)
  // Metric values that went to a metric's overflow series, past options.metric_series_max label sets (1.7).
  std::uint64_t metric_overflow = 0;
};

// Written by the crash handler after what the rings held; a crashed run has no footer.
struct CrashRecord {
  std::uint64_t signal = 0;
  std::string_view name;  // "SIGSEGV"
  // What ended the program: the signal's name, or e.g. "uncaught exception std::runtime_error: disk full"
  // when std::terminate did (schema 1.1). Empty in older files: use `name` then (what()).
  std::string_view reason;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  std::string_view what() const { return !reason.empty() ? reason : !name.empty() ? name : "a signal"; }
};

// Receives the records of a file in file order. `line` is the 1-based line number, for messages.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // False when the sink never reads the records' attributes: the reader then skips collecting them (they are
  // still checked). Asked once, when the reading starts.
  virtual bool wants_attrs() const { return true; }
  virtual void on_header(const HeaderRecord&, std::uint64_t /*line*/) {}
  virtual void on_thread(const ThreadRecord&, std::uint64_t /*line*/) {}
  virtual void on_span(const SpanRecord&, std::uint64_t /*line*/) {}
  virtual void on_span_start(const SpanStartRecord&, std::uint64_t /*line*/) {}
  virtual void on_span_end(const SpanEndRecord&, std::uint64_t /*line*/) {}
  virtual void on_span_stats(const SpanStatsRecord&, std::uint64_t /*line*/) {}
  virtual void on_instant(const InstantRecord&, std::uint64_t /*line*/) {}
  virtual void on_log(const LogRecord&, std::uint64_t /*line*/) {}
  virtual void on_counter(const CounterRecord&, std::uint64_t /*line*/) {}
  virtual void on_gauge(const GaugeRecord&, std::uint64_t /*line*/) {}
  virtual void on_histogram(const HistogramRecord&, std::uint64_t /*line*/) {}
  virtual void on_metric_info(const MetricInfoRecord&, std::uint64_t /*line*/) {}
  virtual void on_phase(const PhaseRecord&, std::uint64_t /*line*/) {}
  virtual void on_dropped(const DroppedRecord&, std::uint64_t /*line*/) {}
  virtual void on_ring_grown(const RingGrownRecord&, std::uint64_t /*line*/) {}
  virtual void on_crash(const CrashRecord&, std::uint64_t /*line*/) {}
  virtual void on_footer(const FooterRecord&, std::uint64_t /*line*/) {}
};

}  // namespace spanlog::reader
