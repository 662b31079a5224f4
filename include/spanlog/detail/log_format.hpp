// A log message's format string, read at compile time: its holes (`{rows}`, `{ms:.1f}`, `{}`), in order, and
// their names, which become the record's attribute keys. The calling thread only copies the arguments; the
// flusher formats the message (impl/log_lines.hpp). Written without fmt, so the light header stays light.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../config.hpp"
#include "attr_check.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// `off` is for the run's settings only (record no line, print none): a line's level is never off.
enum class LogLevel : std::uint8_t { trace, debug, info, warn, error, off };

// A hole's name is copied into the site's static data, so its length is bounded. An enumerator, not a
// variable: a build with SPANLOG_ENABLED=0 must leave no spanlog symbol, and -O0 emits a used constant.
enum : std::size_t { max_hole_name = 31 };

struct HoleScan {
  std::size_t holes = 0;
  bool ok = true;  // every brace matched or doubled, every name an identifier of at most max_hole_name
};

constexpr bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

// Calls on_hole(index, name_begin, name_length) for each hole; false when the format is malformed.
template <class OnHole>
constexpr bool for_each_hole(const char* f, OnHole&& on_hole) {
  std::size_t index = 0;
  for (std::size_t i = 0; f[i] != '\0'; ++i) {
    if (f[i] == '}') {
      if (f[i + 1] != '}') return false;
      ++i;
      continue;
    }
    if (f[i] != '{') continue;
    if (f[i + 1] == '{') {
      ++i;
      continue;
    }
    const std::size_t name_begin = i + 1;
    std::size_t j = name_begin;
    if (is_name_start(f[j]))
      while (is_name_char(f[j])) ++j;
    const std::size_t name_length = j - name_begin;
    if (name_length > max_hole_name) return false;
    if (f[j] == ':')
      while (f[j] != '\0' && f[j] != '}' && f[j] != '{') ++j;
    if (f[j] != '}') return false;
    on_hole(index++, name_begin, name_length);
    i = j;
  }
  return true;
}

constexpr HoleScan scan_holes(const char* f) {
  HoleScan scan;
  scan.ok = for_each_hole(f, [&scan](std::size_t, std::size_t, std::size_t) { ++scan.holes; });
  return scan;
}

// The holes' names as NUL-terminated keys; a hole without a name is called by its position ("0", "1"...).
template <std::size_t Holes>
struct HoleNames {
  char names[Holes == 0 ? 1 : Holes][max_hole_name + 1] = {};

  constexpr explicit HoleNames(const char* f) {
    for_each_hole(f, [this, f](std::size_t index, std::size_t begin, std::size_t length) {
      if (length == 0) return positional_name(names[index], index);
      for (std::size_t k = 0; k < length; ++k) names[index][k] = f[begin + k];
    });
  }

 private:
  static constexpr void positional_name(char* out, std::size_t index) {
    char digits[20] = {};
    std::size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + index % 10);
      index /= 10;
    } while (index);
    for (std::size_t k = 0; k < n; ++k) out[k] = digits[n - 1 - k];
  }
};

#define SPANLOG_LOG_FORMAT_MESSAGE_                                                                  \
  "spanlog log formats are string literals whose holes are {name}, {name:spec} or {}, with { and } " \
  "written {{ and }} elsewhere, and names of at most 31 characters"
#define SPANLOG_LOG_HOLES_MESSAGE_ "spanlog log messages take one argument per hole in the format"

// What every form of a log macro checks, enabled or not: one argument per hole, each an attribute value.
template <std::size_t Holes, std::size_t N, class... A>
constexpr auto check_log(const char (&)[N], const A&...) {
  static_assert(Holes == sizeof...(A), SPANLOG_LOG_HOLES_MESSAGE_);
  static_assert((is_attr_value<A> && ...), SPANLOG_ATTR_VALUES_MESSAGE_);
  static_assert(sizeof...(A) <= SPANLOG_MAX_ATTRS, "too many log arguments (SPANLOG_MAX_ATTRS)");
  return char{};
}

}  // namespace detail
SPANLOG_END_NAMESPACE

// The public name of a level: spanlog::LogLevel::warn.
SPANLOG_BEGIN_API_NAMESPACE
using LogLevel = ::spanlog::detail::LogLevel;
SPANLOG_END_NAMESPACE
