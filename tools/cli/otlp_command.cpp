// `spanlog otlp [RUN] [-o traces.jsonl] [--metrics metrics.jsonl] [--logs logs.jsonl]`: the run as OTLP/JSON
// lines for an OpenTelemetry Collector's otlpjsonfile receiver (docs/exporters.md).
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cli/export_commands.hpp"
#include "cli/export_output.hpp"
#include "cli/span_labels.hpp"
#include "cli/usage_error.hpp"
#include "export/otlp_logs.hpp"
#include "export/otlp_metrics.hpp"
#include "export/otlp_traces.hpp"
#include "reader/aggregator.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {
namespace {

// Each kind of data goes to a file of its own: a Collector's receiver parses a file as one kind. The traces
// always go somewhere: standard output ("-") when -o is not given.
void require_different_files(const OtlpOptions& options) {
  const std::pair<const char*, std::optional<std::string>> outputs[] = {{"-o", options.output.value_or("-")},
                                                                        {"--metrics", options.metrics_output},
                                                                        {"--logs", options.logs_output}};
  for (std::size_t i = 0; i < std::size(outputs); ++i)
    for (std::size_t j = i + 1; j < std::size(outputs); ++j) {
      const auto& [first_option, first] = outputs[i];
      const auto& [second_option, second] = outputs[j];
      if (first && second && *first == *second)
        throw UsageError(fmt::format("{} and {} both name {}: traces, metrics and logs go to different files",
                                     first_option, second_option, *first));
    }
}

}  // namespace

int otlp_command(const OtlpOptions& options, const Console& console) {
  if (options.batch_spans == 0) throw UsageError("--batch: expected at least 1 span per line");
  require_different_files(options);
  if (!options.labels.empty() && !options.metrics_output)
    throw UsageError("--labels labels the span durations of the metrics: it needs --metrics FILE");
  reader::AggregateOptions aggregate;
  if (!options.labels.empty()) aggregate.label_keys = span_label_keys(options.labels);
  const reader::RunLocation location = reader::locate_run(options.run);
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  const exporters::RunContext context = exporters::scan_run(location.file, read_options);

  ExportOutput traces(options.output, console);
  exporters::OtlpTracesOptions traces_options;
  traces_options.batch_spans = options.batch_spans;
  const exporters::OtlpTracesReport report =
      exporters::write_otlp_traces(context, location.file, traces.stream(), read_options, traces_options);

  std::optional<exporters::OtlpMetricsReport> metrics_report;
  std::optional<ExportOutput> metrics;
  if (options.metrics_output) {
    metrics.emplace(options.metrics_output, console);
    const reader::Summary summary = reader::summarize({location.file}, aggregate, read_options);
    metrics_report = exporters::write_otlp_metrics(context, summary, metrics->stream());
    warn_about_label_overflow(summary, console);
  }
  std::optional<exporters::OtlpLogsReport> logs_report;
  std::optional<ExportOutput> logs;
  if (options.logs_output) {
    logs.emplace(options.logs_output, console);
    logs_report = exporters::write_otlp_logs(context, location.file, logs->stream(), read_options);
  }
  // The files appear together, once all are whole.
  traces.commit();
  if (metrics) metrics->commit();
  if (logs) logs->commit();

  warn_about_input(location.file, report.read, console);
  if (report.orphan_ends > 0)
    console.warning("{} span_end lines had no span_start and were left out", report.orphan_ends);
  if (traces.is_file())
    console.print("wrote {}: {} spans in {} lines ({} still open, {} events, {} instants as spans)\n",
                  traces.name(), report.spans, report.lines, report.open_spans, report.span_events,
                  report.instant_spans);
  if (metrics && metrics->is_file())
    console.print("wrote {}: {} metrics, {} data points\n", metrics->name(), metrics_report->metrics,
                  metrics_report->data_points);
  if (logs && logs->is_file())
    console.print("wrote {}: {} log records ({} outside every span)\n", logs->name(),
                  logs_report->log_records, logs_report->outside_spans);
  return 0;
}

}  // namespace spanlog::cli
