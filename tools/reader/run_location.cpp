#include "reader/run_location.hpp"

#include <cstdlib>

#include <fmt/format.h>

namespace spanlog::reader {

namespace fs = std::filesystem;

fs::path spanlog_dir() {
  const char* dir = std::getenv("SPANLOG_DIR");
  return dir != nullptr && *dir != '\0' ? fs::path(dir) : fs::path("spanlog");
}

RunLocation locate_run(const std::optional<std::string>& argument) {
  std::error_code ec;
  const fs::path given = argument ? fs::path(*argument) : spanlog_dir() / "latest";
  if (fs::is_directory(given, ec)) {
    const fs::path file = given / "telemetry.jsonl";
    if (!fs::is_regular_file(file, ec))
      throw RunNotFound(fmt::format("{}: not a run directory (no telemetry.jsonl in it)", given.string()));
    return {file, given};
  }
  if (fs::is_regular_file(given, ec)) {
    if (given.filename() == "telemetry.jsonl")
      return {given, given.parent_path().empty() ? fs::path(".") : given.parent_path()};
    return {given, std::nullopt};
  }
  if (!argument)
    throw RunNotFound(
        fmt::format("no run given and {} does not exist (set SPANLOG_DIR or name a run)", given.string()));
  throw RunNotFound(fmt::format("{}: no such run directory or file", given.string()));
}

LiveRun locate_live_run(const std::optional<std::string>& argument) {
  std::error_code ec;
  const fs::path given = argument ? fs::path(*argument) : spanlog_dir();
  const bool exists = fs::exists(given, ec);
  if (argument && exists && fs::is_regular_file(given, ec)) return {given, std::nullopt};
  if (argument && exists && fs::is_regular_file(given / "telemetry.jsonl", ec))
    return {given / "telemetry.jsonl", std::nullopt};
  if (exists && !fs::is_directory(given, ec))
    throw RunNotFound(fmt::format("{}: neither a run nor a directory of runs", given.string()));
  if (!exists && given.extension() == ".jsonl")
    throw RunNotFound(fmt::format("{}: no such file", given.string()));
  return {given / "latest" / "telemetry.jsonl", given};
}

std::optional<fs::path> current_run_directory(const LiveRun& run) {
  std::error_code ec;
  const fs::path directory = fs::canonical(run.file, ec).parent_path();
  if (ec) return std::nullopt;
  return directory;
}

}  // namespace spanlog::reader
