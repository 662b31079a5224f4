// Log lines printed for a person while the program runs (Options::log_console, SPANLOG_LOG_CONSOLE): the
// flusher writes them to stderr beside the JSONL, as `12:04:31.250 WARN  [worker-2] fetch: retrying ...`,
// the level coloured when stderr is a terminal (and NO_COLOR is unset).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "../config.hpp"
#include "../detail/log_format.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline bool console_wants_colour() {
  const char* no_colour = std::getenv("NO_COLOR");
  return ::isatty(2) == 1 && !(no_colour && *no_colour);
}

struct ConsoleLine {
  std::int64_t ts_ns;
  std::uint8_t level;
  std::string_view thread;  // its name, or its id as text
  std::string_view span;    // the innermost open span's name, empty outside every span
  std::string_view message;
};

// Appends one line: UTC time of day to the millisecond, level, thread, span and message.
inline void append_console_line(std::string& out, const ConsoleLine& line, bool colour) {
  static constexpr const char* labels[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR"};
  static constexpr const char* colours[] = {"\033[2m", "\033[36m", "\033[32m", "\033[33m", "\033[1;31m"};
  const std::time_t seconds = static_cast<std::time_t>(line.ts_ns / 1000000000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char clock[16];
  std::snprintf(clock, sizeof clock, "%02d:%02d:%02d.%03d ", utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(line.ts_ns / 1000000 % 1000));
  out += clock;
  const std::uint8_t level = line.level < 5 ? line.level : 4;
  if (colour) out += colours[level];
  out += labels[level];
  if (colour) out += "\033[0m";
  out += " [";
  out.append(line.thread.data(), line.thread.size());
  out += "] ";
  if (!line.span.empty()) {
    out.append(line.span.data(), line.span.size());
    out += ": ";
  }
  out.append(line.message.data(), line.message.size());
  out += '\n';
}

// Everything the console gets in one drain, in one write: lines of several threads never interleave.
inline void write_console(std::string& pending) {
  std::size_t done = 0;
  while (done < pending.size()) {
    const ssize_t n = ::write(2, pending.data() + done, pending.size() - done);
    if (n <= 0) break;  // stderr closed or full: the JSONL has the line anyway
    done += static_cast<std::size_t>(n);
  }
  pending.clear();
}

}  // namespace detail
SPANLOG_END_NAMESPACE
