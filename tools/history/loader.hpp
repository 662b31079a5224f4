// Imports one run's telemetry.jsonl into a history database, in one transaction. A run is identified by its
// header's run_id, host and start_ts: a run already loaded complete is left alone; one loaded while it was
// still being written (no footer yet) is replaced by the whole file as it is now, so it is completed, never
// doubled.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "history/store.hpp"

namespace spanlog::history {

struct LoadResult {
  enum class Outcome { loaded, completed, already_loaded };
  Outcome outcome = Outcome::loaded;
  std::string run_id;
  std::int64_t run_key = 0;
  std::uint64_t spans = 0;  // span rows written
  std::uint64_t rows = 0;   // rows of every table written
  bool complete = false;    // the run had its footer
};

// Throws HistoryError (database) or reader::ReadError (the file).
LoadResult load_run(Store& store, const std::filesystem::path& file);

}  // namespace spanlog::history
