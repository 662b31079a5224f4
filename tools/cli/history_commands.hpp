// The history commands: `spanlog load` imports runs into a database, `spanlog query` runs SQL on it,
// `spanlog migrate` brings an older schema up to date. Each returns the exit status (2: bad input).
#pragma once

#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/console.hpp"

namespace spanlog::cli {

struct LoadOptions {
  std::vector<std::string> runs;  // empty: $SPANLOG_DIR/latest
  std::string db;                 // empty: $SPANLOG_DIR/history.sqlite
};
int load_command(const LoadOptions& options, const Console& console);

struct QueryOptions {
  std::string sql;
  std::string db;
  std::string format = "table";  // table, json or csv
};
int query_command(const QueryOptions& options, const Console& console);

struct MigrateOptions {
  std::string db;
};
int migrate_command(const MigrateOptions& options, const Console& console);

// What `summary`, `diff` and `check` read with --db TARGET.
StoredRuns stored_runs_from(const std::string& db);

}  // namespace spanlog::cli
