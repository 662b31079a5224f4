// Test support: a file's text with the first match of a pattern replaced, for the deliberately broken copies
// an outside checker must reject. Include it before any other header that includes <regex>.
#pragma once
// g++ 12 under -fsanitize=address,undefined reports libstdc++'s own std::regex internals as
// maybe-uninitialized (a known false positive in std::function's move); nothing of ours is involved.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <doctest/doctest.h>

#include <functional>
#include <regex>
#include <string>

namespace test_support {

// The text with the first match of `pattern` replaced by what `with` makes of it.
inline std::string replace_first(const std::string& text, const std::string& pattern,
                                 const std::function<std::string(const std::smatch&)>& with) {
  std::smatch match;
  REQUIRE_MESSAGE(std::regex_search(text, match, std::regex(pattern)),
                  "the pattern " << pattern << " matched nothing");
  return match.prefix().str() + with(match) + match.suffix().str();
}

inline std::string replace_first(const std::string& text, const std::string& pattern,
                                 const std::string& with) {
  return replace_first(text, pattern, [&](const std::smatch&) { return with; });
}

}  // namespace test_support
