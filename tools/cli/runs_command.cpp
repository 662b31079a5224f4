// `spanlog runs [DIR] [--keep N]`: the runs in a directory, newest first; --keep deletes all but the newest
// N.
#include <algorithm>
#include <filesystem>

#include <fmt/chrono.h>

#include "cli/commands.hpp"
#include "cli/run_status.hpp"
#include "cli/usage_error.hpp"
#include "reader/run_location.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {

namespace fs = std::filesystem;

int runs_command(const RunsOptions& options, const Console& console) {
  const fs::path dir = options.dir ? fs::path(*options.dir) : reader::spanlog_dir();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(fmt::format("{}: no such directory", dir.string()));

  std::vector<RunStatus> runs;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    // `latest` is a symbolic link to one of the runs: list each run once.
    if (entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
    if (!fs::is_regular_file(entry.path() / "telemetry.jsonl", ec)) continue;
    runs.push_back(probe_run(entry.path()));
  }
  std::sort(runs.begin(), runs.end(), [](const RunStatus& a, const RunStatus& b) {
    return a.start_ts != b.start_ts ? a.start_ts > b.start_ts
                                    : a.directory.filename() > b.directory.filename();
  });

  using Align = Table::Align;
  Table table({{"run", Align::left}, {"started", Align::left}, {"wall"}, {"spans"}, {"status", Align::left}});
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    const bool deleted = options.keep && i >= *options.keep && !run.state.running();
    std::string started = "-";
    if (run.start_ts != 0) {
      const std::time_t seconds = static_cast<std::time_t>(run.start_ts / 1'000'000'000);
      started = fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::localtime(seconds));
    }
    std::string state = state_text(run.state, console);
    if (!run.lost.empty()) state += ", " + console.yellow(run.lost);
    if (deleted) state += " (deleted)";
    table.add_row({run.directory.filename().string(), started,
                   run.wall_ns ? reader::human_duration(*run.wall_ns) : "-",
                   run.spans ? fmt::format("{}", *run.spans) : "-", state});
  }
  if (table.empty())
    console.print("no runs in {}\n", dir.string());
  else
    table.print(console);

  int status = 0;
  if (options.keep) {
    for (std::size_t i = *options.keep; i < runs.size(); ++i) {
      // A run still being written is never deleted: its process holds the file open and would keep writing.
      if (runs[i].state.running()) continue;
      fs::remove_all(runs[i].directory, ec);
      if (ec) {
        console.error("could not delete {}: {}", runs[i].directory.string(), ec.message());
        status = 2;
      }
    }
  }
  return status;
}

}  // namespace spanlog::cli
