// A run's lifecycle: start, flush, stop, the default session that the first record starts, and the slow
// paths of the recorder (a thread's first record, a ring past its high-water mark).
#pragma once
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <concurrentqueue/concurrentqueue.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "crash.hpp"
#include "detail/recorder.hpp"
#include "detail/ring_wait.hpp"
#include "flusher.hpp"
#include "options.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// Outlives every run (never destroyed, so threads recording during static destruction find it).
struct session_control {
  std::mutex lifecycle;
  std::unique_ptr<flusher> active;
  std::string run_dir;  // of the active run, or the last one
  wake_signal signal;
  moodycamel::ConcurrentQueue<thread_buffer*> new_buffers;
  moodycamel::ConcurrentQueue<thread_buffer*> free_buffers;
  std::vector<thread_buffer*> parked;  // buffers of live threads while no run is active
  std::atomic<std::uint64_t> next_slot{1};
  std::atomic<std::int64_t> exited_not_retired{0};  // rings of exited threads the flusher has yet to free
  std::atomic<std::size_t> ring_bytes{std::size_t{1} << 20};
  std::atomic<bool> block{false};
  options last_options;  // of the active or last run, for a forked child's run
  std::string last_run_id;
};

// Never destroyed. A forked child leaves its parent's behind (its locks may be held by threads that do not
// exist in the child) and makes a fresh one.
inline std::atomic<session_control*> g_control{nullptr};
inline session_control* g_parent_control = nullptr;  // in a forked child that records a run of its own
inline std::atomic<bool> g_process_hooks_installed{false};
// Every ring ever made, never freed: a thread may still record into its ring while the process exits, so
// rings live as long as the process; the list keeps them reachable, which leak checkers rightly count as not
// lost.
inline std::atomic<thread_buffer*> g_rings_made{nullptr};

inline session_control& control() {
  session_control* c = g_control.load(std::memory_order_acquire);
  if (!c) {
    auto* fresh = new session_control();
    if (g_control.compare_exchange_strong(c, fresh, std::memory_order_acq_rel)) {
      c = fresh;
    } else {
      delete fresh;
    }
  }
  return *c;
}

inline void wake_flusher();

// Marks the thread's ring as abandoned when the thread exits, and wakes the flusher to drain it and hand it
// to the next new thread, so rings do not pile up while threads come and go.
struct thread_exit_guard {
  thread_buffer* buffer = nullptr;
  ~thread_exit_guard() {
    tl_thread_exiting = true;
    tl_buffer = nullptr;
    if (!buffer) return;
    control().exited_not_retired.fetch_add(1, std::memory_order_relaxed);
    buffer->exited.store(true, std::memory_order_release);
    if (g_flags.load(std::memory_order_relaxed) & flag_running) wake_flusher();
  }
};
inline thread_local thread_exit_guard tl_exit_guard;
inline thread_local thread_exit_guard tl_late_exit_guard;

inline void wake_flusher() {
  wake_signal& s = control().signal;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.pending = true;
  }
  s.cv.notify_all();
}

// A ring freed by a thread that has exited, if one is free or soon will be: while threads come and go faster
// than the flusher frees their rings, a new thread waits for one (50 ms at most) rather than allocating.
inline thread_buffer* reusable_ring(session_control& c) {
  thread_buffer* b = nullptr;
  if (c.free_buffers.try_dequeue(b)) return b;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  bool woken = false;
  while ((g_flags.load(std::memory_order_relaxed) & flag_running) &&
         c.exited_not_retired.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    if (!woken) wake_flusher(), woken = true;
    std::this_thread::yield();
    if (c.free_buffers.try_dequeue(b)) return b;
  }
  return nullptr;
}

inline thread_buffer* attach_current_thread(bool late) {
  session_control& c = control();
  const std::size_t bytes = c.ring_bytes.load(std::memory_order_relaxed);
  thread_buffer* b = reusable_ring(c);
  if (b) {
    b->exited.store(false, std::memory_order_relaxed);
    b->current_span = 0;
    b->tail_cache = b->consumed.load(std::memory_order_acquire);
    b->woken_at_tail = ~std::uint64_t{0};
    for (auto* counter : {&b->dropped_spans, &b->dropped_events, &b->dropped_metrics, &b->dropped_attrs,
                          &b->dropped_async_ends, &b->sampled_out})
      counter->store(0, std::memory_order_relaxed);
    if (b->capacity != bytes) {  // the run in force asks for another size; the ring is empty
      ::operator delete(b->data, std::align_val_t(cache_line));
      b->data = static_cast<std::byte*>(::operator new(bytes, std::align_val_t(cache_line)));
      b->capacity = bytes;
      b->mask = bytes - 1;
    }
  } else {
    b = new thread_buffer();
    b->next_made = g_rings_made.load(std::memory_order_relaxed);
    while (!g_rings_made.compare_exchange_weak(b->next_made, b, std::memory_order_release,
                                               std::memory_order_relaxed)) {
    }
    b->data = static_cast<std::byte*>(::operator new(bytes, std::align_val_t(cache_line)));
    b->capacity = bytes;
    b->mask = bytes - 1;
    b->slot = c.next_slot.fetch_add(1, std::memory_order_relaxed);
    b->id_base = b->slot << 40;
  }
  b->high_water = b->capacity / 2;
  b->limit = static_cast<std::int64_t>(b->tail_cache + b->high_water);  // nothing promised yet
  b->tid = static_cast<std::uint64_t>(::syscall(SYS_gettid));
  b->sample_state ^= (b->tid << 17) ^ b->slot;
  b->initial_name[0] = 0;
  ::pthread_getname_np(::pthread_self(), b->initial_name, sizeof b->initial_name);
  tl_buffer = b;
  (late ? tl_late_exit_guard : tl_exit_guard).buffer = b;
  c.new_buffers.enqueue(b);
  return b;
}

inline bool make_room(thread_buffer& b, std::uint64_t need) {
  b.set_tail(b.consumed.load(std::memory_order_acquire));
  if (b.below_high_water(need)) return true;
  // Once per drain the flusher has made: a wake costs a system call.
  if (b.tail_cache != b.woken_at_tail) {
    b.woken_at_tail = b.tail_cache;
    wake_flusher();
  }
  auto fits = [&] { return b.head + need + b.reserved() - b.tail_cache <= b.capacity; };
  if (fits()) return true;
  if (!control().block.load(std::memory_order_relaxed)) return false;
  // The block policy: wait for the flusher, but never for a run that has stopped.
  while (g_flags.load(std::memory_order_relaxed) & flag_running) {
    wait_for_hand_back(b, b.tail_cache);
    b.set_tail(b.consumed.load(std::memory_order_acquire));
    if (fits()) return true;
  }
  return false;
}

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

// In the child of fork(): no flusher thread exists here and the parent's file is not ours.
inline void after_fork_in_child() {
  g_crash_target.store(nullptr, std::memory_order_relaxed);
  session_control* parent = g_control.load(std::memory_order_relaxed);
  g_control.store(nullptr, std::memory_order_relaxed);
  tl_buffer = nullptr;
  tl_exit_guard.buffer = nullptr;
  const bool own_run = parent && parent->active && parent->last_options.fork == fork_policy::new_run;
  g_parent_control = own_run ? parent : nullptr;
  g_flags.store(own_run ? flag_never_started : 0u, std::memory_order_release);
}

inline void start_locked(session_control& c, options o) {
  if (const char* v = std::getenv("SPANLOG"); v && *v && !parse_switch("SPANLOG", v, true)) o.enabled = false;
  if (!o.enabled) {
    g_flags.store(0, std::memory_order_release);
    return;
  }
  if (!valid_ring_bytes(o.ring_bytes)) {
    config_warning("options::ring_bytes", std::to_string(o.ring_bytes).c_str(),
                   "is not a power of two from 4K to 1G", "1048576");
    o.ring_bytes = std::size_t{1} << 20;
  }
  if (!(o.sample >= 0.0 && o.sample <= 1.0)) o.sample = 1.0;
  if (o.flush_interval.count() < 1) o.flush_interval = std::chrono::milliseconds(100);
  if (o.dir.empty()) o.dir = ".";

  std::string run_id = o.run_id.empty() ? generated_run_id() : o.run_id;
  std::string run_dir;
  int fd = -1;
  int otlp_fd = -1;
  if (!make_directories(o.dir)) {
    std::fprintf(stderr, "spanlog: cannot create directory %s: %s; recording without writing\n",
                 o.dir.c_str(), std::strerror(errno));
  } else {
    // A run directory of its own, even when a run id repeats (several runs a second, or a fixed id).
    const std::string base = run_id;
    for (int n = 2; n < 1000; ++n) {
      run_dir = o.dir + "/" + run_id;
      if (::mkdir(run_dir.c_str(), 0755) == 0) break;
      if (errno != EEXIST) break;
      run_id = base + "-" + std::to_string(n);
    }
    const std::string file = run_dir + "/telemetry.jsonl";
    fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0 && o.otlp) {
      const std::string otlp_file = run_dir + "/traces.otlp.jsonl";
      otlp_fd = ::open(otlp_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
      if (otlp_fd < 0)
        std::fprintf(stderr, "spanlog: cannot open %s: %s\n", otlp_file.c_str(), std::strerror(errno));
    }
    if (fd < 0) {
      std::fprintf(stderr, "spanlog: cannot open %s: %s; recording without writing\n", file.c_str(),
                   std::strerror(errno));
    } else {
      const std::string link_tmp = o.dir + "/.latest." + std::to_string(::getpid());
      ::unlink(link_tmp.c_str());
      if (::symlink(run_id.c_str(), link_tmp.c_str()) == 0) {
        if (::rename(link_tmp.c_str(), (o.dir + "/latest").c_str()) != 0) ::unlink(link_tmp.c_str());
      }
    }
  }
  c.run_dir = run_dir;
  c.ring_bytes.store(o.ring_bytes, std::memory_order_relaxed);
  c.block.store(o.overflow == overflow_policy::block, std::memory_order_relaxed);
  const bool sampling = o.sample < 1.0;
  g_sample_threshold.store(
      sampling ? static_cast<std::uint64_t>(o.sample * 18446744073709551615.0) : ~std::uint64_t{0},
      std::memory_order_relaxed);
  std::uint32_t flags = flag_running;
  if (o.spans) flags |= flag_spans;
  if (o.events) flags |= flag_events;
  if (o.metrics) flags |= flag_metrics;
  if (sampling) flags |= flag_sampling;

  c.last_options = o;
  c.last_run_id = run_id;
  std::vector<thread_buffer*> carried;
  carried.swap(c.parked);
  c.active = std::make_unique<flusher>(
      std::move(o), run_dir, run_id, fd, otlp_fd,
      flusher::shared_queues{&c.new_buffers, &c.free_buffers, &c.exited_not_retired}, c.signal,
      std::move(carried));
  c.active->launch();
  if (!g_process_hooks_installed.exchange(true)) {
    std::atexit(stop_at_exit);
    ::pthread_atfork(nullptr, nullptr, after_fork_in_child);
  }
  if (c.last_options.crash_handler) install_crash_handlers();
  g_crash_target.store(c.active.get(), std::memory_order_release);
  g_flags.store(flags, std::memory_order_release);
}

inline void start_default_session() {
  session_control& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  if (!(g_flags.load(std::memory_order_acquire) & flag_never_started)) return;
  if (session_control* parent = g_parent_control) {
    g_parent_control = nullptr;
    options o = parent->last_options;
    o.run_id = parent->last_run_id + "-fork-" + std::to_string(::getpid());
    start_locked(c, std::move(o));
    return;
  }
  start_locked(c, options::from_env());
}

inline void stop_locked(session_control& c) {
  g_flags.store(0, std::memory_order_release);
  if (!c.active) return;
  g_crash_target.store(nullptr, std::memory_order_release);
  c.parked = c.active->stop();
  c.active.reset();
}

inline void stop_at_exit() {
  session_control& c = control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  stop_locked(c);
}

}  // namespace detail

// Starts a run with these options (SPANLOG=off in the environment still wins). Returns false when a run is
// already active: stop it first.
inline bool start(const options& opts = options::from_env()) {
  detail::session_control& c = detail::control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  if (c.active) return false;
  detail::start_locked(c, opts);
  return true;
}

// Returns once every record published before the call is in the file.
inline void flush() {
  detail::session_control& c = detail::control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  if (c.active) c.active->flush();
}

// Drains everything, writes the footer and run_summary.json. Idempotent; a later start() begins a new run,
// and until then nothing is recorded.
inline void stop() {
  detail::session_control& c = detail::control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  detail::stop_locked(c);
}

// The active run's directory, or the last run's; empty before the first run or when it could not be made.
inline std::string run_directory() {
  detail::session_control& c = detail::control();
  std::lock_guard<std::mutex> lock(c.lifecycle);
  return c.run_dir;
}

inline bool running() {
  return (detail::g_flags.load(std::memory_order_relaxed) & detail::flag_running) != 0;
}

SPANLOG_END_NAMESPACE
