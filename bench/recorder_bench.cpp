// recorder_bench: what the recorder costs, against an inline baseline measured in the same process, printed
// as a markdown table. Run: scripts/bench.sh [--reps N] [--seconds S] (see --help), which builds it and
// passes the reader CLI for the reader's row. Uses only the public API (start/stop/flush, the macros,
// options); it never reads the recorder's internals.
//
// Each group of scenarios runs in a process of its own, forked before spanlog is touched: a thread keeps its
// ring across runs, so a group that needs a different ring size needs a fresh process, and peak RSS
// (getrusage) can only be attributed to one configuration that way. Every group measures the baseline itself,
// so each ratio in the table compares two numbers from one process.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <valgrind/callgrind.h>
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include "peer_loops.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------

struct config {
  int reps = 9;                         // repetitions of every scenario (medians of these)
  double seconds = 5;                   // the sustained run
  std::size_t burst = 100000;           // span-sized operations per timed burst (32 bytes of ring each)
  std::size_t flusher_spans = 4000000;  // spans recorded before the flusher is asked to write them
  std::string dir;                      // temp directory for every run; deleted at the end
  std::set<std::string> only;           // groups to run; empty: all
  std::string reader;                   // the reader CLI for the "reader" group; empty: the group is skipped
};

constexpr std::size_t span_ring_bytes = 32;  // a span without attributes: a 16-byte begin and a 16-byte end

// Smallest power of two (at least 1 MiB, the default) that keeps `bytes` below the ring's high-water mark,
// half the ring, with 1 MiB to spare: a burst of that size never wakes the flusher early nor waits for it.
std::size_t ring_for(std::size_t bytes) {
  std::size_t r = std::size_t{1} << 20;
  while (r < 2 * bytes + (std::size_t{1} << 20) && r < (std::size_t{1} << 30)) r <<= 1;
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------------------

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// printf of one number into a std::string.
std::string strf(const char* f, double v) {
  char b[256];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Keeps the compiler from moving memory operations across it, or merging loop iterations.
inline void barrier() {
  asm volatile("" ::: "memory");
}

volatile std::uint64_t g_sink;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
double min_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}
double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

std::vector<pid_t> task_ids() {
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
std::vector<pid_t> new_tasks(const std::vector<pid_t>& before) {
  std::vector<pid_t> out;
  for (pid_t t : task_ids())
    if (!std::binary_search(before.begin(), before.end(), t)) out.push_back(t);
  return out;
}

// CPU time of another thread of this process. The kernel's per-thread CPU clock id for a tid is what
// pthread_getcpuclockid computes (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)); /proc/self/task/<tid>/stat
// (10 ms ticks) is the fallback.
struct cpu_split {
  double user = 0, system = 0;  // seconds, in 10 ms ticks
};

cpu_split thread_cpu_split(pid_t tid) {
  cpu_split out;
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

double thread_cpu_seconds(pid_t tid) {
  if (tid <= 0) return 0;
  const auto id = static_cast<clockid_t>((~static_cast<std::uint32_t>(tid) << 3) | 6u);
  timespec ts{};
  if (::clock_gettime(id, &ts) == 0)
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  const cpu_split c = thread_cpu_split(tid);
  return c.user + c.system;
}

// Summed over spanlog's background threads (today the flusher alone).
double threads_cpu_seconds(const std::vector<pid_t>& tids) {
  double sum = 0;
  for (pid_t t : tids) sum += thread_cpu_seconds(t);
  return sum;
}
cpu_split threads_cpu_split(const std::vector<pid_t>& tids) {
  cpu_split sum;
  for (pid_t t : tids) {
    const cpu_split c = thread_cpu_split(t);
    sum.user += c.user;
    sum.system += c.system;
  }
  return sum;
}

double own_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double rss_mib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double peak_rss_mib() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// ---------------------------------------------------------------------------------------------------------
// A small JSON scan: the number at a path of keys in one JSON object (the footer line), or NaN.
// ---------------------------------------------------------------------------------------------------------

class json_scan {
 public:
  explicit json_scan(const std::string& s) : p_(s.data()), end_(s.data() + s.size()) {}

  static double number_at(const std::string& line, std::initializer_list<const char*> path) {
    json_scan j(line);
    std::vector<std::string> keys(path.begin(), path.end());
    double out = std::nan("");
    j.object(keys, 0, out);
    return out;
  }

 private:
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool eat(char c) {
    ws();
    if (p_ < end_ && *p_ == c) return ++p_, true;
    return false;
  }
  bool string(std::string& out) {
    out.clear();
    if (!eat('"')) return false;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\' && p_ + 1 < end_) ++p_;  // keys we look for never hold escapes; keep the escaped byte
      out.push_back(*p_++);
    }
    return eat('"');
  }
  bool skip_value() {
    ws();
    if (p_ >= end_) return false;
    if (*p_ == '"') {
      std::string ignored;
      return string(ignored);
    }
    if (*p_ == '{' || *p_ == '[') {
      int depth = 0;
      for (; p_ < end_; ++p_) {
        if (*p_ == '"') {
          std::string ignored;
          if (!string(ignored)) return false;
          --p_;
          continue;
        }
        if (*p_ == '{' || *p_ == '[') ++depth;
        if (*p_ == '}' || *p_ == ']') {
          if (--depth == 0) return ++p_, true;
        }
      }
      return false;
    }
    while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']') ++p_;  // number, true, false, null
    return true;
  }
  // Walks an object; at keys[depth] either reads the number (last key) or descends.
  bool object(const std::vector<std::string>& keys, std::size_t depth, double& out) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    std::string key;
    do {
      if (!string(key) || !eat(':')) return false;
      ws();
      if (depth < keys.size() && key == keys[depth]) {
        if (depth + 1 == keys.size()) {
          char* stop = nullptr;
          out = std::strtod(p_, &stop);
          if (stop == p_) out = std::nan("");
          p_ = stop;
        } else if (!object(keys, depth + 1, out)) {
          return false;
        }
      } else if (!skip_value()) {
        return false;
      }
    } while (eat(','));
    return eat('}');
  }

  const char* p_;
  const char* end_;
};

// The last line of a file (the footer of a run stopped cleanly).
std::string last_line(const std::string& path) {
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

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// What a run's footer says about losses.
struct footer_facts {
  bool present = false;
  double spans = 0, events = 0, dropped = 0, open_spans = 0;
};

footer_facts read_footer(const std::string& run_dir) {
  footer_facts f;
  const std::string line = last_line(run_dir + "/telemetry.jsonl");
  if (line.find("\"event\":\"footer\"") == std::string::npos) return f;
  f.present = true;
  f.spans = json_scan::number_at(line, {"spans"});
  f.events = json_scan::number_at(line, {"events"});
  f.open_spans = json_scan::number_at(line, {"open_spans"});
  for (const char* kind : {"spans", "events", "metrics", "attrs", "async_ends"}) {
    const double d = json_scan::number_at(line, {"dropped", kind});
    if (!std::isnan(d)) f.dropped += d;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// The timed loops. Each is out of line and has the same shape: a timestamp, n iterations of one operation
// with a compiler barrier inside, a timestamp. `objdump -d --no-show-raw-insn recorder_bench | less` and
// search for the function name to see exactly what is measured.
// ---------------------------------------------------------------------------------------------------------

// The baseline: two TSC reads and a 24-byte store into a thread-local array that stays in L1 (the least a
// span can do: a begin time, an end time and what it was).
struct baseline_record {
  const void* site;
  std::uint64_t begin;
  std::uint64_t end;
};
static_assert(sizeof(baseline_record) == 24, "the baseline stores 24 bytes");
constexpr unsigned baseline_slots = 256;  // 6 KiB
thread_local baseline_record tl_baseline[baseline_slots];
thread_local unsigned tl_baseline_next = 0;
const char baseline_site = 0;

__attribute__((noinline)) std::int64_t loop_baseline(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t begin = __builtin_ia32_rdtsc();
    barrier();
    const std::uint64_t end = __builtin_ia32_rdtsc();
    const unsigned k = tl_baseline_next;
    tl_baseline_next = (k + 1) & (baseline_slots - 1);
    tl_baseline[k] = baseline_record{&baseline_site, begin, end};
  }
  const std::int64_t t1 = now_ns();
  g_sink = tl_baseline[0].end;
  return t1 - t0;
}

// The loop alone, for the instruction counts: what every loop spends besides its operation.
__attribute__((noinline)) std::int64_t loop_empty(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) barrier();
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN("bench.span");
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span_attrs(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN("bench.span_attrs", "items", static_cast<int>(i), "ratio", static_cast<double>(i) * 0.5);
    barrier();
  }
  return now_ns() - t0;
}

std::string g_dynamic_value;  // set at run time in main: 29 bytes, longer than the small-string buffer

__attribute__((noinline)) std::int64_t loop_span_string(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN("bench.span_string", "key", g_dynamic_value);
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span_fn(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN_FN();
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_span_stats(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_SPAN_STATS("bench.span_stats");
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_event(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_EVENT("bench.event");
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_counter(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_COUNTER_ADD("bench.counter", 1);
    barrier();
  }
  return now_ns() - t0;
}

__attribute__((noinline)) std::int64_t loop_gauge(std::size_t n) {
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    SPANLOG_GAUGE_SET("bench.gauge", static_cast<double>(i));
    barrier();
  }
  return now_ns() - t0;
}

// ---------------------------------------------------------------------------------------------------------
// Children report to the parent through a pipe, one line per result: "S key v v v" (samples) or "V key v".
// ---------------------------------------------------------------------------------------------------------

class reporter {
 public:
  explicit reporter(int fd) : fd_(fd) {}
  void samples(const std::string& key, const std::vector<double>& v) {
    std::string line = "S " + key;
    for (double x : v) {
      char b[40];
      std::snprintf(b, sizeof b, " %.6g", x);
      line += b;
    }
    send(line);
  }
  void value(const std::string& key, double v) {
    char b[40];
    std::snprintf(b, sizeof b, " %.9g", v);
    send("V " + key + b);
  }

 private:
  void send(std::string line) {
    line += '\n';
    const char* p = line.data();
    std::size_t left = line.size();
    while (left) {
      const ssize_t n = ::write(fd_, p, left);
      if (n <= 0) return;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  int fd_;
};

spanlog::options run_options(const config& cfg, const char* run_id, std::size_t ring_bytes) {
  spanlog::options o;  // defaults, not the environment: the table must not depend on SPANLOG_* variables
  o.dir = cfg.dir;
  o.run_id = run_id;
  o.ring_bytes = ring_bytes;
  o.overflow = spanlog::overflow_policy::block;  // a full ring shows up as time, never as a cheap drop
  return o;
}

void remove_run(const std::string& run_dir) {
  std::error_code ec;
  if (!run_dir.empty()) std::filesystem::remove_all(run_dir, ec);
}

// Stops the run, reports what its footer says against what was recorded, and deletes it.
void stop_and_verify(reporter& out, const std::string& group, double spans_emitted, double events_emitted) {
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  const footer_facts f = read_footer(run_dir);
  const bool ok = f.present && f.dropped == 0 && f.spans == spans_emitted && f.events == events_emitted &&
                  f.open_spans == 0;
  out.value(group + ".lossless", ok ? 1 : 0);
  out.value(group + ".spans_emitted", spans_emitted);
  out.value(group + ".footer_spans", f.present ? f.spans : -1);
  out.value(group + ".footer_dropped", f.present ? f.dropped : -1);
  remove_run(run_dir);
}

std::vector<double> baseline_samples(std::size_t n, int reps) {
  loop_baseline(n);
  std::vector<double> v;
  for (int r = 0; r < reps; ++r) v.push_back(static_cast<double>(loop_baseline(n)) / static_cast<double>(n));
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Group "single": one thread, bursts with the flusher draining between them (spanlog::flush()).
// ---------------------------------------------------------------------------------------------------------

struct burst_scenario {
  const char* key;
  std::int64_t (*loop)(std::size_t);
  std::size_t ring_bytes_per_op;  // so that every burst moves the same bytes through the ring
  double spans_per_op, events_per_op;
};

const burst_scenario single_scenarios[] = {
    {"baseline", loop_baseline, span_ring_bytes, 0, 0},
    {"span", loop_span, span_ring_bytes, 1, 0},
    {"span_attrs", loop_span_attrs, 112, 1, 0},    // 96-byte extended begin + 16-byte end
    {"span_string", loop_span_string, 128, 1, 0},  // 112-byte begin (29 bytes copied) + 16-byte end
    {"span_fn", loop_span_fn, span_ring_bytes, 1, 0},
    {"span_stats", loop_span_stats, span_ring_bytes, 0, 0},  // no ring bytes: as many as the span's burst
    {"event", loop_event, 16, 0, 1},
    {"counter", loop_counter, 16, 0, 0},
    {"gauge", loop_gauge, 16, 0, 0},
};

void group_single(const config& cfg, reporter& out) {
  const std::size_t burst_bytes = cfg.burst * span_ring_bytes;
  const std::size_t ring = ring_for(burst_bytes);
  spanlog::start(run_options(cfg, "single", ring));
  out.value("single.ring_bytes", static_cast<double>(ring));
  double spans = 0, events = 0;
  auto run = [&](const burst_scenario& s) {
    const std::size_t n = std::max<std::size_t>(1, burst_bytes / s.ring_bytes_per_op);
    const std::int64_t ns = s.loop(n);
    spans += s.spans_per_op * static_cast<double>(n);
    events += s.events_per_op * static_cast<double>(n);
    spanlog::flush();
    return static_cast<double>(ns) / static_cast<double>(n);
  };
  // Warm up: every loop once, then spans until the whole ring has been written (page faults, caches).
  for (const auto& s : single_scenarios) run(s);
  for (std::size_t written = 0; written < 2 * ring; written += burst_bytes) run(single_scenarios[1]);

  constexpr std::size_t count = sizeof single_scenarios / sizeof single_scenarios[0];
  std::vector<std::vector<double>> samples(count);
  for (int r = 0; r < cfg.reps; ++r) {
    // Interleaved, starting at a different scenario each repetition, so that drift and order hit all alike.
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t i = (k + static_cast<std::size_t>(r)) % count;
      samples[i].push_back(run(single_scenarios[i]));
    }
  }
  for (std::size_t i = 0; i < count; ++i)
    out.samples(std::string("single.") + single_scenarios[i].key, samples[i]);
  stop_and_verify(out, "single", spans, events);
}

// ---------------------------------------------------------------------------------------------------------
// Group "threads": one producer thread alone, then 2 and 4 at once (on 2 cores, with the flusher competing).
// ---------------------------------------------------------------------------------------------------------

constexpr int team_size = 4;

class producer_team {
 public:
  enum class op { baseline, span, quit };

  producer_team() {
    for (int i = 0; i < team_size; ++i) threads_[i] = std::thread([this, i] { work(i); });
  }
  ~producer_team() {
    run(op::quit, 0, (1u << team_size) - 1);
    for (auto& t : threads_) t.join();
  }

  // Runs `o` for n iterations on the threads in `mask` (bit i: thread i), started together;
  // returns each participant's ns per operation.
  std::vector<double> run(op o, std::size_t n, unsigned mask) {
    std::unique_lock<std::mutex> lock(mutex_);
    op_ = o;
    n_ = n;
    mask_ = mask;
    arrived_.store(0);
    done_ = 0;
    ++generation_;
    cv_.notify_all();
    const int participants = __builtin_popcount(mask);
    done_cv_.wait(lock, [&] { return done_ == participants; });
    std::vector<double> v;
    for (int i = 0; i < team_size; ++i)
      if (mask & (1u << i)) v.push_back(result_[i]);
    return v;
  }

 private:
  void work(int index) {
    std::uint64_t seen = 0;
    for (;;) {
      op o;
      std::size_t n;
      unsigned mask;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        o = op_;
        n = n_;
        mask = mask_;
      }
      if (!(mask & (1u << index))) continue;
      if (o == op::quit) {
        finish(index, 0);
        return;
      }
      // Start together: a spinning barrier, so neither thread's burst runs alone.
      arrived_.fetch_add(1);
      while (arrived_.load() != __builtin_popcount(mask)) {
      }
      const std::int64_t ns = o == op::baseline ? loop_baseline(n) : loop_span(n);
      finish(index, static_cast<double>(ns) / static_cast<double>(n));
    }
  }
  void finish(int index, double v) {
    std::lock_guard<std::mutex> lock(mutex_);
    result_[index] = v;
    ++done_;
    done_cv_.notify_all();
  }

  std::thread threads_[team_size];
  std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::uint64_t generation_ = 0;
  op op_ = op::baseline;
  std::size_t n_ = 0;
  unsigned mask_ = 0;
  std::atomic<int> arrived_{0};
  int done_ = 0;
  double result_[team_size] = {};
};

void group_threads(const config& cfg, reporter& out) {
  const std::size_t n = cfg.burst;
  spanlog::start(run_options(cfg, "threads", ring_for(n * span_ring_bytes)));
  double spans = 0;
  {
    producer_team team;
    using op = producer_team::op;
    constexpr unsigned one = 1, two = 3, four = 15;
    // Warm up every ring (written through twice) and every thread's code paths.
    const std::size_t warm = 2 * ring_for(n * span_ring_bytes) / (n * span_ring_bytes) + 1;
    for (std::size_t i = 0; i < warm; ++i) {
      team.run(op::baseline, n, four);
      team.run(op::span, n, four);
      spans += 4.0 * static_cast<double>(n);
      spanlog::flush();
    }
    std::vector<double> base1, span1, base2, span2, base4, span4;
    auto add = [](std::vector<double>& to, const std::vector<double>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    for (int r = 0; r < cfg.reps; ++r) {
      add(base1, team.run(op::baseline, n, one));
      add(span1, team.run(op::span, n, one));
      spans += static_cast<double>(n);
      spanlog::flush();
      add(base2, team.run(op::baseline, n, two));
      add(span2, team.run(op::span, n, two));
      spans += 2.0 * static_cast<double>(n);
      spanlog::flush();
      add(base4, team.run(op::baseline, n, four));
      add(span4, team.run(op::span, n, four));
      spans += 4.0 * static_cast<double>(n);
      spanlog::flush();
    }
    out.samples("threads.baseline1", base1);
    out.samples("threads.span1", span1);
    out.samples("threads.baseline2", base2);
    out.samples("threads.span2", span2);
    out.samples("threads.baseline4", base4);
    out.samples("threads.span4", span4);
  }
  stop_and_verify(out, "threads", spans, 0);
}

// ---------------------------------------------------------------------------------------------------------
// Group "flusher": records every span into a ring big enough to hold them all while the flusher sleeps (flush
// interval 60 s, below the high-water mark), then times spanlog::flush(): wall time from the last record
// until all is written, and the flusher thread's CPU time meanwhile.
// ---------------------------------------------------------------------------------------------------------

void group_flusher(const config& cfg, reporter& out) {
  out.samples("flusher.baseline", baseline_samples(cfg.burst, cfg.reps));
  const std::size_t n = cfg.flusher_spans;
  const std::size_t ring = ring_for(n * span_ring_bytes);  // 256 MiB for 4M spans
  out.value("flusher.ring_bytes", static_cast<double>(ring));
  std::vector<double> wall_ns, cpu_ns, bytes, record_ns, kernel_share, early_share;
  bool all_ok = true;
  // The first repetition records twice as many spans, so that the whole ring has been faulted in before the
  // reported ones (the ring outlives the run: a thread keeps its buffer); it is not reported.
  for (int r = 0; r < cfg.reps + 1; ++r) {
    spanlog::options o = run_options(cfg, "flusher", ring);
    o.flush_interval = std::chrono::milliseconds(60000);
    const std::vector<pid_t> before = task_ids();
    spanlog::start(o);
    const std::vector<pid_t> flusher_tids = new_tasks(before);
    // Let the flusher calibrate, write the header and go to sleep before the spans are recorded.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double cpu_before = threads_cpu_seconds(flusher_tids);
    const cpu_split split0 = threads_cpu_split(flusher_tids);
    const std::int64_t t0 = now_ns();
    loop_span(n);
    if (r == 0) loop_span(n);
    const std::int64_t t1 = now_ns();
    const double cpu0 = threads_cpu_seconds(flusher_tids);
    spanlog::flush();
    const std::int64_t t2 = now_ns();
    const double cpu1 = threads_cpu_seconds(flusher_tids);
    const cpu_split split1 = threads_cpu_split(flusher_tids);
    const std::string run_dir = spanlog::run_directory();
    spanlog::stop();
    const footer_facts f = read_footer(run_dir);
    all_ok = all_ok && f.present && f.dropped == 0 && f.spans == static_cast<double>(r == 0 ? 2 * n : n);
    const double size = static_cast<double>(file_size(run_dir + "/telemetry.jsonl"));
    remove_run(run_dir);
    if (r == 0) continue;
    wall_ns.push_back(static_cast<double>(t2 - t1) / static_cast<double>(n));
    // All the flusher's CPU time since it went to sleep, so work it did while the spans were recorded (it
    // should do none: below the high-water mark, flush interval 60 s) is counted too, and reported apart.
    cpu_ns.push_back((cpu1 - cpu_before) * 1e9 / static_cast<double>(n));
    early_share.push_back(cpu1 > cpu_before ? (cpu0 - cpu_before) / (cpu1 - cpu_before) : 0);
    bytes.push_back(size / static_cast<double>(n));
    record_ns.push_back(static_cast<double>(t1 - t0) / static_cast<double>(n));
    const double ticks = (split1.user - split0.user) + (split1.system - split0.system);
    if (ticks > 0) kernel_share.push_back((split1.system - split0.system) / ticks);
  }
  out.samples("flusher.kernel_share", kernel_share);
  out.samples("flusher.early_share", early_share);
  out.samples("flusher.wall", wall_ns);
  out.samples("flusher.cpu", cpu_ns);
  out.samples("flusher.bytes", bytes);
  out.samples("flusher.record", record_ns);
  out.value("flusher.lossless", all_ok ? 1 : 0);
  out.value("flusher.peak_rss", peak_rss_mib());
}

// ---------------------------------------------------------------------------------------------------------
// Group "crash": the time from a SIGSEGV to the process's death, with 1 MiB of records in the ring (a 2 MiB
// ring, below its high-water mark, a 60 s flush interval: nothing drained), against the same death with the
// crash handler off, and against the time the flusher takes to write the same records in a flush().
// ---------------------------------------------------------------------------------------------------------

constexpr std::size_t crash_spans = (std::size_t{1} << 20) / span_ring_bytes;  // 1 MiB of records

enum class crash_case { full_ring_handler, full_ring_no_handler, flush_instead };

// In a child: records, then writes its clock to `fd` and dies of SIGSEGV at once (or, for flush_instead,
// writes how long flush() took).
[[noreturn]] void crash_child(const config& cfg, crash_case how, int fd) {
  spanlog::options o = run_options(cfg, "crash", std::size_t{2} << 20);
  o.overflow = spanlog::overflow_policy::drop;
  o.flush_interval = std::chrono::milliseconds(60000);
  o.crash_handler = how != crash_case::full_ring_no_handler;
  spanlog::start(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the flusher calibrates and waits
  loop_span(crash_spans);
  std::int64_t t = now_ns();
  if (how == crash_case::flush_instead) {
    spanlog::flush();
    t = now_ns() - t;
    (void)!::write(fd, &t, sizeof t);
    ::_exit(0);
  }
  (void)!::write(fd, &t, sizeof t);
  static volatile int* volatile nowhere = nullptr;
  *nowhere = 1;
  ::_exit(1);
}

// Nanoseconds from the signal to the moment waitpid() saw the child dead (or flush()'s time).
double crash_sample(const config& cfg, crash_case how) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nan("");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    crash_child(cfg, how, fds[1]);
  }
  ::close(fds[1]);
  std::int64_t t = 0;
  const bool got = ::read(fds[0], &t, sizeof t) == sizeof t;
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::int64_t dead = now_ns();
  ::close(fds[0]);
  if (!got) return std::nan("");
  return static_cast<double>(how == crash_case::flush_instead ? t : dead - t);
}

void group_crash(const config& cfg, reporter& out) {
  std::vector<double> with_handler, without_handler, flush_time;
  for (int r = 0; r < cfg.reps; ++r) {  // alternated, so that a noisy moment falls on all three alike
    with_handler.push_back(crash_sample(cfg, crash_case::full_ring_handler));
    without_handler.push_back(crash_sample(cfg, crash_case::full_ring_no_handler));
    flush_time.push_back(crash_sample(cfg, crash_case::flush_instead));
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(cfg.dir, ec))
      if (entry.path().filename().string().rfind("crash", 0) == 0)
        std::filesystem::remove_all(entry.path(), ec);
  }
  out.samples("crash.die", with_handler);
  out.samples("crash.die_unhandled", without_handler);
  out.samples("crash.flush", flush_time);
}

// ---------------------------------------------------------------------------------------------------------
// Group "cold": spans on a thread's first pass through its ring against the same spans once the ring has
// been written through, in a child per repetition (a new process, so the ring is new memory), with a 60 s
// flush interval: only flush() drains. A page the hot path touches first costs it a page fault.
// ---------------------------------------------------------------------------------------------------------

constexpr std::size_t cold_ring_bytes = std::size_t{1} << 20;
constexpr std::size_t cold_pass_spans = cold_ring_bytes / 2 / span_ring_bytes - 64;  // below the high water

struct cold_sample {
  double first_record_ns = 0;  // the thread's first span: its ring is made then
  double cold_ns = 0;          // per span, the first pass through the ring's first half
  double warm_ns = 0;          // per span, the same half a second time
};

[[noreturn]] void cold_child(const config& cfg, int fd) {
  spanlog::options o = run_options(cfg, "cold", cold_ring_bytes);
  o.flush_interval = std::chrono::milliseconds(60000);
  spanlog::start(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the flusher calibrates and waits
  cold_sample sample;
  std::thread recording([&] {
    const std::int64_t t0 = now_ns();
    { SPANLOG_SPAN("bench.first"); }
    sample.first_record_ns = static_cast<double>(now_ns() - t0);
    const auto per_span = [](std::int64_t ns) { return static_cast<double>(ns) / cold_pass_spans; };
    sample.cold_ns = per_span(loop_span(cold_pass_spans));
    spanlog::flush();
    loop_span(cold_pass_spans);  // the ring's second half
    spanlog::flush();
    sample.warm_ns = per_span(loop_span(cold_pass_spans));
  });
  recording.join();
  (void)!::write(fd, &sample, sizeof sample);
  ::_exit(0);
}

cold_sample cold_ring_sample(const config& cfg) {
  cold_sample sample;
  int fds[2];
  if (::pipe(fds) != 0) return sample;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    cold_child(cfg, fds[1]);
  }
  ::close(fds[1]);
  if (::read(fds[0], &sample, sizeof sample) != sizeof sample) sample = cold_sample{};
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  return sample;
}

void group_cold(const config& cfg, reporter& out) {
  std::vector<double> first, cold, warm;
  for (int r = 0; r < cfg.reps; ++r) {
    const cold_sample s = cold_ring_sample(cfg);
    if (s.warm_ns <= 0) continue;
    first.push_back(s.first_record_ns);
    cold.push_back(s.cold_ns);
    warm.push_back(s.warm_ns);
    std::error_code ec;
    std::filesystem::remove_all(cfg.dir + "/cold", ec);
  }
  out.samples("cold.first", first);
  out.samples("cold.span", cold);
  out.samples("cold.warm", warm);
}

// ---------------------------------------------------------------------------------------------------------
// Group "sustained": one producer as fast as it can for S seconds, overflow `block`, the default ring size;
// the rate per window, then the footer must account for every span.
// ---------------------------------------------------------------------------------------------------------

void group_sustained(const config& cfg, reporter& out) {
  out.samples("sustained.baseline", baseline_samples(cfg.burst, cfg.reps));
  const double rss_before = rss_mib();
  const spanlog::options defaults;
  const std::vector<pid_t> before = task_ids();
  spanlog::start(run_options(cfg, "sustained", defaults.ring_bytes));
  const std::vector<pid_t> flusher_tids = new_tasks(before);
  out.value("sustained.ring_bytes", static_cast<double>(defaults.ring_bytes));
  const int windows = std::max(cfg.reps, 5);
  const auto window_ns = static_cast<std::int64_t>(cfg.seconds * 1e9 / windows);
  const double cpu0 = threads_cpu_seconds(flusher_tids);
  const cpu_split split0 = threads_cpu_split(flusher_tids);
  const double own0 = own_cpu_seconds();
  const std::int64_t start = now_ns();
  std::vector<double> ns_per_span, rss;
  double spans = 0;
  constexpr std::size_t chunk = 4096;
  for (int w = 0; w < windows; ++w) {
    const std::int64_t w0 = now_ns();
    const std::int64_t deadline = start + window_ns * (w + 1);
    std::size_t in_window = 0;
    std::int64_t t = w0;
    while (t < deadline) {
      loop_span(chunk);
      in_window += chunk;
      t = now_ns();
    }
    spans += static_cast<double>(in_window);
    ns_per_span.push_back(static_cast<double>(t - w0) / static_cast<double>(in_window));
    rss.push_back(rss_mib());
  }
  const std::int64_t end = now_ns();
  const double cpu1 = threads_cpu_seconds(flusher_tids);
  const cpu_split split1 = threads_cpu_split(flusher_tids);
  const double own1 = own_cpu_seconds();
  const double ticks = (split1.user - split0.user) + (split1.system - split0.system);
  out.value("sustained.flusher_kernel_share",
            ticks > 0 ? (split1.system - split0.system) / ticks : std::nan(""));
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  const footer_facts f = read_footer(run_dir);
  out.samples("sustained.span", ns_per_span);
  out.value("sustained.producer_cpu_share", (own1 - own0) / (static_cast<double>(end - start) * 1e-9));
  out.value("sustained.flusher_cpu_per_span", (cpu1 - cpu0) * 1e9 / spans);
  out.samples("sustained.rss", rss);
  out.value("sustained.lossless",
            f.present && f.dropped == 0 && f.spans == spans && f.open_spans == 0 ? 1 : 0);
  out.value("sustained.spans_emitted", spans);
  out.value("sustained.footer_spans", f.present ? f.spans : -1);
  out.value("sustained.footer_dropped", f.present ? f.dropped : -1);
  out.value("sustained.seconds", static_cast<double>(end - start) * 1e-9);
  out.value("sustained.flusher_cpu_share", (cpu1 - cpu0) / (static_cast<double>(end - start) * 1e-9));
  out.value("sustained.bytes_per_span", static_cast<double>(file_size(run_dir + "/telemetry.jsonl")) / spans);
  out.value("sustained.rss_before", rss_before);
  out.value("sustained.peak_rss", peak_rss_mib());
  remove_run(run_dir);
}

// ---------------------------------------------------------------------------------------------------------
// Group "burst": the default options (1 MiB ring, overflow `block`); 1 million spans as fast as possible,
// then the time until the flusher has written them all (`flush()` returns: in the file, i.e. the page cache).
// ---------------------------------------------------------------------------------------------------------

void group_burst(const config& cfg, reporter& out) {
  out.samples("burst.baseline", baseline_samples(cfg.burst, cfg.reps));
  constexpr std::size_t n = 1000000;
  const spanlog::options defaults;
  std::vector<double> record_ns, drain_ms, total_ms;
  bool all_ok = true;
  for (int r = 0; r < cfg.reps + 1; ++r) {  // the first warms the ring and the file system; not reported
    spanlog::start(run_options(cfg, "burst", defaults.ring_bytes));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::int64_t t0 = now_ns();
    loop_span(n);
    const std::int64_t t1 = now_ns();
    spanlog::flush();
    const std::int64_t t2 = now_ns();
    const std::string run_dir = spanlog::run_directory();
    spanlog::stop();
    const footer_facts f = read_footer(run_dir);
    all_ok = all_ok && f.present && f.dropped == 0 && f.spans == static_cast<double>(n);
    remove_run(run_dir);
    if (r == 0) continue;
    record_ns.push_back(static_cast<double>(t1 - t0) / static_cast<double>(n));
    drain_ms.push_back(static_cast<double>(t2 - t1) * 1e-6);
    total_ms.push_back(static_cast<double>(t2 - t0) * 1e-6);
  }
  out.samples("burst.record", record_ns);
  out.samples("burst.drain_ms", drain_ms);
  out.samples("burst.total_ms", total_ms);
  out.value("burst.lossless", all_ok ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------------
// Group "peers": spdlog's async logger and moodycamel's two queues in the same loop shape, beside the
// baseline and spanlog's own event (16 bytes) and span (32 bytes) measured again in this process.
// ---------------------------------------------------------------------------------------------------------

void group_peers(const config& cfg, reporter& out) {
  const std::size_t n = cfg.burst;
  spanlog::start(run_options(cfg, "peers", ring_for(n * span_ring_bytes)));
  peers::concurrent_queue_loop cq(n);
  peers::reader_writer_queue_loop rwq(n);
  peers::spdlog_async_loop spd(n, cfg.dir + "/spdlog.log");
  struct entry {
    const char* key;
    std::function<std::int64_t(std::size_t)> loop;
    std::vector<double> samples;
  };
  std::vector<entry> entries = {
      {"baseline", loop_baseline, {}},
      {"span", loop_span, {}},
      {"concurrentqueue", [&](std::size_t k) { return cq.run(k); }, {}},
      {"readerwriterqueue", [&](std::size_t k) { return rwq.run(k); }, {}},
      {"spdlog", [&](std::size_t k) { return spd.run(k); }, {}},
  };
  for (int r = -2; r < cfg.reps; ++r) {  // two rounds of warm-up: allocations, page faults, caches
    for (std::size_t k = 0; k < entries.size(); ++k) {
      entry& e = entries[(k + static_cast<std::size_t>(r + 2)) % entries.size()];
      const std::int64_t ns = e.loop(n);
      spanlog::flush();
      if (r >= 0) e.samples.push_back(static_cast<double>(ns) / static_cast<double>(n));
    }
  }
  for (const auto& e : entries) out.samples(std::string("peers.") + e.key, e.samples);
  spanlog::stop();
  std::error_code ec;
  std::filesystem::remove(cfg.dir + "/spdlog.log", ec);
}

// ---------------------------------------------------------------------------------------------------------
// Group "reader": the reader CLI (--reader PATH) on a run this process recorded: `spanlog summary`.
// ---------------------------------------------------------------------------------------------------------

// Runs argv with stdout and stderr to /dev/null; returns the wall time in ns, or -1 when it failed.
std::int64_t timed_command(const std::vector<std::string>& argv) {
  const std::int64_t t0 = now_ns();
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::int64_t t1 = now_ns();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t1 - t0 : -1;
}

void group_reader(const config& cfg, reporter& out) {
  const std::size_t n = std::min<std::size_t>(cfg.flusher_spans, 1000000);  // about 125 MB of JSONL
  spanlog::options o = run_options(cfg, "reader", ring_for(n * span_ring_bytes));
  spanlog::start(o);
  for (std::size_t done = 0; done < n; done += 4096) {
    loop_span(4096);
    SPANLOG_COUNTER_ADD("bench.reader.items", 3);
  }
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  const std::string file = run_dir + "/telemetry.jsonl";
  const double bytes = static_cast<double>(file_size(file));
  double lines = 0;
  if (FILE* f = std::fopen(file.c_str(), "r")) {
    for (int c; (c = std::fgetc(f)) != EOF;) lines += c == '\n';
    std::fclose(f);
  }
  std::vector<double> mb_s, mlines_s;
  for (int r = -1; r < cfg.reps; ++r) {  // the first puts the file in the page cache
    const std::int64_t ns = timed_command({cfg.reader, "summary", "--no-write", file});
    if (ns <= 0) {
      out.value("reader.failed", 1);
      break;
    }
    if (r < 0) continue;
    mb_s.push_back(bytes / 1e6 / (static_cast<double>(ns) * 1e-9));
    mlines_s.push_back(lines / 1e6 / (static_cast<double>(ns) * 1e-9));
  }
  out.samples("reader.mb_s", mb_s);
  out.samples("reader.mlines_s", mlines_s);
  out.value("reader.bytes", bytes);
  out.value("reader.lines", lines);
  remove_run(run_dir);
}

// ---------------------------------------------------------------------------------------------------------
// Instruction counts: the program runs itself under `valgrind --tool=callgrind --collect-atstart=no`; the
// child collects each loop at two lengths and dumps after each, so (count(2n) - count(n)) / n is exactly one
// iteration's instructions (the loop's own increment, compare and branch included, as in the baseline).
// ---------------------------------------------------------------------------------------------------------

struct counted_loop {
  const char* key;
  std::int64_t (*loop)(std::size_t);
};
const counted_loop counted_loops[] = {
    {"empty", loop_empty},
    {"baseline", loop_baseline},
    {"span", loop_span},
    {"span_attrs", loop_span_attrs},
    {"span_string", loop_span_string},
    {"span_fn", loop_span_fn},
    {"span_stats", loop_span_stats},
    {"event", loop_event},
    {"counter", loop_counter},
    {"gauge", loop_gauge},
};
constexpr std::size_t counted_n = 10000;

// In the child under valgrind: dumps 2 profiles per loop, in the order of counted_loops.
void callgrind_child(const config& cfg) {
  spanlog::options o = run_options(cfg, "callgrind", ring_for(8 * counted_n * 128));
  o.flush_interval = std::chrono::milliseconds(60000);  // the flusher sleeps while the loops are counted
  spanlog::start(o);
  for (const auto& c : counted_loops) {
    c.loop(counted_n);  // warm: the thread's ring is attached, the site's first record written
    for (std::size_t n : {counted_n, 2 * counted_n}) {
      CALLGRIND_TOGGLE_COLLECT;
      c.loop(n);
      CALLGRIND_TOGGLE_COLLECT;
      CALLGRIND_DUMP_STATS;
    }
  }
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  remove_run(run_dir);
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The "summary:" total of instructions (Ir) in one callgrind dump, or NaN.
double callgrind_total(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return std::nan("");
  char line[4096];
  double v = std::nan("");
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "summary:", 8) == 0 || std::strncmp(line, "totals:", 7) == 0)
      v = std::atof(line + 8);
  std::fclose(f);
  return v;
}

void group_callgrind(const config& cfg, const std::string& self, reporter& out) {
  const std::string prefix = cfg.dir + "/callgrind.out";
  const std::string argv = "valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=" + prefix +
                           ".%p " + self + " --callgrind-child --dir " + cfg.dir + " >/dev/null 2>&1";
  if (std::system(argv.c_str()) != 0) {
    out.value("callgrind.failed", 1);
    return;
  }
  // Dumps are written as <file>.<pid>.<n>, numbered from 1 in the order they were made.
  std::string base;
  for (const auto& e : std::filesystem::directory_iterator(cfg.dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("callgrind.out.", 0) == 0 && std::count(name.begin(), name.end(), '.') == 2)
      base = e.path().string();
  }
  if (base.empty()) {
    out.value("callgrind.failed", 1);
    return;
  }
  int dump = 1;
  for (const auto& c : counted_loops) {
    const double once = callgrind_total(base + "." + std::to_string(dump++));
    const double twice = callgrind_total(base + "." + std::to_string(dump++));
    out.value(std::string("callgrind.") + c.key, (twice - once) / static_cast<double>(counted_n));
  }
}

// ---------------------------------------------------------------------------------------------------------
// The parent: forks a child per group, collects its lines, prints the machine and the table.
// ---------------------------------------------------------------------------------------------------------

struct results {
  std::map<std::string, std::vector<double>> samples;
  std::map<std::string, double> values;
  std::vector<std::string> failed;

  bool has(const std::string& k) const { return samples.count(k) && !samples.at(k).empty(); }
  const std::vector<double>& s(const std::string& k) const {
    static const std::vector<double> none;
    auto it = samples.find(k);
    return it == samples.end() ? none : it->second;
  }
  double v(const std::string& k, double fallback = std::nan("")) const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
};

// Runs `body` in a forked child and collects its lines. A child that has not finished after `timeout_s` (a
// recorder that deadlocks, a flusher that never drains) is killed and its group reported as failed.
bool run_group(const std::string& name, double timeout_s, const std::function<void(reporter&)>& body,
               results& res) {
  int fds[2];
  if (::pipe(fds) != 0) return false;
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::close(fds[0]);
    reporter out(fds[1]);
    body(out);
    ::close(fds[1]);
    std::exit(0);
  }
  ::close(fds[1]);
  std::string data;
  char buf[4096];
  const std::int64_t deadline = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  bool timed_out = false;
  for (;;) {
    const std::int64_t left_ms = (deadline - now_ns()) / 1000000;
    pollfd p{fds[0], POLLIN, 0};
    const int ready =
        left_ms > 0 ? ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left_ms, 1000))) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (now_ns() < deadline) continue;
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) {
    res.failed.push_back(name + strf(": killed after %.0f s, a hang", timeout_s));
    return false;
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    const std::string line = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() < 3) continue;
    char* p = const_cast<char*>(line.c_str()) + 2;
    char* key_end = std::strchr(p, ' ');
    if (!key_end) continue;
    const std::string key(p, key_end);
    p = key_end;
    std::vector<double> v;
    for (;;) {
      char* stop = nullptr;
      const double x = std::strtod(p, &stop);
      if (stop == p) break;
      v.push_back(x);
      p = stop;
    }
    if (line[0] == 'S') res.samples[key] = v;
    if (line[0] == 'V' && !v.empty()) res.values[key] = v[0];
  }
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok)
    res.failed.push_back(name + (WIFSIGNALED(status) ? strf(": killed by signal %.0f", WTERMSIG(status))
                                                     : strf(": exit status %.0f", WEXITSTATUS(status))));
  return ok;
}

std::string cpu_model() {
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

bool cpu_flag(const char* flag) {
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
double load_average() {
  double l = std::nan("");
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1) l = std::nan("");
    std::fclose(f);
  }
  return l;
}

std::string fs_type(const std::string& path) {
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

// Three significant digits or so: 23.7, 1.52, 112.
std::string num(double v) {
  if (std::isnan(v)) return "n/a";
  const double a = std::fabs(v);
  if (a >= 100) return strf("%.0f", v);
  if (a >= 10) return strf("%.1f", v);
  return strf("%.2f", v);
}

struct row {
  std::string name, what, median, range, err = "—", ratio, instr = "—", target, notes;
};

void print_table(const std::vector<row>& rows) {
  std::printf(
      "| scenario | what is measured | median | min – max | err | × baseline | instructions (+ baseline) | "
      "target "
      "| notes |\n");
  std::printf("|---|---|--:|--:|--:|--:|--:|---|---|\n");
  for (const auto& r : rows) {
    std::string notes = r.notes;
    while (!notes.empty() && (notes.back() == ' ' || notes.back() == ';')) notes.pop_back();
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name.c_str(), r.what.c_str(),
                r.median.c_str(), r.range.c_str(), r.err.c_str(), r.ratio.c_str(), r.instr.c_str(),
                r.target.c_str(), notes.c_str());
  }
}

// "met" or "missed by N%" for a value that must stay at or below a limit.
std::string verdict(double value, double limit) {
  if (std::isnan(value)) return "n/a";
  if (value <= limit) return "met";
  return "**missed** by " + strf("%.0f%%", (value / limit - 1) * 100);
}
std::string verdict_at_least(double value, double floor) {
  if (std::isnan(value)) return "n/a";
  if (value >= floor) return "met";
  return "**missed**: " + strf("%.0f%%", value / floor * 100) + " of it";
}

// A row of ns-per-operation samples; nanobench-style warning when the spread is wide.
row ns_row(const std::string& name, const std::string& what, const std::vector<double>& v, double base) {
  row r;
  r.name = name;
  r.what = what;
  if (v.empty()) {
    r.median = r.range = r.ratio = "n/a";
    return r;
  }
  const double m = median(v);
  r.median = num(m) + " ns";
  r.range = num(min_of(v)) + " – " + num(max_of(v));
  r.ratio = base > 0 ? strf("%.2f×", m / base) : "n/a";
  // nanobench's measure of noise: the median absolute percentage error. One outlier does not move it.
  std::vector<double> dev;
  for (double x : v) dev.push_back(std::fabs(x - m) / m);
  const double err = m > 0 ? median(dev) : 0;
  r.err = strf("%.1f%%", err * 100);
  if (err > 0.05) r.notes = "**unstable** (err > 5%); ";
  return r;
}

std::string lossless_note(const results& res, const std::string& group) {
  const double ok = res.v(group + ".lossless", -1);
  if (ok < 0) return "";
  if (ok > 0)
    return "footer: " + strf("%.0f", res.v(group + ".footer_spans")) + " spans = recorded, 0 dropped";
  return "**LOSS**: footer spans " + strf("%.0f", res.v(group + ".footer_spans")) + " vs recorded " +
         strf("%.0f", res.v(group + ".spans_emitted")) + ", dropped " +
         strf("%.0f", res.v(group + ".footer_dropped"));
}

std::vector<row> build_rows(const config& cfg, const results& res) {
  std::vector<row> rows;
  const double base = median(res.s("single.baseline"));
  // Instructions per iteration from callgrind, the loop's own (the empty loop's) taken out.
  const double loop_instr = res.v("callgrind.empty");
  const double base_instr = res.v("callgrind.baseline") - loop_instr;
  auto instr_of = [&](const std::string& key) { return res.v("callgrind." + key) - loop_instr; };
  auto instr_cell = [&](const std::string& key) {
    const double i = instr_of(key);
    if (std::isnan(i)) return std::string("n/a");
    return key == "baseline" ? strf("%.0f", i) : strf("%.0f", i) + strf(" (%+.0f)", i - base_instr);
  };
  if (res.has("single.baseline")) {
    row r = ns_row("baseline", "2× `rdtsc` + 24-byte store into a thread-local array (L1), same loop shape",
                   res.s("single.baseline"), base);
    r.instr = instr_cell("baseline");
    r.target = "—";
    r.notes += "the floor for a span; every ratio divides by the baseline of its own process";
    if (!std::isnan(loop_instr))
      r.notes += strf("; instruction counts leave out the loop's own %.0f", loop_instr);
    rows.push_back(r);
  }
  struct single_row {
    const char* key;
    const char* name;
    const char* what;
    double limit_ratio, limit_ns, limit_extra_instr, limit_instr;
  };
  const single_row singles[] = {
      {"span", "span", "`SPANLOG_SPAN(\"x\")` begin+end, no attribute", 1.10, 0, 12, 0},
      {"span_attrs", "span + 2 attrs", "`SPANLOG_SPAN(\"x\", \"items\", int, \"ratio\", double)`", 0, 0, 0,
       0},
      {"span_string", "span + string", "`SPANLOG_SPAN(\"x\", \"key\", std::string)`, 29 bytes copied", 0, 0,
       0, 0},
      {"span_fn", "span_fn", "`SPANLOG_SPAN_FN()`: a span named after the function", 0, 0, 0, 0},
      {"span_stats", "statistics span",
       "`SPANLOG_SPAN_STATS(\"x\")` begin+end: the thread's histogram, no ring record", 0, 0, 0, 0},
      {"event", "event", "`SPANLOG_EVENT(\"x\")`, no attribute", 0, 0, 0, 0},
      {"counter", "counter add", "`SPANLOG_COUNTER_ADD(\"x\", 1)`", 0, 2, 0, 10},
      {"gauge", "gauge set", "`SPANLOG_GAUGE_SET(\"x\", double)`", 0, 2, 0, 10},
  };
  for (const auto& s : singles) {
    const std::string key = std::string("single.") + s.key;
    if (!res.has(key)) continue;
    row r = ns_row(s.name, s.what, res.s(key), base);
    r.instr = instr_cell(s.key);
    const double m = median(res.s(key));
    const double instr = instr_of(s.key);
    std::vector<std::string> targets;
    if (s.limit_ratio > 0)
      targets.push_back("≤ " + strf("%.2f×", s.limit_ratio) + ": " + verdict(m / base, s.limit_ratio));
    if (s.limit_ns > 0) targets.push_back("≤ " + num(s.limit_ns) + " ns: " + verdict(m, s.limit_ns));
    if (s.limit_extra_instr > 0)
      targets.push_back(strf("≤ +%.0f instr: ", s.limit_extra_instr) +
                        verdict(instr - base_instr, s.limit_extra_instr));
    if (s.limit_instr > 0)
      targets.push_back(strf("≤ %.0f instr: ", s.limit_instr) + verdict(instr, s.limit_instr));
    for (const auto& t : targets) r.target += (r.target.empty() ? "" : "; ") + t;
    if (r.target.empty()) r.target = "—";
    if (std::string(s.key) == "span")
      r.notes += std::fabs(m - base) < 0.05 ? std::string("same as the baseline; ")
                                            : strf("%+.1f ns against the baseline; ", m - base);
    if (std::string(s.key) == "span_stats" && res.has("single.span")) {
      // Its target is against the full span's cost (what each adds to the baseline), not the baseline's.
      const double full = median(res.s("single.span")) - base;
      const double ratio = (m - base) / full;
      r.target = "≤ 1.30× a span's cost: " + verdict(ratio, 1.30);
      r.notes += strf("%.2f× a full span's cost", ratio) + strf(" (%+.1f ns", m - base) +
                 strf(" against %+.1f ns); ", full);
    }
    rows.push_back(r);
  }
  if (!rows.empty()) rows.back().notes += lossless_note(res, "single");

  if (res.has("threads.span2")) {
    const double b1 = median(res.s("threads.baseline1"));
    const double s1 = median(res.s("threads.span1"));
    row rb = ns_row("baseline, 2 threads", "the baseline on 2 threads at once, per thread",
                    res.s("threads.baseline2"), b1);
    rb.target = "—";
    rb.notes += "what sharing the machine costs by itself";
    rows.push_back(rb);
    row r = ns_row("span, 2 threads", "`SPANLOG_SPAN(\"x\")` on 2 producer threads at once, per thread",
                   res.s("threads.span2"), b1);
    const double m = median(res.s("threads.span2"));
    r.target = "≤ 1.25× 1 thread: " + verdict(m / s1, 1.25);
    r.notes += strf("%.2f× the single-thread span ", m / s1) + "(" + num(s1) + " ns in this process)";
    rows.push_back(r);
    if (res.has("threads.span4")) {
      row r4 =
          ns_row("span, 4 threads",
                 "`SPANLOG_SPAN(\"x\")` on 4 producer threads at once on 2 cores, per thread (wall time, "
                 "so it includes waiting for a core)",
                 res.s("threads.span4"), median(res.s("threads.baseline4")));
      const double m4 = median(res.s("threads.span4"));
      r4.target = "—";
      r4.notes += strf("%.2f× the single-thread span; ", m4 / s1) +
                  "ratio is to the baseline on 4 threads (" + num(median(res.s("threads.baseline4"))) +
                  " ns); " + lossless_note(res, "threads");
      rows.push_back(r4);
    }
  }

  if (res.has("flusher.cpu")) {
    const double fb = median(res.s("flusher.baseline"));
    const double n = static_cast<double>(cfg.flusher_spans);
    row rw = ns_row("flusher, wall",
                    "time from the last of " + strf("%g", n / 1e6) +
                        "M recorded spans until `flush()` returns (all written), per span",
                    res.s("flusher.wall"), fb);
    const double wall = median(res.s("flusher.wall"));
    rw.target = "—";
    const double early = max_of(res.s("flusher.early_share"));
    if (early > 0.02)
      rw.notes += strf(
          "**the flusher did %.0f%% of its work while the spans were recorded: wall time "
          "understates it**; ",
          early * 100);
    rw.notes += strf("%.2f M spans/s to JSONL; ", 1e3 / wall) + "recording them took " +
                num(median(res.s("flusher.record"))) + " ns/span, nothing draining, into a " +
                strf("%.0f MiB", res.v("flusher.ring_bytes") / 1048576) + " ring (faulted in beforehand)";
    rows.push_back(rw);
    row rc = ns_row("flusher, CPU",
                    "the flusher thread's CPU time for the same (user + kernel), per span; "
                    "one JSONL line each",
                    res.s("flusher.cpu"), fb);
    const double cpu = median(res.s("flusher.cpu"));
    rc.target = "≥ 10 M/s: " + verdict_at_least(1e3 / cpu, 10);
    rc.notes += strf("%.2f M records per CPU-second; ", 1e3 / cpu) +
                strf("%.0f%% of that CPU time in the kernel (write(2) into the page cache); ",
                     median(res.s("flusher.kernel_share")) * 100) +
                strf("%.1f bytes/line; ", median(res.s("flusher.bytes"))) +
                (res.v("flusher.lossless", 0) > 0 ? "every run's footer: all spans, 0 dropped"
                                                  : "**LOSS** in a run's footer");
    rows.push_back(rc);
  }

  if (res.has("sustained.span")) {
    const double sb = median(res.s("sustained.baseline"));
    row r = ns_row(
        "sustained",
        strf("one producer for %.0f s, overflow `block`, ", cfg.seconds) +
            strf("%.0f MiB ring (default): ns per span, per window", res.v("sustained.ring_bytes") / 1048576),
        res.s("sustained.span"), sb);
    const double m = median(res.s("sustained.span"));
    r.target = "≥ 5 M/s (issue 6): " + verdict_at_least(1e3 / m, 5);
    std::string windows;
    for (double w : res.s("sustained.span")) windows += (windows.empty() ? "" : " ") + strf("%.1f", 1e3 / w);
    r.notes += strf("%.2f M spans/s; ", 1e3 / m) + "per window in order: " + windows + " M/s; " +
               strf("CPU: flusher %.0f%%", res.v("sustained.flusher_cpu_share") * 100) +
               strf(" (%.0f ns/span, ", res.v("sustained.flusher_cpu_per_span")) +
               strf("%.0f%% in the kernel),", res.v("sustained.flusher_kernel_share") * 100) +
               strf(" producer %.0f%% of the wall time; ", res.v("sustained.producer_cpu_share") * 100) +
               lossless_note(res, "sustained");
    rows.push_back(r);
    row b;
    b.name = "bytes per span";
    b.what = "telemetry.jsonl size / spans, for the sustained run (`{\"event\":\"span\",...}` lines)";
    b.median = strf("%.1f B", res.v("sustained.bytes_per_span"));
    b.range = b.ratio = "—";
    b.target = "—";
    b.notes = strf("%.1f B/line in the flusher runs", median(res.s("flusher.bytes")));
    rows.push_back(b);
    row m2;
    m2.name = "peak RSS";
    m2.what = "getrusage ru_maxrss of the sustained run's process (ring size in force: " +
              strf("%.0f MiB", res.v("sustained.ring_bytes") / 1048576) + ")";
    m2.median = strf("%.1f MiB", res.v("sustained.peak_rss"));
    m2.range =
        strf("RSS %.1f", min_of(res.s("sustained.rss"))) + strf(" – %.1f", max_of(res.s("sustained.rss")));
    m2.ratio = "—";
    m2.target = "bounded by the options";
    m2.notes =
        strf("%.1f MiB before spanlog started; ", res.v("sustained.rss_before")) +
        "min – max is the RSS at the end of each window (flat means bounded); " +
        strf("the flusher group's peak with its %.0f MiB ring: ", res.v("flusher.ring_bytes") / 1048576) +
        strf("%.0f MiB", res.v("flusher.peak_rss"));
    rows.push_back(m2);
  }

  if (res.has("crash.die")) {
    const double flush_ns = median(res.s("crash.flush"));
    const double unhandled_ns = median(res.s("crash.die_unhandled"));
    auto ms = [](double ns) { return strf("%.2f ms", ns / 1e6); };
    row r =
        ns_row("crash: time to die",
               "from SIGSEGV to the parent's waitpid(), with 1 MiB of records (32,768 spans) undrained in "
               "the ring: the crash handler writes them, then the default action",
               res.s("crash.die"), unhandled_ns);
    const double die_ns = median(res.s("crash.die"));
    r.median = ms(die_ns);
    r.range = ms(min_of(res.s("crash.die"))) + " – " + ms(max_of(res.s("crash.die")));
    r.target = "≤ writing the rings + 10 ms: " + verdict(die_ns, flush_ns + unhandled_ns + 10e6);
    r.notes += "ratio to the same death with the crash handler off (" + ms(unhandled_ns) +
               "); the flusher writes the same records in " + ms(flush_ns) + " (flush()); the handler adds " +
               ms(die_ns - unhandled_ns);
    rows.push_back(r);
  }

  if (res.has("cold.span")) {
    const double warm = median(res.s("cold.warm"));
    rows.push_back(ns_row("cold ring: span",
                          "a span on its thread's first pass through a new 1 MiB ring (the first 0.5 MiB), "
                          "against the same spans on the second pass",
                          res.s("cold.span"), warm));
    row first =
        ns_row("cold ring: a thread's first span",
               "the span that makes the thread's ring (allocated, its pages touched, announced to the "
               "flusher)",
               res.s("cold.first"), warm);
    const auto us = [](double ns) { return strf("%.1f µs", ns / 1e3); };
    first.median = us(median(res.s("cold.first")));
    first.range = us(min_of(res.s("cold.first"))) + " – " + us(max_of(res.s("cold.first")));
    first.ratio = "n/a";
    rows.push_back(first);
  }

  if (res.has("burst.record")) {
    const double bb = median(res.s("burst.baseline"));
    row r = ns_row("burst: record",
                   "1 M spans as fast as possible, default options (1 MiB ring, `block`), per span",
                   res.s("burst.record"), bb);
    r.notes += strf("%.2f M spans/s while the flusher drains the ring beside it",
                    1e3 / median(res.s("burst.record")));
    rows.push_back(r);
    row d;
    d.name = "burst: until written";
    d.what =
        "from the last of the 1 M spans until `flush()` returns (all in telemetry.jsonl, i.e. the page "
        "cache)";
    d.median = num(median(res.s("burst.drain_ms"))) + " ms";
    d.range = num(min_of(res.s("burst.drain_ms"))) + " – " + num(max_of(res.s("burst.drain_ms")));
    d.ratio = "—";
    d.target = "—";
    d.notes =
        "record + write: " + num(median(res.s("burst.total_ms"))) + " ms for 1 M spans; " +
        (res.v("burst.lossless", 0) > 0 ? "every footer: 1 M spans, 0 dropped" : "**LOSS** in a footer");
    rows.push_back(d);
  }

  if (res.has("peers.baseline")) {
    const double pb = median(res.s("peers.baseline"));
    struct peer_row {
      const char* key;
      const char* name;
      const char* what;
    };
    const peer_row peer_rows[] = {
        {"span", "spanlog span (peers run)", "`SPANLOG_SPAN(\"x\")` again, in the peers' process"},
        {"concurrentqueue", "moodycamel ConcurrentQueue",
         "`enqueue(producer_token, item)`, 32-byte item (a pointer, `rdtsc`, 2 words), queue pre-sized"},
        {"readerwriterqueue", "moodycamel ReaderWriterQueue",
         "`try_enqueue(item)`, same 32-byte item, pre-sized"},
        {"spdlog", "spdlog async logger",
         "`logger->info(\"value {}\", i)`: async logger, 1 backend thread, `block`, file sink"},
    };
    for (const auto& p : peer_rows) {
      const std::string key = std::string("peers.") + p.key;
      if (!res.has(key)) continue;
      row r = ns_row(p.name, p.what, res.s(key), pb);
      r.target = "—";
      rows.push_back(r);
    }
  }

  if (res.has("reader.mb_s")) {
    row r;
    r.name = "reader";
    r.what = "`spanlog summary --no-write` on a run this benchmark recorded (" +
             strf("%.0f MB, ", res.v("reader.bytes") / 1e6) +
             strf("%.1f M lines), wall time", res.v("reader.lines") / 1e6);
    const auto& v = res.s("reader.mb_s");
    r.median = num(median(v)) + " MB/s";
    r.range = num(min_of(v)) + " – " + num(max_of(v));
    r.ratio = "—";
    r.target = "—";
    r.notes = strf("%.1f M lines/s; ", median(res.s("reader.mlines_s"))) +
              "process start and the page-cache read included; bench/reader_bench.py compares it with jq and "
              "python";
    rows.push_back(r);
  }
  if (res.v("reader.failed", 0) > 0) {
    row r;
    r.name = "reader";
    r.what = "`" + cfg.reader + " summary --no-write` failed on the recorded run";
    r.median = r.range = r.ratio = r.target = "n/a";
    rows.push_back(r);
  }
  if (res.v("callgrind.failed", 0) > 0) {
    row r;
    r.name = "instructions";
    r.what = "callgrind could not be run (is valgrind installed?)";
    r.median = r.range = r.ratio = r.target = "n/a";
    rows.push_back(r);
  }
  return rows;
}

void usage() {
  std::printf(
      "recorder_bench: the spanlog recorder's cost, as a markdown table\n"
      "  --reps N            repetitions per scenario (default 9, at least 5)\n"
      "  --seconds S         length of the sustained run (default 5)\n"
      "  --burst N           operations per timed burst (default 100000 spans' worth of ring)\n"
      "  --flusher-spans N   spans recorded before timing the flusher (default 4000000)\n"
      "  --dir PATH          where runs are written (default a new directory under $TMPDIR or /tmp)\n"
      "  --reader PATH       the spanlog reader CLI: adds its throughput on a recorded run\n"
      "  --only G[,G]        groups: single, threads, flusher, sustained, burst, peers, reader, callgrind,\n"
      "                      crash, cold\n"
      "                      (default all; reader only with --reader; callgrind needs valgrind)\n");
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  std::string parent_dir;
  bool callgrind_child_mode = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--reps")
      cfg.reps = std::max(1, std::atoi(next()));
    else if (a == "--seconds")
      cfg.seconds = std::max(0.5, std::atof(next()));
    else if (a == "--burst")
      cfg.burst = std::max<std::size_t>(1000, std::strtoull(next(), nullptr, 10));
    else if (a == "--flusher-spans")
      cfg.flusher_spans = std::max<std::size_t>(1000, std::strtoull(next(), nullptr, 10));
    else if (a == "--dir")
      parent_dir = next();
    else if (a == "--reader")
      cfg.reader = next();
    else if (a == "--callgrind-child")
      callgrind_child_mode = true;
    else if (a == "--only") {
      std::string list = next();
      std::size_t pos = 0;
      while (pos <= list.size()) {
        std::size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        cfg.only.insert(list.substr(pos, comma - pos));
        pos = comma + 1;
      }
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      usage();
      return 2;
    }
  }
  for (const auto& g : cfg.only) {
    if (g != "single" && g != "threads" && g != "flusher" && g != "sustained" && g != "burst" &&
        g != "peers" && g != "reader" && g != "callgrind" && g != "crash" && g != "cold") {
      std::fprintf(stderr, "unknown group %s\n", g.c_str());
      usage();
      return 2;
    }
  }
  if (const char* v = std::getenv("SPANLOG"); v && (!std::strcmp(v, "off") || !std::strcmp(v, "0") ||
                                                    !std::strcmp(v, "false") || !std::strcmp(v, "no"))) {
    std::fprintf(stderr, "SPANLOG=%s in the environment would switch recording off: unset it\n", v);
    return 2;
  }
  if (cfg.reps < 5)
    std::fprintf(stderr, "note: --reps %d is below the 5 the figures are meant to use\n", cfg.reps);

  if (callgrind_child_mode) {  // run by group_callgrind under valgrind, inside the parent's directory
    cfg.dir = parent_dir;
    callgrind_child(cfg);
    return 0;
  }
  if (parent_dir.empty()) {
    const char* t = std::getenv("TMPDIR");
    parent_dir = (t && *t) ? t : "/tmp";
  }
  std::string templ = parent_dir + "/spanlog-bench-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::fprintf(stderr, "cannot create a directory under %s: %s\n", parent_dir.c_str(),
                 std::strerror(errno));
    return 1;
  }
  cfg.dir = templ;
  g_dynamic_value =
      "tenant-" + std::to_string(42) + "/user-" + std::to_string(1234567) + "/avatar";  // 29 bytes

  utsname u{};
  ::uname(&u);
  std::printf("## spanlog recorder benchmark\n\n");
  std::printf("- machine: %s, %ld cores online%s; Linux %s\n", cpu_model().c_str(),
              ::sysconf(_SC_NPROCESSORS_ONLN), cpu_flag("hypervisor") ? " (virtual machine)" : "", u.release);
  std::printf("- TSC: %s; compiler: g++ %s, %s\n",
              cpu_flag("constant_tsc") && cpu_flag("nonstop_tsc") ? "invariant" : "not known to be invariant",
              __VERSION__,
#ifdef __OPTIMIZE__
              "optimized"
#else
              "NOT optimized"
#endif
  );
  std::printf(
      "- settings: %d repetitions per scenario; bursts of %zu spans' worth of ring (%.1f MiB) with `flush()` "
      "between bursts; runs written under %s (%s) and deleted\n\n",
      cfg.reps, cfg.burst, static_cast<double>(cfg.burst * span_ring_bytes) / 1048576, cfg.dir.c_str(),
      fs_type(cfg.dir).c_str());
  std::fflush(stdout);

  const double load_before = load_average();
  results res;
  auto want = [&](const char* g) { return cfg.only.empty() || cfg.only.count(g); };
  const std::int64_t t0 = now_ns();
  // Generous limits: ten times what a group takes here.
  const double reps = static_cast<double>(cfg.reps);
  const double burst_s = 10 * (2 + reps * static_cast<double>(cfg.burst) * 1e-6);
  const double flusher_s = 10 * (2 + (reps + 2) * static_cast<double>(cfg.flusher_spans) * 2e-7);
  if (want("single"))
    run_group(
        "single", burst_s, [&](reporter& out) { group_single(cfg, out); }, res);
  if (want("threads"))
    run_group(
        "threads", burst_s, [&](reporter& out) { group_threads(cfg, out); }, res);
  if (want("flusher"))
    run_group(
        "flusher", flusher_s, [&](reporter& out) { group_flusher(cfg, out); }, res);
  if (want("sustained"))
    run_group(
        "sustained", 60 + 3 * cfg.seconds, [&](reporter& out) { group_sustained(cfg, out); }, res);
  if (want("burst"))
    run_group(
        "burst", 60 + 10 * reps, [&](reporter& out) { group_burst(cfg, out); }, res);
  if (want("crash"))
    run_group(
        "crash", 60 + 3 * reps, [&](reporter& out) { group_crash(cfg, out); }, res);
  if (want("cold"))
    run_group(
        "cold", 60 + 3 * reps, [&](reporter& out) { group_cold(cfg, out); }, res);
  if (want("peers"))
    run_group(
        "peers", burst_s * 4, [&](reporter& out) { group_peers(cfg, out); }, res);
  if (want("reader") && !cfg.reader.empty())
    run_group(
        "reader", flusher_s, [&](reporter& out) { group_reader(cfg, out); }, res);
  if (want("callgrind"))
    run_group(
        "callgrind", 600, [&](reporter& out) { group_callgrind(cfg, self_path(), out); }, res);
  const double total_s = static_cast<double>(now_ns() - t0) * 1e-9;

  print_table(build_rows(cfg, res));
  std::printf(
      "\nmedian and min – max over the repetitions (sustained: over %d windows); err = median absolute "
      "percentage error (noise); × baseline = median / the "
      "baseline's median in the same process. Total %.1f s. 1-minute load average before the run: %.2f "
      "on %ld cores (anything well above 0 is other work competing with the benchmark's threads).\n",
      std::max(cfg.reps, 5), total_s, load_before, ::sysconf(_SC_NPROCESSORS_ONLN));
  for (const auto& g : res.failed) std::printf("\n**group failed**: %s; its rows are missing\n", g.c_str());

  std::error_code ec;
  std::filesystem::remove_all(cfg.dir, ec);
  return res.failed.empty() ? 0 : 1;
}
