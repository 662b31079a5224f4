// What `spanlog summary` knows about one or more runs once they are read: the model shared by the summary
// table, run_summary.json, `diff` and `check`. No parsing and no printing here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reader/histogram.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/labelled_spans.hpp"
#include "reader/log_stats.hpp"
#include "reader/metric_series.hpp"
#include "reader/owned_attrs.hpp"
#include "reader/records.hpp"
#include "reader/run_state.hpp"

namespace spanlog::reader {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

struct SpanStats {
  Histogram durations;  // count, total (sum), max and percentiles
  // Totals over the spans of span_times() (reader/self_time.hpp): self time with and without the
  // instrumentation subtracted, and the time their children on other threads covered.
  std::uint64_t self_ns = 0, raw_self_ns = 0, parallel_ns = 0;
  std::uint64_t errors = 0;
  // Of the spans, those that ended in error or have a descendant span (a child, its children...) that did: a
  // request whose `validate` child failed is counted here even when the request itself ended well.
  std::uint64_t subtree_errors = 0;
  // Of the spans, those that came from span_stats lines (statistics mode, schema 1.4): counted in the
  // histogram by bucket, so their minimum and maximum are known to the bucket's bounds only.
  std::uint64_t statistics = 0;
  std::map<std::string, double, std::less<>> attr_sums;  // the --sum attributes, summed over the spans
  OwnedAttrs
      group;  // with --by: the row's values, in the order of the --by attributes (a key lacking: absent)
};

struct CounterStats {
  double total = 0.0;
  std::int64_t integer_total = 0;  // exact while every delta is an integer and the sum fits
  bool integral = true;
  double value() const { return integral ? static_cast<double>(integer_total) : total; }
  void add(const Number& delta);
  void merge(const CounterStats& other);
};

struct GaugeStats {
  std::optional<double> last;  // the value of the newest line (by `ts`); empty: it was not finite (null)
  std::uint64_t last_ts = 0;
  std::optional<double> min, max;  // over the finite values; empty when there was none
  std::uint64_t sets = 0;
  // A line's figures; `first`: the first line of the series, whose value is the last so far whatever its
  // time.
  void add(const GaugeRecord& line, bool first);
  // Two series as one: the newer last value, the smaller minimum, the larger maximum, the sets summed.
  void merge(const GaugeStats& other);
};

struct PhaseStats {
  std::uint64_t wall_ns = 0;
  std::uint64_t occurrences = 0;
  std::uint64_t spans = 0;  // spans of any thread, phases excepted, that started within the phase
  bool open = false;        // still open when its run ended: wall_ns runs to the run's end
};

struct ThreadInfo {
  std::string run_id;
  std::uint64_t tid = 0;
  std::string name;
  std::uint64_t spans = 0;  // spans started on this thread, ended or still open, statistics-mode ones too
  std::uint64_t statistics = 0;  // of those, the statistics-mode spans (span_stats lines)
  bool exited = false;
};

struct OpenSpan {
  std::string run_id;
  std::uint64_t span_id = 0;
  std::string name;
  std::uint64_t tid = 0;
  std::string thread_name;
  std::uint64_t start_ts = 0;
  std::uint64_t open_ns = 0;  // from its start to the run's last timestamp
  bool is_phase = false;
};

// The run's `crash` record, copied.
struct CrashInfo {
  std::uint64_t signal = 0;
  std::string name;    // "SIGSEGV"
  std::string reason;  // the record's reason, else its name: what ended the program
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
};

struct RunInfo {
  std::filesystem::path file;  // the telemetry.jsonl
  std::string run_id, process, host, version;
  std::uint64_t pid = 0;
  std::uint64_t start_ts = 0;  // header start_ts, else the first timestamp seen
  std::uint64_t end_ts = 0;    // footer ts, else the last timestamp seen
  std::uint64_t wall_ns = 0;   // footer wall_ns, else end_ts - start_ts
  bool has_header = false;
  bool has_footer = false;
  std::uint64_t footer_records = 0;
  std::uint64_t footer_open_spans = 0;
  std::uint64_t unwritten_records = 0;  // from the footer: lines lost to a write error
  std::string stopped_by;               // from the footer: "SIGTERM", "SIGINT", "quick_exit", or empty
  std::optional<CrashInfo> crash;       // the crash handler wrote the run
  RunState state;                       // decided once, by decide_run_state
  std::optional<InstrumentationOverhead> overhead;  // from the header (schema 1.2)
  std::uint64_t spans = 0;                          // spans recorded: ended, and begun but never ended
  std::uint64_t events = 0;                         // instant events recorded
  DroppedCounts dropped;  // the `dropped` lines' sums, or the footer's totals where larger
  // Rings that doubled (schema 1.3): the `ring_grown` lines, or the footer's count where larger; the largest
  // ring's bytes, at least the header's options.ring_bytes (0 when nothing says).
  std::uint64_t rings_grown = 0, largest_ring = 0;
  std::optional<std::uint64_t>
      ring_max_bytes;  // the header's options.ring_max_bytes: what a ring may grow to
  ReadReport read;
};

// Drops whose name the recorder did not keep (or a line of an older schema without names), per run and
// thread: `dropped` lines count them per thread only. `footer_only`: what the footer's totals count beyond
// the lines, known for the run only.
struct UnnamedDrops {
  std::string run_id;
  std::uint64_t tid = 0;
  std::uint64_t spans = 0, events = 0;
  bool footer_only = false;
};

struct Summary {
  std::vector<RunInfo> runs;
  // SpanStats::self_ns holds the raw figures (`--raw`): the instrumentation is not subtracted.
  bool raw_self_time = false;
  std::string group_by;  // the attributes spans are grouped by, as written (comma-separated); empty: by name
  std::vector<std::string> group_keys;  // group_by's attributes
  StringMap<SpanStats> spans;  // by span name, or by the values' dimension_key (reader/span_dimensions.hpp)
  std::uint64_t ungrouped_spans = 0;  // with group_by: spans with none of its attributes
  // Spans picked by a name glob and attribute filters (`check` rules with `{...}`), by
  // `glob` + AttrSelector::text().
  StringMap<SpanStats> selected_spans;
  std::vector<std::string> label_keys;      // the exporters' --labels
  StringMap<LabelledSpans> labelled_spans;  // with label_keys: by span name
  StringMap<CounterStats> counters;
  StringMap<GaugeStats> gauges;
  // Schema 1.7. The series of counters and gauges with labels, by metric name (those without stay in
  // `counters` and `gauges`, as older files and run_summary.json have them); every histogram's series, the
  // one without labels under the empty text; units and descriptions by metric name; and the values the
  // recorder sent to a metric's overflow series (the footers' metric_overflow).
  StringMap<SeriesByLabels<CounterStats>> labelled_counters;
  StringMap<SeriesByLabels<GaugeStats>> labelled_gauges;
  StringMap<SeriesByLabels<Histogram>> histograms;
  StringMap<MetricInfo> metric_info;
  std::uint64_t metric_overflow = 0;
  StringMap<PhaseStats> phases;
  StringMap<std::uint64_t> events;  // instant events by name
  LogStats logs;                    // log lines by level; warn and error ones by call site
  std::vector<ThreadInfo> threads;
  std::vector<OpenSpan> open_spans;
  DroppedCounts dropped;
  StringMap<std::uint64_t> dropped_span_names, dropped_event_names;  // the drops whose name is known
  std::vector<UnnamedDrops> unnamed_drops;                           // the others
  std::uint64_t unwritten_records = 0;
  std::uint64_t rings_grown = 0;   // over the runs
  std::uint64_t largest_ring = 0;  // the largest of the runs' largest rings
  std::uint64_t sampled_out = 0;
  std::uint64_t total_spans = 0;       // completed spans
  std::uint64_t total_events = 0;      // instant events
  std::uint64_t records = 0;           // well-formed lines
  std::uint64_t orphan_span_ends = 0;  // span_end with no span_start (format violation)

  // From the earliest start to the latest end over all runs: the denominator of counter rates.
  std::uint64_t wall_ns() const;
  // What each view shows as self time from now on: the figures with the instrumentation left in (`--raw`).
  void use_raw_self_time();
};

// What a span costs the program over the runs of a summary: the smallest and largest of their headers'
// `overhead` (runs of one machine and build agree); empty when no run says.
struct InstrumentationCost {
  double span_ns_low = 0, span_ns_high = 0;
  double clock_ns_low = 0, clock_ns_high = 0;
  double in_parent_ns_low = 0, in_parent_ns_high = 0;
};
std::optional<InstrumentationCost> instrumentation_cost(const Summary& summary);
// Whether a name's spans are mostly instrumentation: their p50 is below ten times what a span costs.
bool mostly_instrumentation(const SpanStats& stats, const InstrumentationCost& cost);

// Combines the spans whose name matches the glob into one (merged histogram, summed totals).
SpanStats combine_matching(const Summary& summary, std::string_view glob);
bool glob_match(std::string_view glob, std::string_view name);

}  // namespace spanlog::reader
