// An uncaught exception (or a noexcept function that threw) ends the program through std::terminate: the
// crash record then names the exception's type and what() before the terminate handler the program had
// (by default, abort) takes over.
#pragma once
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "../config.hpp"
#include "crash_handler.hpp"
#include "exception_description.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline std::terminate_handler g_previous_terminate_handler = nullptr;
inline std::atomic<bool> g_terminate_handler_installed{false};

// "uncaught exception std::runtime_error: disk full", for the crash record.
inline void describe_termination(char* out, std::size_t size) {
  if (!std::current_exception()) {
    std::snprintf(out, size, "std::terminate called without an active exception");
    return;
  }
  describe_exception("uncaught exception ", nullptr, out, size);
}

[[noreturn]] inline void terminate_handler() {
  static char reason[1024];
  describe_termination(reason, sizeof reason);
  write_crash_once(SIGABRT, reason);
  if (g_previous_terminate_handler) g_previous_terminate_handler();
  std::abort();
}

inline void install_terminate_handler() {
  if (g_terminate_handler_installed.exchange(true)) return;
  const std::terminate_handler previous = std::set_terminate(terminate_handler);
  if (previous != terminate_handler) g_previous_terminate_handler = previous;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
