// The process's own state, as the flusher records it each statistics interval (Options::vitals): resident
// memory from /proc/self/statm and CPU times from getrusage and the flusher's thread clock. A few system
// calls per interval, none per record.
#pragma once
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// The metrics' names, units and descriptions, as the header declares them (format.md, "Vitals").
struct VitalInfo {
  const char* name;
  const char* unit;
  const char* description;
};
constexpr VitalInfo vital_infos[] = {
    {"spanlog.process.memory.rss", "By", "Resident memory of the process"},
    {"spanlog.process.cpu.time", "s", "CPU time of the process, by cpu.mode (user, system)"},
    {"spanlog.process.threads", "{thread}", "Threads with a live ring"},
    {"spanlog.written.bytes", "By", "Bytes the flusher wrote to the file"},
    {"spanlog.written.records", "{record}", "Lines the flusher wrote to the file"},
    {"spanlog.dropped.records", "{record}", "Records lost (the dropped lines' sum)"},
    {"spanlog.ring.fill", "1", "A ring's peak fill in the interval: used bytes over its size, by tid"},
    {"spanlog.flusher.lag", "ns", "Age of the oldest record the flusher drained in the interval"},
    {"spanlog.flusher.cpu.time", "s", "CPU time of the flusher thread"},
};

// Resident bytes, or 0 where /proc cannot be read.
inline std::uint64_t resident_bytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return 0;
  char* after_size = nullptr;
  std::strtoull(text, &after_size,
                10);  // the first field is the virtual size; the second, the resident pages
  const unsigned long long pages = std::strtoull(after_size, nullptr, 10);
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

struct ProcessCpu {
  double user_seconds = 0, system_seconds = 0;
};

inline ProcessCpu process_cpu() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return {};
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return ProcessCpu{seconds(usage.ru_utime), seconds(usage.ru_stime)};
}

// The calling thread's CPU time (the flusher asks on its own thread).
inline double this_thread_cpu_seconds() {
  timespec t{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// What the vitals' counters have reported so far, for their deltas, and the interval's peaks.
struct VitalsState {
  ProcessCpu cpu_reported;
  double flusher_cpu_reported = 0;
  std::uint64_t bytes_reported = 0, records_reported = 0, dropped_reported = 0;
  std::uint64_t max_lag_ticks = 0;  // of the drains since the last vitals
  bool lag_seen = false;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
