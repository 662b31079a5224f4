// The `spanlog` command line: every subcommand, its options bound to its command's options, and the exit
// status of the one the arguments chose. CLI11 is included here and in command_line.cpp only.
#pragma once

#include "cli/console.hpp"

namespace spanlog::cli {

// 0, 1 for a finding (a failed rule, a regression, an unhealthy run), 2 for bad input or usage.
int run_command_line(int argc, char** argv, const Console& console);

}  // namespace spanlog::cli
