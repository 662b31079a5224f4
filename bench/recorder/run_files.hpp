// Reading what a run wrote: the last line of telemetry.jsonl (the footer) and the numbers in it, a file's
// size; and, once a group has checked its run, stopping it, reporting its footer and deleting it.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>
#include <spanlog/spanlog.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <system_error>

#include "reporter.hpp"

namespace recorder_bench {

// The number at a path of keys in one JSON object (the footer line): an integer or a double, or NaN when the
// line is not JSON, a key is absent or the value is not a number.
inline double number_at(const std::string& line, std::initializer_list<const char*> path) {
  const double none = std::nan("");
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(line).get(e)) return none;
  for (const char* key : path)
    if (e.at_key(key).get(e)) return none;
  double out = none;
  if (e.get_double().get(out)) return none;
  return out;
}

// The last line of a file (the footer of a run stopped cleanly).
inline std::string last_line(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  struct stat st {};
  ::fstat(fd, &st);
  const off_t size = st.st_size;
  const off_t from = size > 8192 ? size - 8192 : 0;
  std::string buf(static_cast<std::size_t>(size - from), '\0');
  const ssize_t n = ::pread(fd, buf.data(), buf.size(), from);
  ::close(fd);
  buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!buf.empty() && buf.back() == '\n') buf.pop_back();
  const std::size_t nl = buf.rfind('\n');
  return nl == std::string::npos ? buf : buf.substr(nl + 1);
}

inline std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// What a run's footer says about losses.
struct FooterFacts {
  bool present = false;
  double spans = 0, events = 0, logs = 0, dropped = 0, open_spans = 0;
};

inline FooterFacts read_footer(const std::string& run_dir) {
  FooterFacts f;
  const std::string line = last_line(run_dir + "/telemetry.jsonl");
  if (line.find("\"event\":\"footer\"") == std::string::npos) return f;
  f.present = true;
  f.spans = number_at(line, {"spans"});
  f.events = number_at(line, {"events"});
  f.logs = number_at(line, {"logs"});
  f.open_spans = number_at(line, {"open_spans"});
  for (const char* kind : {"spans", "events", "metrics", "attrs", "async_ends"}) {
    const double d = number_at(line, {"dropped", kind});
    if (!std::isnan(d)) f.dropped += d;
  }
  return f;
}

inline void remove_run(const std::string& run_dir) {
  std::error_code ec;
  if (!run_dir.empty()) std::filesystem::remove_all(run_dir, ec);
}

// Stops the run, reports what its footer says against what was recorded, and deletes it.
inline void stop_and_verify(Reporter& out, const std::string& group, double spans_emitted,
                            double events_emitted) {
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  const FooterFacts f = read_footer(run_dir);
  const bool ok = f.present && f.dropped == 0 && f.spans == spans_emitted && f.events == events_emitted &&
                  f.open_spans == 0;
  out.value(group + ".lossless", ok ? 1 : 0);
  out.value(group + ".spans_emitted", spans_emitted);
  out.value(group + ".footer_spans", f.present ? f.spans : -1);
  out.value(group + ".footer_dropped", f.present ? f.dropped : -1);
  remove_run(run_dir);
}

}  // namespace recorder_bench
