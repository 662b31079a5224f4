// `spanlog chrome [RUN] [-o trace.json]`: the run as a Chrome Trace Event file for Perfetto UI or
// chrome://tracing (docs/exporters.md).
#include "cli/export_commands.hpp"
#include "cli/export_output.hpp"
#include "export/chrome_trace.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {

int chrome_command(const ChromeOptions& options, const Console& console) {
  const reader::RunLocation location = reader::locate_run(options.run);
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  const exporters::RunContext context = exporters::scan_run(location.file, read_options);

  ExportOutput output(options.output, console);
  const exporters::ChromeTraceReport report =
      exporters::write_chrome_trace(context, location.file, output.stream(), read_options);
  output.commit();

  warn_about_input(location.file, report.read, console);
  if (report.orphan_ends > 0)
    console.warning("{} span_end lines had no span_start and were left out", report.orphan_ends);
  if (report.clamped > 0)
    console.warning("{} slices ended after the slice enclosing them and were shortened to nest",
                    report.clamped);
  if (output.is_file())
    console.print("wrote {}: {} events, {} slices on threads, {} async, {} still open\n", output.name(),
                  report.events, report.thread_slices, report.async_slices, report.open_spans);
  return 0;
}

}  // namespace spanlog::cli
