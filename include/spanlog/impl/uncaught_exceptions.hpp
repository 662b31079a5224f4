// Where the C++ runtime keeps a thread's count of exceptions in flight, so that a scoped span can read it
// with one load at its begin and one at its end (std::uncaught_exceptions() is a call into the runtime, and
// from a shared library a TLS lookup: several times the cost of the span's own record). The Itanium C++ ABI
// (§2.2.2, followed by libstdc++ and libc++abi) lays out the per-thread __cxa_eh_globals as {caught
// exceptions, uncaught count}. The layout is checked once against std::uncaught_exceptions() while an
// exception is unwinding; if it does not match, spans read a constant zero and are not marked.
#pragma once
#include <exception>

#include "../config.hpp"
#include "../detail/thread_buffer.hpp"

// Without exceptions (-fno-exceptions) nothing can unwind a span.
#if (defined(__cpp_exceptions) || defined(__EXCEPTIONS)) && \
    (defined(__GLIBCXX__) || defined(_LIBCPPABI_VERSION) || defined(__GLIBCPP__))
#include <cxxabi.h>
#define SPANLOG_ITANIUM_EH_GLOBALS 1
#else
#define SPANLOG_ITANIUM_EH_GLOBALS 0
#endif

SPANLOG_BEGIN_NAMESPACE
namespace detail {

#if SPANLOG_ITANIUM_EH_GLOBALS
struct ItaniumEhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

inline const unsigned int* runtime_uncaught_count() {
  return &reinterpret_cast<const ItaniumEhGlobals*>(abi::__cxa_get_globals())->uncaught_exceptions;
}

// Compares the count with the runtime's answer while an exception of our own is in flight.
struct UncaughtCountProbe {
  const unsigned int* count;
  bool& agrees;
  ~UncaughtCountProbe() {
    agrees = *count == static_cast<unsigned int>(std::uncaught_exceptions()) && *count >= 1;
  }
};

inline bool uncaught_count_layout_agrees() {
  static const bool agrees = [] {
    bool result = false;
    try {
      UncaughtCountProbe probe{runtime_uncaught_count(), result};
      throw 0;
    } catch (int) {
    }
    return result && *runtime_uncaught_count() == static_cast<unsigned int>(std::uncaught_exceptions());
  }();
  return agrees;
}
#endif

// The calling thread's count of exceptions in flight, for ThreadBuffer::uncaught_exceptions.
inline const unsigned int* uncaught_exceptions_of_this_thread() {
#if SPANLOG_ITANIUM_EH_GLOBALS
  if (uncaught_count_layout_agrees()) return runtime_uncaught_count();
#endif
  return &ThreadBuffer::no_uncaught_exceptions;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
