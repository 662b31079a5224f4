// Writing what the rings hold when the program crashes: handlers for SIGSEGV, SIGABRT, SIGBUS, SIGFPE and
// SIGILL that dump the rings with async-signal-safe calls only, then hand the signal to the handler the
// program had before (or to the default action, which ends the process as it would have ended anyway).
#pragma once
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "../config.hpp"
#include "crash_dump.hpp"
#include "flusher.hpp"
#include "runtime_constants.hpp"
#include "signal_safe_writer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

constexpr int crash_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
constexpr int crash_signal_count = sizeof crash_signals / sizeof crash_signals[0];

inline std::atomic<Flusher*> g_crash_target{nullptr};  // the active run's flusher
inline struct sigaction g_previous_actions[crash_signal_count] = {};
inline std::atomic<bool> g_crash_handlers_installed{false};
inline std::atomic<std::uint64_t> g_crash_writer_tid{0};  // the thread writing the crash, while it does
inline std::atomic<bool> g_crash_written{false};

inline std::uint64_t current_tid() {
  return static_cast<std::uint64_t>(::syscall(SYS_gettid));
}

// Ends the process with `sig` and its default action, now: what was written stays as it is.
[[noreturn]] inline void die_of(int sig) {
  struct sigaction default_action;
  std::memset(&default_action, 0, sizeof default_action);
  default_action.sa_handler = SIG_DFL;
  ::sigaction(sig, &default_action, nullptr);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);  // a signal whose default action does not end the process
}

// The first crash of the process writes the run; returns whether this call was it. A crash inside that
// writing (a second fault) ends the process with the first signal; a crash on another thread meanwhile
// waits for the first to end the process.
inline bool write_crash_once(int sig, const char* reason) {
  const std::uint64_t tid = current_tid();
  int none = 0;
  if (!g_crashing.compare_exchange_strong(none, sig)) {
    const bool this_thread_writes = g_crash_writer_tid.load(std::memory_order_acquire) == tid;
    if (this_thread_writes) {
      if (g_crash_written.load(std::memory_order_acquire)) return false;  // what follows the writing: chain
      // A fault inside the writing: keep its whole lines, and die of the first signal.
      if (SignalSafeWriter* w = g_crash_writer.load(std::memory_order_acquire)) w->write_complete_lines();
      die_of(none);
    }
    // Another thread writes the crash and then ends the process with its signal: give it the time to.
    for (int i = 0; i < crash_wait_for_first_handler_ms; ++i) {
      const timespec ms{0, 1000000};
      ::nanosleep(&ms, nullptr);
    }
    return false;
  }
  g_crash_writer_tid.store(tid, std::memory_order_release);
  if (Flusher* f = g_crash_target.load()) f->crash_dump(sig, reason);
  g_crash_written.store(true, std::memory_order_release);
  return true;
}

inline void crash_signal_handler(int sig, siginfo_t* info, void* context) {
  int index = 0;
  while (index < crash_signal_count && crash_signals[index] != sig) ++index;
  write_crash_once(sig, signal_name(sig));
  if (index == crash_signal_count) return;
  // Chain: the previous action takes this signal and any later one.
  const struct sigaction& previous = g_previous_actions[index];
  ::sigaction(sig, &previous, nullptr);
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
    previous.sa_sigaction(sig, info, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
  } else if (previous.sa_handler == SIG_DFL) {
    // Blocked while this handler runs: delivered, with the default action, when it returns.
    ::raise(sig);
  }
}

inline void install_crash_handlers() {
  if (g_crash_handlers_installed.exchange(true)) return;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = crash_signal_handler;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < crash_signal_count; ++i) ::sigaction(crash_signals[i], &action, &g_previous_actions[i]);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
