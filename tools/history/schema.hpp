// The history's relational schema (docs/history.md): its version lives in the database, in spanlog_schema.
// A writer migrates an older database forward; a reader refuses one it would misread, naming the command that
// migrates it; nobody touches a newer one.
#pragma once

#include <cstdint>
#include <string>

#include "history/store.hpp"

namespace spanlog::history {

// 1: the tables. 2: the views (span_stats, phase_times, counter_totals, run_order).
inline constexpr std::int64_t kSchemaVersion = 2;

// The version a database holds; 0 when it holds no spanlog history at all (a new, empty database).
std::int64_t stored_schema_version(Store& store);

// For loading: creates or migrates the schema to kSchemaVersion, once even with concurrent loaders.
void prepare_for_writing(Store& store);
// For reading: throws HistoryError unless the database holds exactly kSchemaVersion.
void require_current_schema(Store& store);

}  // namespace spanlog::history
