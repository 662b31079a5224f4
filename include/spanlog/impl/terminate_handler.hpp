// An uncaught exception (or a noexcept function that threw) ends the program through std::terminate: the
// crash record then names the exception's type and what() before the terminate handler the program had
// (by default, abort) takes over.
#pragma once
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define SPANLOG_HAS_CXXABI 1
#else
#define SPANLOG_HAS_CXXABI 0
#endif

#include "../config.hpp"
#include "crash_handler.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline std::terminate_handler g_previous_terminate_handler = nullptr;
inline std::atomic<bool> g_terminate_handler_installed{false};

// The readable name of the exception being handled, or "" when the runtime cannot say.
inline void current_exception_type(char* out, std::size_t size) {
  out[0] = 0;
#if SPANLOG_HAS_CXXABI
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (!type) return;
  int status = 0;
  char* readable = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::snprintf(out, size, "%s", status == 0 && readable ? readable : type->name());
  std::free(readable);
#else
  (void)size;
#endif
}

// "uncaught exception std::runtime_error: disk full", for the crash record.
inline void describe_termination(char* out, std::size_t size) {
  const std::exception_ptr current = std::current_exception();
  if (!current) {
    std::snprintf(out, size, "std::terminate called without an active exception");
    return;
  }
  char type[256];
  current_exception_type(type, sizeof type);
  const char* what = nullptr;
#if defined(__cpp_exceptions)
  try {
    std::rethrow_exception(current);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
#endif
  std::snprintf(out, size, "uncaught exception %s%s%s", type[0] ? type : "of unknown type", what ? ": " : "",
                what ? what : "");
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
