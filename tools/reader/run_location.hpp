// What a RUN argument names: a run directory, a telemetry.jsonl file, or nothing for $SPANLOG_DIR/latest;
// and, for the live views, a runs directory whose newest run (its `latest` link) is followed from run to run.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace spanlog::reader {

// A RUN argument that names nothing readable; commands exit with status 2.
class RunNotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunLocation {
  std::filesystem::path file;                      // the telemetry.jsonl
  std::optional<std::filesystem::path> directory;  // the run directory, when the file is in one
};

// $SPANLOG_DIR, or ./spanlog.
std::filesystem::path spanlog_dir();
// Throws RunNotFound when there is no such run.
RunLocation locate_run(const std::optional<std::string>& argument);

// What `serve`, `top` and `tail -f` follow: one run named explicitly (a run directory or a file), or the runs
// directory's newest run, whichever it is at the moment: DIR/latest/telemetry.jsonl, which a follower reads
// again from its start when the link moves to the next run.
struct LiveRun {
  std::filesystem::path file;                           // the telemetry.jsonl to follow
  std::optional<std::filesystem::path> runs_directory;  // set when following the newest run of a directory
};

// Nothing: $SPANLOG_DIR's newest run. A directory holding telemetry.jsonl, or a file: that run alone. Any
// other directory, or a path that is not there yet: a runs directory, whose first run may not have started.
// Throws RunNotFound for a file name (`*.jsonl`) that is not there, or a path that is neither file nor
// directory.
LiveRun locate_live_run(const std::optional<std::string>& argument);

// The run directory the followed file is in now (for a runs directory, where `latest` points), or nothing
// while there is no run yet.
std::optional<std::filesystem::path> current_run_directory(const LiveRun& run);

}  // namespace spanlog::reader
