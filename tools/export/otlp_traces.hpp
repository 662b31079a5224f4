// A run as OTLP/JSON traces in the form of the OpenTelemetry Collector's file exporter, which its
// `otlpjsonfile` receiver reads: one TracesData object per line, each holding a batch of spans with the
// resource (the process) and scope (spanlog) repeated, so that every line stands alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>

#include "export/run_context.hpp"
#include "reader/jsonl_reader.hpp"

namespace spanlog::exporters {

struct OtlpTracesOptions {
  std::size_t batch_spans = 512;  // spans per line: collectors handle lines of a few hundred kilobytes well
};

struct OtlpTracesReport {
  std::uint64_t lines = 0;
  std::uint64_t spans = 0;          // every span written, the ones below included
  std::uint64_t open_spans = 0;     // never ended: they end at the run's last timestamp
  std::uint64_t span_events = 0;    // instants written as events of their span
  std::uint64_t instant_spans = 0;  // instants without a span to hold them, written as zero-length spans
  std::uint64_t orphan_ends = 0;    // span_end lines without a span_start, skipped
  reader::ReadReport read;
};

// Reads the run's records (`context` is scan_run's first pass over the same file) and writes them. Memory
// grows with the spans open at once and the instants waiting for their span to end. Throws reader::ReadError.
OtlpTracesReport write_otlp_traces(const RunContext& context, const std::filesystem::path& file,
                                   std::ostream& out, const reader::ReadOptions& read_options,
                                   const OtlpTracesOptions& options = {});

}  // namespace spanlog::exporters
