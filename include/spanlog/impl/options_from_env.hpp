// Options from the environment (SPANLOG_DIR, SPANLOG_RING_SIZE, ...). Parsing never fails: a bad value is
// reported once on stderr and the documented default is kept.
#pragma once
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../config.hpp"
#include "../options.hpp"
#include "env_variables.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline void config_warning(const char* var, const char* value, const char* why, const std::string& fallback) {
  std::fprintf(stderr, "spanlog: %s=\"%s\" %s; using %s\n", var, value, why, fallback.c_str());
}

inline bool parse_switch(const char* var, const char* v, bool fallback) {
  if (!std::strcmp(v, "on") || !std::strcmp(v, "1") || !std::strcmp(v, "true") || !std::strcmp(v, "yes"))
    return true;
  if (!std::strcmp(v, "off") || !std::strcmp(v, "0") || !std::strcmp(v, "false") || !std::strcmp(v, "no"))
    return false;
  config_warning(var, v, "is not on/off", fallback ? "on" : "off");
  return fallback;
}

// Unsigned integer with an optional K/M/G suffix; false when anything else is in the string.
inline bool parse_size(const char* v, unsigned long long& out) {
  if (!*v) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (errno || end == v || *v == '-') return false;
  unsigned long long scale = 1;
  if (*end == 'K' || *end == 'k')
    scale = 1ull << 10, ++end;
  else if (*end == 'M' || *end == 'm')
    scale = 1ull << 20, ++end;
  else if (*end == 'G' || *end == 'g')
    scale = 1ull << 30, ++end;
  if (*end) return false;
  if (n > (~0ull) / scale) return false;
  out = n * scale;
  return true;
}

inline bool valid_ring_bytes(std::size_t n) {
  return n >= 4096 && n <= (std::size_t{1} << 30) && !(n & (n - 1));
}

// A ring size from the variable `name`; a bad one is reported and `bytes` keeps its default.
inline void parse_ring_bytes(const char* name, const char* v, std::size_t& bytes) {
  unsigned long long n = 0;
  if (parse_size(v, n) && valid_ring_bytes(static_cast<std::size_t>(n)))
    bytes = static_cast<std::size_t>(n);
  else
    config_warning(name, v, "is not a power of two from 4K to 1G", std::to_string(bytes));
}

inline void parse_log_level(const char* name, const char* v, LogLevel& level, const char* fallback) {
  static constexpr const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
  for (unsigned i = 0; i < 6; ++i)
    if (!std::strcmp(v, names[i])) return static_cast<void>(level = static_cast<LogLevel>(i));
  config_warning(name, v, "is not trace, debug, info, warn, error or off", fallback);
}

inline Options options_from_environment() {
  warn_unknown_env_variables_once();
  Options o;
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return (v && *v) ? v : nullptr;
  };
  if (const char* v = env("SPANLOG")) o.enabled = parse_switch("SPANLOG", v, true);
  if (const char* v = env("SPANLOG_DIR")) o.dir = v;
  if (const char* v = env("SPANLOG_RUN_ID")) {
    if (std::strchr(v, '/') || !std::strcmp(v, ".") || !std::strcmp(v, "..") || !std::strcmp(v, "latest"))
      config_warning("SPANLOG_RUN_ID", v, "is not a plain directory name", "a generated run id");
    else
      o.run_id = v;
  }
  if (const char* v = env("SPANLOG_RING_SIZE")) parse_ring_bytes("SPANLOG_RING_SIZE", v, o.ring_bytes);
  if (const char* v = env("SPANLOG_RING_MAX")) parse_ring_bytes("SPANLOG_RING_MAX", v, o.ring_max_bytes);
  if (const char* v = env("SPANLOG_OVERFLOW")) {
    if (!std::strcmp(v, "drop"))
      o.overflow = OverflowPolicy::drop;
    else if (!std::strcmp(v, "block"))
      o.overflow = OverflowPolicy::block;
    else
      config_warning("SPANLOG_OVERFLOW", v, "is not drop or block", "drop");
  }
  if (const char* v = env("SPANLOG_FLUSH_INTERVAL_MS")) {
    unsigned long long n = 0;
    if (parse_size(v, n) && n >= 1 && n <= 60000)
      o.flush_interval = std::chrono::milliseconds(n);
    else
      config_warning("SPANLOG_FLUSH_INTERVAL_MS", v, "is not a whole number from 1 to 60000", "100");
  }
  if (const char* v = env("SPANLOG_STATS_INTERVAL_MS")) {
    unsigned long long n = 0;
    if (parse_size(v, n) && n >= 1 && n <= 600000)
      o.stats_interval = std::chrono::milliseconds(n);
    else
      config_warning("SPANLOG_STATS_INTERVAL_MS", v, "is not a whole number from 1 to 600000", "1000");
  }
  if (const char* v = env("SPANLOG_STATS_NAMES")) o.stats_names = v;
  if (const char* v = env("SPANLOG_SPANS")) o.spans = parse_switch("SPANLOG_SPANS", v, true);
  if (const char* v = env("SPANLOG_EVENTS")) o.events = parse_switch("SPANLOG_EVENTS", v, true);
  if (const char* v = env("SPANLOG_METRICS")) o.metrics = parse_switch("SPANLOG_METRICS", v, true);
  if (const char* v = env("SPANLOG_SAMPLE")) {
    char* end = nullptr;
    double d = std::strtod(v, &end);
    if (end != v && !*end && d >= 0.0 && d <= 1.0)
      o.sample = d;
    else
      config_warning("SPANLOG_SAMPLE", v, "is not a number from 0 to 1", "1");
  }
  if (const char* v = env("SPANLOG_SERVICE")) o.service_name = v;
  if (const char* v = env("SPANLOG_CRASH_HANDLER"))
    o.crash_handler = parse_switch("SPANLOG_CRASH_HANDLER", v, true);
  if (const char* v = env("SPANLOG_TERMINATION_SIGNALS"))
    o.termination_signals = parse_switch("SPANLOG_TERMINATION_SIGNALS", v, true);
  if (const char* v = env("SPANLOG_OTLP")) o.otlp = parse_switch("SPANLOG_OTLP", v, false);
  if (const char* v = env("SPANLOG_SPAN_ROWS")) o.span_rows = parse_switch("SPANLOG_SPAN_ROWS", v, true);
  if (const char* v = env("SPANLOG_VITALS")) o.vitals = parse_switch("SPANLOG_VITALS", v, true);
  if (const char* v = env("SPANLOG_METRIC_SERIES_MAX")) {
    unsigned long long n = 0;
    if (parse_size(v, n) && n >= 1 && n <= 1000000)
      o.metric_series_max = static_cast<std::size_t>(n);
    else
      config_warning("SPANLOG_METRIC_SERIES_MAX", v, "is not a whole number from 1 to 1000000", "1000");
  }
  if (const char* v = env("SPANLOG_LOG_LEVEL")) parse_log_level("SPANLOG_LOG_LEVEL", v, o.log_level, "info");
  if (const char* v = env("SPANLOG_LOG_CONSOLE"))
    parse_log_level("SPANLOG_LOG_CONSOLE", v, o.log_console, "off");
  if (const char* v = env("SPANLOG_FORK")) {
    if (!std::strcmp(v, "new_run"))
      o.fork = ForkPolicy::new_run;
    else if (!std::strcmp(v, "off"))
      o.fork = ForkPolicy::off;
    else
      config_warning("SPANLOG_FORK", v, "is not new_run or off", "new_run");
  }
  if (const char* v = env("SPANLOG_ATTRS")) {
    std::string all(v);
    std::size_t pos = 0;
    while (pos <= all.size()) {
      std::size_t comma = all.find(',', pos);
      if (comma == std::string::npos) comma = all.size();
      std::string item = all.substr(pos, comma - pos);
      std::size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        config_warning("SPANLOG_ATTRS", item.c_str(), "is not key=value", "nothing for it");
      else
        o.attrs.emplace_back(item.substr(0, eq), item.substr(eq + 1));
      pos = comma + 1;
    }
  }
  return o;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
