// How a log line's level reads on a terminal, in every command that prints log lines (`logs`, `tail`):
// the format's word, padded to one width, warnings in yellow and errors in red.
#pragma once

#include <string>

#include "cli/console.hpp"
#include "reader/records.hpp"

namespace spanlog::cli {

std::string level_text(reader::LogLevel level, const Console& console);

}  // namespace spanlog::cli
