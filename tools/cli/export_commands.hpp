// The exporter subcommands (`chrome`, `otlp`, `prom`) as functions, like commands.hpp's: each returns the
// exit status, 0 when the file was written, 2 for bad input or usage (thrown and reported by main).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "cli/console.hpp"

namespace spanlog::cli {

struct ChromeOptions {
  std::optional<std::string> run;     // default: $SPANLOG_DIR/latest
  std::optional<std::string> output;  // default (or "-"): standard output
  bool skip_bad = false;
};
int chrome_command(const ChromeOptions& options, const Console& console);

struct OtlpOptions {
  std::optional<std::string> run;
  std::optional<std::string> output;          // the traces; default (or "-"): standard output
  std::optional<std::string> metrics_output;  // the metrics, when asked for
  std::optional<std::string> logs_output;     // the log lines, when asked for
  std::size_t batch_spans = 512;
  std::string labels;  // attributes labelling the metrics' span-duration series, comma-separated
  bool skip_bad = false;
};
int otlp_command(const OtlpOptions& options, const Console& console);

struct PromOptions {
  std::optional<std::string> run;
  std::optional<std::string> output;
  std::string labels;  // attributes labelling the span-duration series, comma-separated
  bool skip_bad = false;
};
int prom_command(const PromOptions& options, const Console& console);

}  // namespace spanlog::cli
