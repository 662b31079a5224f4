// Every environment variable spanlog reads, the recorder's and the reader's: the options table
// (docs/recording.md) in one array, so that a hint naming a variable can be checked against it, and a
// misspelt SPANLOG_* variable in the environment can be pointed to the one meant.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

struct EnvVariable {
  const char* name;
  const char* what;
};

inline constexpr EnvVariable env_variables[] = {
    {"SPANLOG", "off disables recording at run time"},
    {"SPANLOG_DIR", "where runs are written"},
    {"SPANLOG_RUN_ID", "the run's directory name"},
    {"SPANLOG_RING_SIZE", "bytes of ring per recording thread"},
    {"SPANLOG_RING_MAX", "what a ring may grow to"},
    {"SPANLOG_OVERFLOW", "drop or block when a ring is full"},
    {"SPANLOG_FLUSH_INTERVAL_MS", "how often the flusher drains"},
    {"SPANLOG_STATS_INTERVAL_MS", "how often statistics spans are written"},
    {"SPANLOG_STATS_NAMES", "span names kept as statistics"},
    {"SPANLOG_SPANS", "on/off"},
    {"SPANLOG_EVENTS", "on/off"},
    {"SPANLOG_METRICS", "on/off"},
    {"SPANLOG_SAMPLE", "share of spans kept"},
    {"SPANLOG_SERVICE", "the service name"},
    {"SPANLOG_ATTRS", "process attributes"},
    {"SPANLOG_CRASH_HANDLER", "on/off"},
    {"SPANLOG_TERMINATION_SIGNALS", "on/off"},
    {"SPANLOG_OTLP", "on/off"},
    {"SPANLOG_LOG_LEVEL", "trace, debug, info, warn, error or off"},
    {"SPANLOG_LOG_CONSOLE", "the lowest level printed on stderr, or off"},
    {"SPANLOG_SPAN_ROWS", "on/off"},
    {"SPANLOG_VITALS", "on/off"},
    {"SPANLOG_METRIC_SERIES_MAX", "label sets per metric"},
    {"SPANLOG_FORK", "new_run or off"},
    {"SPANLOG_READER_THREADS", "the reader's parsing threads"},
    {"SPANLOG_TEST_CRASH_AT", "tests only: crash at a named point"},
    {"SPANLOG_TEST_HOLD_AT", "tests only: hold at a named point"},
};

inline bool is_env_variable(std::string_view name) {
  for (const auto& v : env_variables)
    if (name == v.name) return true;
  return false;
}

// Edits (insertions, deletions, substitutions) between two names.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

inline const char* closest_env_variable(std::string_view name) {
  const char* best = env_variables[0].name;
  std::size_t best_distance = ~std::size_t{0};
  for (const auto& v : env_variables) {
    const std::size_t d = edit_distance(name, v.name);
    if (d < best_distance) best = v.name, best_distance = d;
  }
  return best;
}

// A line per SPANLOG_* variable of `environment` (environ's layout: "NAME=value" strings up to a null
// pointer) that nothing reads: a setting the user believes is in force.
inline std::string unknown_env_variables_report(const char* const* environment) {
  std::string report;
  for (const char* const* entry = environment; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    // SPANLOG_TEST_*: the settings of spanlog's own test programs, each read by the test that sets it.
    if (text.substr(0, 8) != "SPANLOG_" || text.substr(0, 13) == "SPANLOG_TEST_") continue;
    const std::string_view name = text.substr(0, text.find('='));
    if (is_env_variable(name)) continue;
    report += "spanlog: ";
    report += name;
    if (name == "SPANLOG_ENABLED") {
      report +=
          " in the environment does nothing: it is a compile-time switch (-DSPANLOG_ENABLED=0); "
          "SPANLOG=off disables recording at run time\n";
    } else {
      report += " is not a spanlog variable and is ignored; did you mean ";
      report += closest_env_variable(name);
      report += "?\n";
    }
  }
  return report;
}

inline void warn_unknown_env_variables_once() {
  static bool warned = false;
  if (warned) return;
  warned = true;
  const std::string report = unknown_env_variables_report(environ);
  if (!report.empty()) std::fputs(report.c_str(), stderr);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
