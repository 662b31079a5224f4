// The commands that show a run rather than print numbers: `report` (a self-contained HTML file), `serve` (the
// same page, live, over HTTP) and `top` (a terminal view refreshed while the run is written). Each returns
// the exit status like commands.hpp's: 0 fine, 2 bad input or usage (thrown and reported by main).
#pragma once

#include <optional>
#include <string>

#include "cli/console.hpp"

namespace spanlog::cli {

struct ReportOptions {
  std::optional<std::string> run;
  std::string output = "report.html";
  std::size_t max_spans = 60000;  // spans drawn; the rest are counted in the summary only
  bool skip_bad = false;
  bool raw = false;  // self time with the instrumentation left in
};
int report_command(const ReportOptions& options, const Console& console);

struct ServeOptions {
  std::optional<std::string> run;
  std::string host = "127.0.0.1";
  int port = 8080;                        // 0: any free port (printed)
  std::optional<double> timeout_seconds;  // stop after this long (tests); default: until SIGINT or SIGTERM
};
int serve_command(const ServeOptions& options, const Console& console);

struct TopOptions {
  std::optional<std::string> run;
  double interval_seconds = 1.0;
  bool once = false;                      // one view of the file as it is, then exit
  std::optional<double> timeout_seconds;  // stop after this long; default: at the run's footer, or Ctrl-C
  std::size_t rows = 10;                  // slowest names shown
};
int top_command(const TopOptions& options, const Console& console);

}  // namespace spanlog::cli
