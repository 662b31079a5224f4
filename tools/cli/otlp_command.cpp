// `spanlog otlp [RUN] [-o traces.jsonl] [--metrics metrics.jsonl]`: the run as OTLP/JSON lines for an
// OpenTelemetry Collector's otlpjsonfile receiver (docs/exporters.md).
#include <fmt/format.h>

#include "cli/export_commands.hpp"
#include "cli/export_output.hpp"
#include "cli/usage_error.hpp"
#include "export/otlp_metrics.hpp"
#include "export/otlp_traces.hpp"
#include "reader/aggregator.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {

int otlp_command(const OtlpOptions& options, const Console& console) {
  if (options.batch_spans == 0) throw UsageError("--batch: expected at least 1 span per line");
  if (options.metrics_output && options.output && *options.metrics_output == *options.output)
    throw UsageError("--metrics: traces and metrics go to different files");
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
    const reader::Summary summary = reader::summarize({location.file}, {}, read_options);
    metrics_report = exporters::write_otlp_metrics(context, summary, metrics->stream());
  }
  // Both files appear together, once both are whole.
  traces.commit();
  if (metrics) metrics->commit();

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
  return 0;
}

}  // namespace spanlog::cli
