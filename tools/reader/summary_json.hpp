// A Summary as JSON: the `--json` output of `spanlog summary`, and run_summary.json (docs/format.md).
#pragma once

#include <string>

#include "reader/summary.hpp"

namespace spanlog::reader {

std::string summary_json(const Summary& summary);
// The shape of run_summary.json in docs/format.md, for a summary of exactly one run.
std::string run_summary_json(const Summary& summary);

}  // namespace spanlog::reader
