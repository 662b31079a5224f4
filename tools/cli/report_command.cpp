// `spanlog report [RUN] -o report.html`: the run as one HTML file that opens anywhere, with no network
// access.
#include <fstream>

#include "cli/usage_error.hpp"
#include "cli/view_commands.hpp"
#include "reader/run_location.hpp"
#include "report/page.hpp"
#include "report/run_snapshot.hpp"

namespace spanlog::cli {

int report_command(const ReportOptions& options, const Console& console) {
  const reader::RunLocation location = reader::locate_run(options.run);
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  report::SnapshotLimits limits;
  limits.max_spans = options.max_spans;
  const report::Snapshot snapshot = report::build_snapshot(location.file, read_options, limits, options.raw);

  const std::string page = report::render_page(snapshot.json);
  const std::string temporary = options.output + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw UsageError(fmt::format("{}: cannot write", temporary));
    out.write(page.data(), static_cast<std::streamsize>(page.size()));
    if (!out.flush()) throw UsageError(fmt::format("{}: cannot write", temporary));
  }
  std::error_code error;
  std::filesystem::rename(temporary, options.output, error);
  if (error) throw UsageError(fmt::format("{}: cannot write: {}", options.output, error.message()));
  console.print("wrote {}: {} of {} spans drawn{}, {} KB\n", options.output, snapshot.spans_drawn,
                snapshot.spans_seen,
                snapshot.open_spans ? fmt::format(" and {} never ended", snapshot.open_spans) : std::string(),
                page.size() / 1024);
  return 0;
}

}  // namespace spanlog::cli
