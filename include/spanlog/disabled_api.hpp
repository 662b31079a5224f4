// The macro-free API when SPANLOG_ENABLED is 0: the same names, each doing nothing, so code that uses
// them compiles unchanged and, optimized, leaves nothing behind.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace spanlog {

struct span_context {
  std::uint64_t span_id = 0;
  explicit operator bool() const { return false; }
};

struct options {};

class scoped_span {
 public:
  template <std::size_t N, class... A>
  explicit scoped_span(const char (&)[N], const A&...) {}
  template <std::size_t N, class... A>
  scoped_span(span_context, const char (&)[N], const A&...) {}
  template <class... A>
  void set(const A&...) {}
  void set_error(std::string_view = {}) {}
  span_context context() const { return {}; }
  bool recorded() const { return false; }
};

class phase {
 public:
  template <std::size_t N>
  explicit phase(const char (&)[N]) {}
  span_context context() const { return {}; }
};

class counter {
 public:
  template <std::size_t N>
  constexpr explicit counter(const char (&)[N]) {}
  template <class T>
  void add(T) const {}
};

class gauge {
 public:
  template <std::size_t N>
  constexpr explicit gauge(const char (&)[N]) {}
  template <class T>
  void set(T) const {}
};

inline span_context current_span() {
  return {};
}
template <class... A>
void set_span_attrs(const A&...) {}
inline void set_span_error(std::string_view = {}) {}
template <std::size_t N, class... A>
void async_begin(const char (&)[N], std::uint64_t, const A&...) {}
template <class... A>
void async_end(std::uint64_t, const A&...) {}
template <std::size_t N, class... A>
void event(const char (&)[N], const A&...) {}
inline void set_thread_name(std::string_view) {}
inline bool start(const options& = {}) {
  return false;
}
inline void flush() {}
inline void stop() {}
inline std::string run_directory() {
  return {};
}
inline bool running() {
  return false;
}

}  // namespace spanlog
