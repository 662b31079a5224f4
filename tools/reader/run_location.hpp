// What a RUN argument names: a run directory, a telemetry.jsonl file, or nothing for $SPANLOG_DIR/latest.
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

}  // namespace spanlog::reader
