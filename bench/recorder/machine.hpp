// Machine facts and small utilities: the clock, a compiler barrier, median/min/max, this process's threads
// and their CPU time, RSS, and what the report's heading says about the machine (CPU, load, file system).
#pragma once
#include <dirent.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace recorder_bench {

// ---- small utilities ----

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// printf of one number into a std::string.
inline std::string strf(const char* f, double v) {
  char b[256];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Keeps the compiler from moving memory operations across it, or merging loop iterations.
inline void barrier() {
  asm volatile("" ::: "memory");
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
inline double min_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}
inline double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

// ---- this process: its threads, their CPU time, its memory ----

inline std::vector<pid_t> task_ids() {
  std::vector<pid_t> out;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The threads that appeared between two task listings: those spanlog::start launched (the flusher).
inline std::vector<pid_t> new_tasks(const std::vector<pid_t>& before) {
  std::vector<pid_t> out;
  for (pid_t t : task_ids())
    if (!std::binary_search(before.begin(), before.end(), t)) out.push_back(t);
  return out;
}

// CPU time of another thread of this process. The kernel's per-thread CPU clock id for a tid is what
// pthread_getcpuclockid computes (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)); /proc/self/task/<tid>/stat
// (10 ms ticks) is the fallback.
struct CpuSplit {
  double user = 0, system = 0;  // seconds, in 10 ms ticks
};

inline CpuSplit thread_cpu_split(pid_t tid) {
  CpuSplit out;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
  FILE* f = std::fopen(path, "r");
  if (!f) return out;
  char buf[1024] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may hold spaces; fields follow the last ')'
  if (!p) return out;
  unsigned long utime = 0, stime = 0;
  // Fields 3..15 after the name: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt,
  // cmajflt, utime, stime.
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return out;
  const auto hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  out.user = static_cast<double>(utime) / hz;
  out.system = static_cast<double>(stime) / hz;
  return out;
}

inline double thread_cpu_seconds(pid_t tid) {
  if (tid <= 0) return 0;
  const auto id = static_cast<clockid_t>((~static_cast<std::uint32_t>(tid) << 3) | 6u);
  timespec ts{};
  if (::clock_gettime(id, &ts) == 0)
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  const CpuSplit c = thread_cpu_split(tid);
  return c.user + c.system;
}

// Summed over spanlog's background threads (today the flusher alone).
inline double threads_cpu_seconds(const std::vector<pid_t>& tids) {
  double sum = 0;
  for (pid_t t : tids) sum += thread_cpu_seconds(t);
  return sum;
}
inline CpuSplit threads_cpu_split(const std::vector<pid_t>& tids) {
  CpuSplit sum;
  for (pid_t t : tids) {
    const CpuSplit c = thread_cpu_split(t);
    sum.user += c.user;
    sum.system += c.system;
  }
  return sum;
}

inline double own_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double rss_mib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

inline double peak_rss_mib() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// ---- the machine, for the report's heading ----

inline std::string cpu_model() {
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (!f) return "unknown";
  char line[512];
  std::string model = "unknown";
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "model name", 10) == 0) {
      const char* colon = std::strchr(line, ':');
      if (colon) {
        model = colon + 1;
        while (!model.empty() && (model.front() == ' ' || model.front() == '\t')) model.erase(0, 1);
        while (!model.empty() && (model.back() == '\n' || model.back() == ' ')) model.pop_back();
      }
      break;
    }
  }
  std::fclose(f);
  return model;
}

inline bool cpu_flag(const char* flag) {
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (!f) return false;
  char line[8192];
  bool found = false;
  const std::string needle = std::string(" ") + flag;
  while (!found && std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "flags", 5) != 0) continue;
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.back() = ' ';
    found = l.find(needle + " ") != std::string::npos;
    break;
  }
  std::fclose(f);
  return found;
}

// The 1-minute load average: other work on a shared machine shows up here before it shows up in the figures.
inline double load_average() {
  double l = std::nan("");
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1) l = std::nan("");
    std::fclose(f);
  }
  return l;
}

inline std::string fs_type(const std::string& path) {
  struct statfs s {};
  if (::statfs(path.c_str(), &s) != 0) return "?";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794C7630:
      return "overlayfs";
    default:
      return "other";
  }
}

}  // namespace recorder_bench
