// Runs read back from a history database into the reader's Summary: each stored run is replayed into the
// reader's own Aggregator as the records it was loaded from, in their original line order, so `summary`,
// `diff` and `check` with --db print what they print for the telemetry.jsonl.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "history/store.hpp"
#include "reader/aggregator.hpp"

namespace spanlog::history {

// "last" (the newest run by start time), "last~N" (the Nth before it), or a run id (its newest run).
// Throws HistoryError when nothing matches.
std::int64_t resolve_run(Store& store, const std::string& reference);

// A stored run's records, attributes included, into `sink` as its file gave them: the header, every record at
// the line it was on, then the crash and the footer. Throws HistoryError.
void replay_stored_run(Store& store, std::int64_t run_key, reader::RecordSink& sink);

reader::Summary summarize_stored_runs(Store& store, const std::vector<std::string>& references,
                                      const reader::AggregateOptions& options);

}  // namespace spanlog::history
