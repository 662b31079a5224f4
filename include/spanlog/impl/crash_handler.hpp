// Writing what the rings hold when the program crashes: handlers for SIGSEGV, SIGABRT, SIGBUS, SIGFPE and
// SIGILL that dump the rings with async-signal-safe calls only, then hand the signal to the handler the
// program had before (or to the default action, which ends the process as it would have ended anyway).
#pragma once
#include <signal.h>

#include <atomic>
#include <cstring>

#include "../config.hpp"
#include "crash_dump.hpp"
#include "flusher.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

constexpr int crash_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
constexpr int crash_signal_count = sizeof crash_signals / sizeof crash_signals[0];

inline std::atomic<flusher*> g_crash_target{nullptr};  // the active run's flusher
inline struct sigaction g_previous_actions[crash_signal_count] = {};
inline std::atomic<bool> g_crash_handlers_installed{false};

inline void crash_signal_handler(int sig, siginfo_t* info, void* context) {
  int index = 0;
  while (index < crash_signal_count && crash_signals[index] != sig) ++index;
  if (g_crashing.exchange(1) == 0) {
    if (flusher* f = g_crash_target.load(std::memory_order_acquire)) f->crash_dump(sig);
  }
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
