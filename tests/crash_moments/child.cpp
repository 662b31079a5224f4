// The program tests/crash_moments.cpp runs again and again: it records, then dies in the way its first
// argument names, while SPANLOG_TEST_CRASH_AT or SPANLOG_TEST_HOLD_AT (crash_points.hpp) puts the run at
// the moment under test. The run goes where SPANLOG_DIR and SPANLOG_RUN_ID say.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#define SPANLOG_IMPLEMENTATION
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

namespace {

volatile int* volatile nowhere = nullptr;

// A real fault (UBSan would stop the program at the store instead).
[[noreturn]] __attribute__((no_sanitize("undefined"))) void crash() {
  *nowhere = 1;
  std::abort();  // should the store not fault
}

template <std::size_t N>
void record_spans(const char (&name)[N], int n) {
  for (int i = 0; i < n; ++i) {
    spanlog::ScopedSpan span(name);
  }
}

// The hold point is reached by another thread (the flusher): wait for it, within reason.
void wait_for_hold() {
  for (int i = 0; i < 10000 && !spanlog::detail::crash_point_holding(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!spanlog::detail::crash_point_holding()) {
    std::fprintf(stderr, "the hold point was never reached\n");
    std::_Exit(3);
  }
}

[[noreturn]] void sleep_until_killed() {
  for (int i = 0; i < 100; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::fprintf(stderr, "still alive after 10 s\n");
  std::_Exit(4);
}

spanlog::Options run_named(const char* suffix) {
  spanlog::Options o = spanlog::Options::from_env();
  o.run_id += suffix;
  return o;
}

// The issue's own program: records, then dies of SIGSEGV inside an open span, within the first flush
// interval.
void record_then_crash() {
  record_spans("before.crash", 5000);
  SPANLOG_SPAN("crashing");
  crash();
}

void hold_then_crash() {
  record_spans("before.crash", 5000);
  wait_for_hold();
  record_spans("before.crash", 100);
  SPANLOG_SPAN("crashing");
  crash();
}

void two_drains_then_crash() {
  record_spans("before.crash", 5000);
  spanlog::flush();
  record_spans("before.crash", 5000);
  wait_for_hold();
  record_spans("before.crash", 100);
  SPANLOG_SPAN("crashing");
  crash();
}

// The flusher crashes (at a crash point) while the program waits for a flush.
void flush_then_wait() {
  record_spans("before.crash", 5000);
  SPANLOG_SPAN("crashing");
  spanlog::flush();
  sleep_until_killed();
}

void crash_between_runs() {
  spanlog::start(run_named("-first"));
  record_spans("before.crash", 1000);
  spanlog::stop();
  record_spans("between.runs", 10);
  crash();
}

// The flusher holds still in stop(); another thread crashes meanwhile.
void crash_during_stop() {
  record_spans("before.crash", 5000);
  std::thread crasher([] {
    wait_for_hold();
    crash();
  });
  spanlog::stop();
  crasher.join();
  sleep_until_killed();
}

// The flusher itself crashes in stop(), with a span still open.
void crash_in_stop() {
  record_spans("before.crash", 5000);
  SPANLOG_SPAN("crashing");
  spanlog::stop();
  sleep_until_killed();
}

// A new thread crashes while it registers its ring.
void crash_registering_a_thread() {
  record_spans("before.crash", 5000);
  SPANLOG_SPAN("crashing");
  std::thread newcomer([] { SPANLOG_SPAN("never.recorded"); });
  newcomer.join();
  sleep_until_killed();
}

void throw_uncaught() {
  record_spans("before.throw", 100);
  SPANLOG_SPAN("throwing");
  throw std::runtime_error("disk full");
}

// abort() inside a span, and a second fault within the crash handler (a crash point there).
void abort_inside_span() {
  record_spans("before.crash", 5000);
  SPANLOG_SPAN("crashing");
  std::abort();
}

// Two threads crash at once, with different signals.
void two_threads_crash() {
  record_spans("before.crash", 5000);
  SPANLOG_SPAN("crashing");
  std::thread other([] {
    SPANLOG_SPAN("other.crashing");
    ::raise(SIGFPE);
  });
  crash();
}

// SIGTERM or SIGINT from another thread (a supervisor's stop, Ctrl-C) after a known number of spans, while
// a worker goes on recording.
void terminated_by(int sig) {
  static std::atomic<bool> worker_recorded{false};
  std::thread worker([] {
    for (;;) {
      record_spans("worker.busy", 100);
      worker_recorded = true;
    }
  });
  record_spans("before.signal", 5000);
  while (!worker_recorded) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ::kill(::getpid(), sig);
  sleep_until_killed();
}

volatile sig_atomic_t own_handler_ran = 0;
void own_handler(int) {
  own_handler_ran = 1;
}

// A program with its own handler: it keeps it, stops spanlog itself and returns from main.
void own_handler_then_stop(bool installed_before_start) {
  if (installed_before_start) ::signal(SIGTERM, own_handler);
  spanlog::start();
  if (!installed_before_start) ::signal(SIGTERM, own_handler);
  record_spans("before.signal", 5000);
  ::kill(::getpid(), SIGTERM);
  while (!own_handler_ran) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spanlog::stop();
  std::exit(7);
}

void quick_exit_after_spans() {
  record_spans("before.exit", 5000);
  std::quick_exit(5);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string how = argv[1];
  if (how == "record_then_crash") record_then_crash();
  if (how == "hold_then_crash") hold_then_crash();
  if (how == "two_drains_then_crash") two_drains_then_crash();
  if (how == "flush_then_wait") flush_then_wait();
  if (how == "crash_between_runs") crash_between_runs();
  if (how == "crash_during_stop") crash_during_stop();
  if (how == "crash_in_stop") crash_in_stop();
  if (how == "crash_registering_a_thread") crash_registering_a_thread();
  if (how == "throw_uncaught") throw_uncaught();
  if (how == "abort_inside_span") abort_inside_span();
  if (how == "two_threads_crash") two_threads_crash();
  if (how == "sigterm") terminated_by(SIGTERM);
  if (how == "sigint") terminated_by(SIGINT);
  if (how == "own_handler_before") own_handler_then_stop(true);
  if (how == "own_handler_after") own_handler_then_stop(false);
  if (how == "quick_exit") quick_exit_after_spans();
  std::fprintf(stderr, "unknown way to die: %s\n", how.c_str());
  return 2;
}
