// The `spanlog` program. The command line is tools/cli/command_line.cpp; each command lives in tools/cli/.
#include "cli/command_line.hpp"

int main(int argc, char** argv) {
  const spanlog::cli::Console console = spanlog::cli::Console::standard();
  return spanlog::cli::run_command_line(argc, argv, console);
}
