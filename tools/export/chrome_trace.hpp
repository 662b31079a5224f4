// A run as a Chrome Trace Event file (the JSON object form), which Perfetto UI and chrome://tracing open:
// spans as complete slices per thread, async spans as async slices, instants, log lines (instants of their
// thread named by their message), counters, gauges and the names of the process and its threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>

#include "export/run_context.hpp"
#include "reader/jsonl_reader.hpp"

namespace spanlog::exporters {

struct ChromeTraceReport {
  std::uint64_t events = 0;         // trace events written, metadata included
  std::uint64_t thread_slices = 0;  // X and B events: spans on their thread
  std::uint64_t async_slices = 0;   // async spans (b, and e when they ended)
  std::uint64_t open_spans = 0;     // spans written without an end (B, or b without e)
  std::uint64_t clamped = 0;        // slices shortened to end inside the slice enclosing them
  std::uint64_t orphan_ends = 0;    // span_end lines without a span_start, skipped
  reader::ReadReport read;
};

// Reads the run's records (`context` is scan_run's first pass over the same file) and writes the trace. Holds
// one small entry per event in memory, since the events are sorted by time before they are written. Throws
// reader::ReadError.
ChromeTraceReport write_chrome_trace(const RunContext& context, const std::filesystem::path& file,
                                     std::ostream& out, const reader::ReadOptions& options);

}  // namespace spanlog::exporters
