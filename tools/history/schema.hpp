// The history's relational schema (docs/history.md): its version lives in the database, in spanlog_schema.
// A writer migrates an older database forward; a reader refuses one it would misread, naming the command that
// migrates it; nobody touches a newer one.
#pragma once

#include <cstdint>
#include <string>

#include "history/store.hpp"

namespace spanlog::history {

// 1: the tables. 2: the views (span_stats, phase_times, counter_totals, run_order). 3: span_times (self and
// parallel time per run and span name) and span_stats with them. 4: dropped.span_names and event_names.
// 5: runs.crash. 6: statistics-mode spans (schema 1.4): the span_stats_lines and span_stats_buckets tables,
// spans.stats_ns, and span_stats counting them. 7: log lines (schema 1.6): the logs table. 8: metrics of
// schema 1.7: counters.labels and gauges.labels, the histograms, histogram_buckets and metric_info tables and
// the histogram_stats view.
inline constexpr std::int64_t kSchemaVersion = 8;

// A span row's key: its run in the high bits, the span's number in the run in the low bits, counted from 1 in
// the order the spans are written: the order of the line that completed each (its span line, its row of a
// `spans` line, its span_end), then the spans still open. So a run's spans are appended at the end of the
// table (SQLite: the rowid) instead of searched for, row by row; and a run's spans are one key range.
inline constexpr unsigned kSpanRowLineBits = 40;
inline std::int64_t span_row(std::int64_t run_key, std::uint64_t line) {
  return (run_key << kSpanRowLineBits) | static_cast<std::int64_t>(line);
}

// The version a database holds; 0 when it holds no spanlog history at all (a new, empty database).
std::int64_t stored_schema_version(Store& store);

// For loading: creates or migrates the schema to kSchemaVersion, once even with concurrent loaders.
void prepare_for_writing(Store& store);
// For reading: throws HistoryError unless the database holds exactly kSchemaVersion.
void require_current_schema(Store& store);

}  // namespace spanlog::history
