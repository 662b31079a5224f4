// The `spanlog` subcommands as functions, so the tests call them without a process. Each returns the exit
// status: 0 fine, 1 a finding (a regression, a failed rule, an unhealthy run), 2 bad input or usage.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/console.hpp"
#include "reader/aggregator.hpp"

namespace spanlog::cli {

// Where runs come from with --db: run references (run ids, last, last~N) read from a history database
// instead of RUN files. Empty: the commands read files.
using StoredRuns = std::function<reader::Summary(const std::vector<std::string>& references,
                                                 const reader::AggregateOptions&)>;

struct SummaryOptions {
  std::vector<std::string> runs;  // empty: $SPANLOG_DIR/latest
  std::string group_by;           // attributes, comma-separated: rows are their values' combinations
  std::string sum;                // numeric attributes, comma-separated, summed per row
  std::string sort = "total";     // name, count, total, self, parallel, mean, p50, p90, p99, max, errors
  std::optional<std::size_t> top;
  std::string filter;  // a glob over span names
  bool json = false;
  bool raw = false;  // self time with the instrumentation left in
  bool skip_bad = false;
  bool write_run_summary = true;  // regenerate a missing run_summary.json
  StoredRuns stored_runs;
};
int summary_command(const SummaryOptions& options, const Console& console);

struct DiffOptions {
  std::string base, candidate;
  std::optional<double> fail_above_percent;
  std::vector<std::string> metrics = {"p50", "p99", "total"};  // which changes count as a regression
  std::uint64_t min_count = 1;  // ignore spans seen fewer times than this on either side
  bool json = false;
  bool raw = false;  // self time with the instrumentation left in
  bool skip_bad = false;
  StoredRuns stored_runs;
};
int diff_command(const DiffOptions& options, const Console& console);

struct CheckOptions {
  std::optional<std::string> run;
  std::vector<std::string> rules;
  bool raw = false;  // self(...) with the instrumentation left in
  bool skip_bad = false;
  StoredRuns stored_runs;
};
int check_command(const CheckOptions& options, const Console& console);

struct RunsOptions {
  std::optional<std::string> dir;  // default $SPANLOG_DIR
  std::optional<std::size_t> keep;
};
int runs_command(const RunsOptions& options, const Console& console);

struct DoctorOptions {
  std::optional<std::string> run;
};
int doctor_command(const DoctorOptions& options, const Console& console);

struct TailOptions {
  std::optional<std::string> run;
  bool follow = false;
  bool from_start = false;  // with -f: print what the run holds already, not only what is written from now on
  bool attrs = false;       // each span's and log line's attributes after it, as JSON
  double poll_seconds = 0.2;
  std::optional<double>
      follow_timeout_seconds;  // stop following after this long (tests); default: until the footer
};
int tail_command(const TailOptions& options, const Console& console);

struct LogsOptions {
  std::optional<std::string> run;
  std::string level = "trace";      // this level and those above it
  std::string grep;                 // only messages containing this text
  std::optional<std::string> span;  // only lines logged inside a span of this name
  bool json = false;                // one JSON object a line
  bool follow = false;
  bool skip_bad = false;
  double poll_seconds = 0.2;
  std::optional<double> follow_timeout_seconds;  // stop following after this long; default: at the footer
};
int logs_command(const LogsOptions& options, const Console& console);

}  // namespace spanlog::cli
