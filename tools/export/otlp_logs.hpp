// A run's log lines (schema 1.6) as one OTLP/JSON LogsData line, the Collector file exporter's form that its
// `otlpjsonfile` receiver reads: the resource and scope the traces export gives the same run, then every log
// line as a logRecord in the file's order, tied to its span by the trace and span ids the traces carry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>

#include "export/run_context.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/records.hpp"

namespace spanlog::exporters {

struct OtlpLogsReport {
  std::uint64_t log_records = 0;
  std::uint64_t outside_spans = 0;  // logged outside every span: written without a trace or span id
  reader::ReadReport read;
};

// OpenTelemetry's SeverityNumber for a level: the first number of the level's range (TRACE 1 ... ERROR 17).
int severity_number(reader::LogLevel level);

// Reads the run's records (`context` is scan_run's first pass over the same file) and writes the log lines.
// Memory holds one record at a time. Throws reader::ReadError.
OtlpLogsReport write_otlp_logs(const RunContext& context, const std::filesystem::path& file,
                               std::ostream& out, const reader::ReadOptions& read_options);

}  // namespace spanlog::exporters
