// `spanlog load RUN... [--db TARGET]` and `spanlog migrate [--db TARGET]`.
#include <fmt/format.h>

#include "cli/history_commands.hpp"
#include "history/loader.hpp"
#include "history/schema.hpp"
#include "history/stored_runs.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {
namespace {

std::string target_or_default(const std::string& db) {
  return db.empty() ? history::default_target() : db;
}

std::string_view outcome_text(history::LoadResult::Outcome outcome) {
  switch (outcome) {
    case history::LoadResult::Outcome::loaded:
      return "loaded";
    case history::LoadResult::Outcome::completed:
      return "reloaded (it had been loaded while still running)";
    case history::LoadResult::Outcome::already_loaded:
      return "already loaded, left as it is";
  }
  return "";
}

}  // namespace

int load_command(const LoadOptions& options, const Console& console) {
  std::vector<reader::RunLocation> locations;
  if (options.runs.empty()) locations.push_back(reader::locate_run(std::nullopt));
  for (const auto& run : options.runs) locations.push_back(reader::locate_run(run));
  const auto store = history::open_store(target_or_default(options.db), history::OpenMode::create);
  for (const auto& location : locations) {
    const history::LoadResult result = history::load_run(*store, location.file);
    console.print("{}: run {} {}: {} spans, {} rows{}\n", location.file.string(), result.run_id,
                  outcome_text(result.outcome), result.spans, result.rows,
                  result.complete ? "" : " (no footer yet: load it again when it has ended)");
  }
  return 0;
}

int migrate_command(const MigrateOptions& options, const Console& console) {
  const auto store = history::open_store(target_or_default(options.db));
  const std::int64_t before = history::stored_schema_version(*store);
  history::prepare_for_writing(*store);
  console.print("{}: schema version {} -> {}\n", store->display_name(), before, history::kSchemaVersion);
  return 0;
}

StoredRuns stored_runs_from(const std::string& db) {
  return [db](const std::vector<std::string>& references, const reader::AggregateOptions& options) {
    const auto store = history::open_store(target_or_default(db));
    return history::summarize_stored_runs(*store, references, options);
  };
}

}  // namespace spanlog::cli
