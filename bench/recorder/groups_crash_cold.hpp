// The groups that need a fresh process per sample: "crash" (the time from a SIGSEGV to death, with the crash
// handler writing an undrained ring) and "cold" (spans on a thread's first pass through a new ring).
#pragma once
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "machine.hpp"
#include "reporter.hpp"
#include "settings.hpp"
#include "timed_loops.hpp"

namespace recorder_bench {

// ---------------------------------------------------------------------------------------------------------
// Group "crash": the time from a SIGSEGV to the process's death, with 1 MiB of records in the ring (a 2 MiB
// ring, below its high-water mark, a 60 s flush interval: nothing drained), against the same death with the
// crash handler off, and against the time the flusher takes to write the same records in a flush().
// ---------------------------------------------------------------------------------------------------------

inline constexpr std::size_t crash_spans = (std::size_t{1} << 20) / span_ring_bytes;  // 1 MiB of records

enum class CrashCase { full_ring_handler, full_ring_no_handler, flush_instead };

// In a child: records, then writes its clock to `fd` and dies of SIGSEGV at once (or, for flush_instead,
// writes how long flush() took).
[[noreturn]] inline void crash_child(const Config& cfg, CrashCase how, int fd) {
  spanlog::Options o = run_options(cfg, "crash", std::size_t{2} << 20);
  o.overflow = spanlog::OverflowPolicy::drop;
  o.flush_interval = std::chrono::milliseconds(60000);
  o.crash_handler = how != CrashCase::full_ring_no_handler;
  spanlog::start(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the flusher calibrates and waits
  loop_span(crash_spans);
  std::int64_t t = now_ns();
  if (how == CrashCase::flush_instead) {
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
inline double crash_sample(const Config& cfg, CrashCase how) {
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
  return static_cast<double>(how == CrashCase::flush_instead ? t : dead - t);
}

inline void group_crash(const Config& cfg, Reporter& out) {
  std::vector<double> with_handler, without_handler, flush_time;
  for (int r = 0; r < cfg.reps; ++r) {  // alternated, so that a noisy moment falls on all three alike
    with_handler.push_back(crash_sample(cfg, CrashCase::full_ring_handler));
    without_handler.push_back(crash_sample(cfg, CrashCase::full_ring_no_handler));
    flush_time.push_back(crash_sample(cfg, CrashCase::flush_instead));
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

inline constexpr std::size_t cold_ring_bytes = std::size_t{1} << 20;
inline constexpr std::size_t cold_pass_spans =
    cold_ring_bytes / 2 / span_ring_bytes - 64;  // below the high water

struct ColdSample {
  double first_record_ns = 0;  // the thread's first span: its ring is made then
  double cold_ns = 0;          // per span, the first pass through the ring's first half
  double warm_ns = 0;          // per span, the same half a second time
};

[[noreturn]] inline void cold_child(const Config& cfg, int fd) {
  spanlog::Options o = run_options(cfg, "cold", cold_ring_bytes);
  o.flush_interval = std::chrono::milliseconds(60000);
  spanlog::start(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the flusher calibrates and waits
  ColdSample sample;
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

inline ColdSample cold_ring_sample(const Config& cfg) {
  ColdSample sample;
  int fds[2];
  if (::pipe(fds) != 0) return sample;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    cold_child(cfg, fds[1]);
  }
  ::close(fds[1]);
  if (::read(fds[0], &sample, sizeof sample) != sizeof sample) sample = ColdSample{};
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  return sample;
}

inline void group_cold(const Config& cfg, Reporter& out) {
  std::vector<double> first, cold, warm;
  for (int r = 0; r < cfg.reps; ++r) {
    const ColdSample s = cold_ring_sample(cfg);
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

}  // namespace recorder_bench
