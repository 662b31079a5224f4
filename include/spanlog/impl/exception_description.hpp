// An exception in words, "std::runtime_error: disk full" (the type demangled, then what()): for the crash
// record of an uncaught exception and for spanlog::record_exception on a span.
#pragma once
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

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline void readable_type_name(const std::type_info* type, char* out, std::size_t size) {
  out[0] = 0;
  if (!type) return;
#if SPANLOG_HAS_CXXABI
  int status = 0;
  char* readable = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::snprintf(out, size, "%s", status == 0 && readable ? readable : type->name());
  std::free(readable);
#else
  std::snprintf(out, size, "%s", type->name());
#endif
}

// `prefix` then `e`, or, when e is nullptr, the exception being handled (of any type).
inline void describe_exception(const char* prefix, const std::exception* e, char* out, std::size_t size) {
  char type[256];
  const char* what = nullptr;
  if (e) {
    readable_type_name(&typeid(*e), type, sizeof type);
    what = e->what();
  } else {
#if SPANLOG_HAS_CXXABI
    readable_type_name(abi::__cxa_current_exception_type(), type, sizeof type);
#else
    type[0] = 0;
#endif
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    if (const std::exception_ptr current = std::current_exception()) {
      try {
        std::rethrow_exception(current);
      } catch (const std::exception& caught) {
        what = caught.what();
      } catch (...) {
      }
    }
#endif
  }
  std::snprintf(out, size, "%s%s%s%s", prefix, type[0] ? type : "of unknown type", what ? ": " : "",
                what ? what : "");
}

}  // namespace detail
SPANLOG_END_NAMESPACE
