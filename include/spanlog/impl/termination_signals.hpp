// SIGTERM and SIGINT (a supervisor's stop, Ctrl-C), when the program left them at their default action: the
// run is written whole, footer and run_summary.json included, then the signal's default action ends the
// process exactly as it would have. A handler cannot do that work (it takes locks and formats), so it only
// wakes a thread that waits for it. A program with its own handler keeps it, whether it was installed before
// or after the run started; the recipe for those is in docs/reliability.md.
#pragma once
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "../config.hpp"
#include "crash_handler.hpp"
#include "signal_safe_writer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

constexpr int termination_signals[] = {SIGTERM, SIGINT};

inline std::atomic<int> g_termination_signal{0};  // the first one that came
inline sem_t g_termination_wake;
inline std::atomic<pid_t> g_termination_watcher_pid{
    0};  // the process whose watcher waits (not a forked child)
inline std::atomic<bool> g_termination_handlers_installed{false};
inline void (*g_stop_for_termination)(const char* stopped_by) = nullptr;
inline std::atomic<bool> g_termination_handling_on{false};  // the run in force asked for it

inline void termination_signal_handler(int sig) {
  if (g_crashing.load(std::memory_order_acquire)) return;  // a crash handler is ending the process
  int none = 0;
  const bool first = g_termination_signal.compare_exchange_strong(none, sig);
  // A second Ctrl-C ends the process at once, as does a signal in a forked child that has no watcher, or
  // one that comes while the run in force does not ask for this.
  if (!first || !g_termination_handling_on.load(std::memory_order_acquire) ||
      g_termination_watcher_pid.load(std::memory_order_acquire) != ::getpid())
    die_of(sig);
  ::sem_post(&g_termination_wake);
}

inline void watch_for_termination() {
  while (::sem_wait(&g_termination_wake) != 0 && errno == EINTR) {
  }
  const int sig = g_termination_signal.load(std::memory_order_acquire);
  if (g_stop_for_termination) g_stop_for_termination(signal_name(sig));
  die_of(sig);
}

// The thread that writes the run when a termination signal comes; one per process (a forked child that
// records starts its own).
inline void ensure_termination_watcher() {
  if (g_termination_watcher_pid.load(std::memory_order_acquire) == ::getpid()) return;
  ::sem_init(&g_termination_wake, 0, 0);
  g_termination_watcher_pid.store(::getpid(), std::memory_order_release);
  sigset_t all, before;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &before);
  std::thread watcher(watch_for_termination);
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  ::pthread_setname_np(watcher.native_handle(), "spanlog-signals");
  watcher.detach();
}

// Takes only the signals still at their default action.
inline void install_termination_handlers(void (*stop_for_termination)(const char*)) {
  g_stop_for_termination = stop_for_termination;
  if (!g_termination_handlers_installed.exchange(true)) {
    for (int sig : termination_signals) {
      struct sigaction current;
      if (::sigaction(sig, nullptr, &current) != 0) continue;
      if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) continue;
      struct sigaction action;
      std::memset(&action, 0, sizeof action);
      action.sa_handler = termination_signal_handler;
      action.sa_flags = SA_RESTART;  // the program's system calls go on as if nothing came
      sigemptyset(&action.sa_mask);
      ::sigaction(sig, &action, nullptr);
    }
  }
  ensure_termination_watcher();
}

}  // namespace detail
SPANLOG_END_NAMESPACE
