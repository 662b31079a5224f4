// What a session is told: every option with its default and the environment variable that sets it. Include it
// where the program configures its run (spanlog::start(options)); instrumented files need only spanlog.hpp.
// Parsing the environment never fails: a bad value is reported once on stderr and the default is kept.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "detail/log_format.hpp"
#if SPANLOG_ENABLED
#include "detail/slow_paths.hpp"
#endif

SPANLOG_BEGIN_API_NAMESPACE

enum class OverflowPolicy { drop, block };

// What a child made by fork() records: a run of its own (<parent run id>-fork-<pid>, begun by its first
// record), or nothing. It never writes into the parent's file.
enum class ForkPolicy { new_run, off };

struct Options {
  std::string dir = "spanlog";  // SPANLOG_DIR: runs are written to <dir>/<run_id>/
  std::string run_id;           // SPANLOG_RUN_ID: empty means <yyyymmdd-hhmmss>-<pid>
  // SPANLOG_RING_SIZE: bytes per recording thread (power of two, 4K..1G; K/M/G suffixes). A span takes 32
  // bytes; raise it when a thread records bursts faster than the flusher drains them.
  std::size_t ring_bytes = std::size_t{1} << 20;
  // SPANLOG_RING_MAX: what a ring may grow to, doubling, when its thread outruns the flusher (same rules;
  // at least ring_bytes). Growth allocates on the recording thread, once per doubling; past the bound the
  // overflow policy applies. ring_max_bytes = ring_bytes: rings never grow.
  std::size_t ring_max_bytes = std::size_t{16} << 20;
  OverflowPolicy overflow = OverflowPolicy::drop;  // SPANLOG_OVERFLOW: drop (and count) or block
  std::chrono::milliseconds flush_interval{100};   // SPANLOG_FLUSH_INTERVAL_MS (1..60000)
  // SPANLOG_STATS_INTERVAL_MS (1..600000): how often statistics spans' histograms are written (span_stats
  // lines), at least every flush interval; also at flush(), stop(), a thread's exit and a crash. A line per
  // thread and name, whatever the span rate: the interval sets the output's size.
  std::chrono::milliseconds stats_interval{1000};
  // SPANLOG_STATS_NAMES="kv.*,block.read": full spans (SPANLOG_SPAN) whose name matches one of these
  // comma-separated globs (`*` any run of characters, `?` one) are kept as statistics spans, chosen at run
  // time without a rebuild. They cost their thread what a full span costs; the flusher adds them to
  // histograms instead of writing them (docs/recording.md, "Statistics spans").
  std::string stats_names;
  bool enabled = true;                                     // SPANLOG=off disables recording at run time
  bool spans = true;                                       // SPANLOG_SPANS=off
  bool events = true;                                      // SPANLOG_EVENTS=off
  bool metrics = true;                                     // SPANLOG_METRICS=off (counters and gauges)
  double sample = 1.0;                                     // SPANLOG_SAMPLE: share of spans kept, 0..1
  std::string service_name;                                // SPANLOG_SERVICE: default the program's name
  std::vector<std::pair<std::string, std::string>> attrs;  // SPANLOG_ATTRS="k=v,k2=v2"
  // SPANLOG_CRASH_HANDLER: on SIGSEGV, SIGABRT, SIGBUS, SIGFPE and SIGILL, and on std::terminate (an uncaught
  // exception), write what the rings hold, then pass on to the handler the program had. Off for programs
  // whose own handler must run alone.
  bool crash_handler = true;
  // SPANLOG_TERMINATION_SIGNALS: on SIGTERM and SIGINT, where the program left them at their default action,
  // write the whole run (footer and run_summary.json), then die of the signal as the process would have.
  bool termination_signals = true;
  ForkPolicy fork = ForkPolicy::new_run;  // SPANLOG_FORK: new_run or off
  // SPANLOG_OTLP: also write traces.otlp.jsonl beside telemetry.jsonl, OTLP/JSON TracesData lines of the
  // spans ended in each drain, for an OpenTelemetry Collector's otlpjsonfile receiver to tail live.
  bool otlp = false;
  // SPANLOG_SPAN_ROWS: complete spans are written as rows of `spans` records, a line per thread and drain
  // (docs/format.md); off, each is a `span` line of its own, as before schema 1.3.
  bool span_rows = true;
  // SPANLOG_LOG_LEVEL (trace, debug, info, warn, error, off): log lines below it are not recorded, at the
  // cost of one compare at the call site. Below the compile-time floor (SPANLOG_LOG_LEVEL_MIN) they do not
  // exist.
  LogLevel log_level = LogLevel::info;
  // SPANLOG_LOG_CONSOLE (the same names; default off): the flusher also prints the lines at or above this
  // level on stderr, for a person (time, level, thread, span, message), coloured on a terminal.
  LogLevel log_console = LogLevel::off;
  // SPANLOG_VITALS: the flusher records the process's own state each statistics interval (resident memory,
  // CPU time, threads, bytes and records written and dropped, rings' peak fill, its own lag and CPU time) as
  // metrics named spanlog.* (docs/format.md, "Vitals").
  bool vitals = true;
  // SPANLOG_METRIC_SERIES_MAX (1..1000000): label sets a metric may have in a run; the values of further
  // sets go to the metric's overflow series, counted (footer.metric_overflow).
  std::size_t metric_series_max = 1000;

  // Defaults overridden by the environment.
  static Options from_env();
};

// Defaults overridden by the environment: SPANLOG_DIR, SPANLOG_RING_SIZE and the others named above.
inline Options Options::from_env() {
#if SPANLOG_ENABLED
  return detail::slow::options_from_env();
#else
  return Options{};  // nothing is recorded: the environment is not read
#endif
}

SPANLOG_END_NAMESPACE
