// What a report file carries: the run's summary (every span counted) and the records the page draws, chosen
// so the page stays responsive whatever the run's size: the longest spans up to a limit (plus every error,
// phase and open span), each metric series (label set) of counters and gauges merged into time buckets,
// histograms merged over the run, a metric's largest series up to a limit, the newest log lines up to a
// limit. The page is told what was left out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "reader/jsonl_reader.hpp"

namespace spanlog::report {

struct SnapshotLimits {
  std::size_t max_spans = 60000;          // spans drawn; the rest are counted in the summary only
  std::size_t max_error_spans = 5000;     // error spans listed, beyond the drawn ones
  std::size_t metric_buckets = 600;       // points per counter or gauge series
  std::size_t max_series_per_metric = 8;  // a metric's largest series kept; the page draws as many
  std::size_t max_log_lines = 2000;       // the newest log lines listed; the older ones are only counted
};

struct Snapshot {
  // {"summary":..., "note":"...", "end_ts":..., "activity":..., "logs":{...}, "series_left_out":{"name":n},
  //  "records":[...]}
  std::string json;
  std::uint64_t spans_seen = 0;
  std::uint64_t spans_drawn = 0;  // of those that ended
  std::uint64_t open_spans = 0;   // never ended, all drawn
};

// Reads the run twice (the summary, then the records); throws reader::ReadError. `raw_self_time`: the
// summary's self times with the instrumentation left in (`report --raw`).
Snapshot build_snapshot(const std::filesystem::path& file, const reader::ReadOptions& read_options,
                        const SnapshotLimits& limits = {}, bool raw_self_time = false);

}  // namespace spanlog::report
