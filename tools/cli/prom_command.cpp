// `spanlog prom [RUN] [-o FILE]`: the run's counters, gauges and span-duration histograms in the Prometheus
// text format, to scrape or push (docs/exporters.md).
#include "cli/export_commands.hpp"
#include "cli/export_output.hpp"
#include "cli/span_labels.hpp"
#include "export/prometheus.hpp"
#include "reader/aggregator.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {

int prom_command(const PromOptions& options, const Console& console) {
  reader::AggregateOptions aggregate;
  if (!options.labels.empty()) aggregate.label_keys = span_label_keys(options.labels);
  const reader::RunLocation location = reader::locate_run(options.run);
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  const reader::Summary summary = reader::summarize({location.file}, aggregate, read_options);

  ExportOutput output(options.output, console);
  const exporters::PrometheusReport report = exporters::write_prometheus(summary, output.stream());
  output.commit();

  for (const auto& run : summary.runs) warn_about_input(location.file, run.read, console);
  warn_about_label_overflow(summary, console);
  for (const std::string& renamed : report.renamed)
    console.warning("two names sanitise to the same metric: {}", renamed);
  if (output.is_file()) console.print("wrote {}: {} metric families\n", output.name(), report.families);
  return 0;
}

}  // namespace spanlog::cli
