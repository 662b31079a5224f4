// A run's lifecycle: start, flush, stop, the default session that the first record starts, and what a
// forked child does. These run in the image that holds the session; every image reaches them through the hub.
#pragma once
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../detail/recorder.hpp"
#include "../options.hpp"
#include "crash_handler.hpp"
#include "crash_points.hpp"
#include "flusher.hpp"
#include "image_registry.hpp"
#include "options_from_env.hpp"
#include "session_control.hpp"
#include "terminate_handler.hpp"
#include "termination_signals.hpp"
#include "thread_rings.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline std::atomic<bool> g_process_hooks_installed{false};

inline std::string generated_run_id() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d%02d%02d-%ld", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(::getpid()));
  return buf;
}

inline bool make_directories(const std::string& path) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline void stop_at_exit();
inline void stop_at_quick_exit();

// In the child of fork(): no flusher thread exists here and the parent's file is not ours.
inline void after_fork_in_child() {
  g_crash_target.store(nullptr, std::memory_order_relaxed);
  SessionControl* parent = g_control.load(std::memory_order_relaxed);
  g_control.store(nullptr, std::memory_order_relaxed);
  tl_thread_ring = nullptr;
  const bool own_run = parent && parent->active && parent->last_options.fork == ForkPolicy::new_run;
  g_parent_control = own_run ? parent : nullptr;
  set_flags_everywhere_in_child(own_run ? flag_never_started : 0u);
}

// Options a program set out of range fall back to their defaults, as the environment's do.
inline void correct_options(Options& o) {
  if (!valid_ring_bytes(o.ring_bytes)) {
    config_warning("options::ring_bytes", std::to_string(o.ring_bytes).c_str(),
                   "is not a power of two from 4K to 1G", "1048576");
    o.ring_bytes = std::size_t{1} << 20;
  }
  if (!valid_ring_bytes(o.ring_max_bytes)) {
    config_warning("options::ring_max_bytes", std::to_string(o.ring_max_bytes).c_str(),
                   "is not a power of two from 4K to 1G", "16777216");
    o.ring_max_bytes = std::size_t{16} << 20;
  }
  // A bound below the ring's own size means no growth.
  o.ring_max_bytes = std::max(o.ring_max_bytes, o.ring_bytes);
  if (!(o.sample >= 0.0 && o.sample <= 1.0)) o.sample = 1.0;
  if (o.flush_interval.count() < 1) o.flush_interval = std::chrono::milliseconds(100);
  if (o.stats_interval.count() < 1) o.stats_interval = std::chrono::milliseconds(1000);
  if (o.dir.empty()) o.dir = ".";
}

// A run's directory and files, told to its flusher as they are made (a crash meanwhile makes the rest
// itself). When they cannot be made the run still records (and counts what it loses), with fd -1.
struct RunFiles {
  std::string run_id;
  std::string run_dir;
  int fd = -1;
  int otlp_fd = -1;
};

inline int open_new_file(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
}

// <dir>/latest points at the newest run: replaced by a rename, so a reader never finds it missing.
inline void point_latest_at(const std::string& dir, const std::string& run_id) {
  const std::string link_tmp = dir + "/.latest." + std::to_string(::getpid());
  ::unlink(link_tmp.c_str());
  if (::symlink(run_id.c_str(), link_tmp.c_str()) == 0) {
    if (::rename(link_tmp.c_str(), (dir + "/latest").c_str()) != 0) ::unlink(link_tmp.c_str());
  }
}

inline RunFiles open_run_files(const Options& o, const std::string& run_id, Flusher& f) {
  RunFiles files;
  files.run_id = run_id;
  if (!make_directories(o.dir)) {
    std::fprintf(stderr, "spanlog: cannot create directory %s: %s; recording without writing\n",
                 o.dir.c_str(), std::strerror(errno));
    f.files_opened(-1, -1);
    return files;
  }
  // A run directory of its own, even when a run id repeats (several runs a second, or a fixed id).
  const std::string base = files.run_id;
  for (int n = 2; n < 1000; ++n) {
    files.run_dir = o.dir + "/" + files.run_id;
    if (::mkdir(files.run_dir.c_str(), 0755) == 0) break;
    if (errno != EEXIST) break;
    files.run_id = base + "-" + std::to_string(n);
  }
  f.run_directory_made(files.run_dir, files.run_id);
  SPANLOG_CRASH_POINT("start.run_directory");
  const std::string file = files.run_dir + "/telemetry.jsonl";
  files.fd = open_new_file(file);
  if (files.fd < 0) {
    std::fprintf(stderr, "spanlog: cannot open %s: %s; recording without writing\n", file.c_str(),
                 std::strerror(errno));
    f.files_opened(-1, -1);
    return files;
  }
  if (o.otlp) {
    const std::string otlp_file = files.run_dir + "/traces.otlp.jsonl";
    files.otlp_fd = open_new_file(otlp_file);
    if (files.otlp_fd < 0)
      std::fprintf(stderr, "spanlog: cannot open %s: %s\n", otlp_file.c_str(), std::strerror(errno));
  }
  f.files_opened(files.fd, files.otlp_fd);
  point_latest_at(o.dir, files.run_id);
  return files;
}

// What the hot path is told: the run records, with these kinds on.
inline std::uint32_t run_flags(const Options& o) {
  std::uint32_t flags = flag_running;
  if (o.spans) flags |= flag_spans;
  if (o.events) flags |= flag_events;
  if (o.metrics) flags |= flag_metrics;
  if (o.sample < 1.0) flags |= flag_sampling;
  return flags;
}

inline std::uint64_t sample_threshold(const Options& o) {
  return o.sample < 1.0 ? static_cast<std::uint64_t>(o.sample * 18446744073709551615.0) : ~std::uint64_t{0};
}

inline void stop_for_termination(const char* stopped_by);

inline void install_process_hooks() {
  if (g_process_hooks_installed.exchange(true)) return;
  std::atexit(stop_at_exit);
  std::at_quick_exit(stop_at_quick_exit);
  ::pthread_atfork(nullptr, nullptr, after_fork_in_child);
}

// Before the run exists, so that a crash at any moment of its start finds the handlers in place.
inline void install_handlers_for(const Options& o) {
  install_process_hooks();
  if (o.crash_handler) {
    install_crash_handlers();
    install_terminate_handler();
  }
  g_termination_handling_on.store(o.termination_signals, std::memory_order_release);
  if (o.termination_signals) install_termination_handlers(stop_for_termination);
}

// In this order, so that a crash at any moment finds the run: the handlers, the flusher (it holds the rings
// and writes the header itself when a crash comes first), the files, the flusher's thread, and then the hot
// path is told to record.
inline void start_locked(SessionControl& c, Options o) {
  if (const char* v = std::getenv("SPANLOG"); v && *v && !parse_switch("SPANLOG", v, true)) o.enabled = false;
  if (!o.enabled) {
    set_flags_everywhere(0);
    return;
  }
  correct_options(o);
  install_handlers_for(o);
  const std::string run_id = o.run_id.empty() ? generated_run_id() : o.run_id;
  c.ring_bytes.store(o.ring_bytes, std::memory_order_relaxed);
  c.ring_max_bytes.store(o.ring_max_bytes, std::memory_order_relaxed);
  c.block.store(o.overflow == OverflowPolicy::block, std::memory_order_relaxed);
  c.last_options = o;
  const std::uint32_t flags = run_flags(o);
  const std::uint64_t threshold = sample_threshold(o);
  std::vector<ThreadBuffer*> carried;
  carried.swap(c.parked);
  c.active = std::make_unique<Flusher>(
      std::move(o), run_id, Flusher::SharedQueues{&c.new_buffers, &c.free_buffers, &c.exited_not_retired},
      c.signal, std::move(carried));
  g_crash_target.store(c.active.get());
  const RunFiles files = open_run_files(c.last_options, run_id, *c.active);
  c.run_dir = files.run_dir;
  c.last_run_id = files.run_id;
  SPANLOG_CRASH_POINT("start.before_launch");
  c.active->launch();
  c.active->wait_for_clock_rate();
  set_flags_everywhere(flags, threshold, c.last_options.log_level);
  // On this thread, as the program's spans take its path; about 0.2 ms, once per start.
  c.active->take_overhead(measure_recorder_overhead());
}

inline void start_default_session() {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  if (!(g_flags.load(std::memory_order_acquire) & flag_never_started)) return;
  if (SessionControl* parent = g_parent_control) {
    g_parent_control = nullptr;
    Options o = parent->last_options;
    o.run_id = parent->last_run_id + "-fork-" + std::to_string(::getpid());
    start_locked(c, std::move(o));
    return;
  }
  start_locked(c, options_from_environment());
}

// The crash handler may use the flusher until its footer is written; once it is no longer the crash
// target, a crash handler already under way is waited for (it ends the process), never pulled from under.
inline void stop_locked(SessionControl& c, const char* stopped_by = nullptr) {
  set_flags_everywhere(0);
  if (!c.active) return;
  c.parked = c.active->stop(stopped_by);
  g_crash_target.store(nullptr);
  if (g_crashing.load()) {
    for (;;) {
      const timespec second{1, 0};
      ::nanosleep(&second, nullptr);
    }
  }
  c.active.reset();
}

inline void stop_at_exit() {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  stop_locked(c);
}

inline void stop_at_quick_exit() {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  stop_locked(c, "quick_exit");
}

// On the watcher's thread (termination_signals.hpp), never in the handler.
inline void stop_for_termination(const char* stopped_by) {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  stop_locked(c, stopped_by);
}

inline bool start_run(const Options* opts) {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  if (c.active) return false;
  start_locked(c, opts ? *opts : options_from_environment());
  return true;
}

inline void flush_run() {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  if (c.active) c.active->flush();
}

inline void stop_run() {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  stop_locked(c);
}

inline std::string current_run_directory() {
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  return c.run_dir;
}

// An image is being unloaded: what it recorded is written, and nothing keeps a pointer into it.
inline void forget_image(std::uintptr_t begin, std::uintptr_t end) {
  g_counter_sites.keep_sites_of(begin, end);
  g_stats_sites.keep_sites_of(begin, end);
  SessionControl& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  if (c.active) c.active->forget_image(begin, end);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
