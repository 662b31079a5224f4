// The macro-free API when SPANLOG_ENABLED is 0: the same names, each doing nothing, so code that uses them
// compiles unchanged and, optimized, leaves nothing behind. Arguments are checked as strictly as enabled.
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>

#include "config.hpp"
#include "detail/attr_check.hpp"

SPANLOG_BEGIN_API_NAMESPACE

struct Options;

struct SpanContext {
  std::uint64_t span_id = 0;
  explicit operator bool() const { return false; }
};

class ScopedSpan {
 public:
  template <std::size_t N, class... A>
  explicit ScopedSpan(const char (&)[N], const A&...) {
    static_assert(detail::attrs_valid<A...>());
  }
  template <std::size_t N, class... A>
  ScopedSpan(SpanContext, const char (&)[N], const A&...) {
    static_assert(detail::attrs_valid<A...>());
  }
  template <class... A>
  void set(const A&...) {
    static_assert(detail::attrs_valid<A...>());
  }
  void set_error(std::string_view = {}) {}
  SpanContext context() const { return {}; }
  bool recorded() const { return false; }
};

class Phase {
 public:
  template <std::size_t N>
  explicit Phase(const char (&)[N]) {}
  SpanContext context() const { return {}; }
};

class StatsSite {
 public:
  template <std::size_t N>
  constexpr explicit StatsSite(const char (&)[N]) {}
};

class StatsSpan {
 public:
  explicit StatsSpan(const StatsSite&) {}
  bool recorded() const { return false; }
};

class Counter {
 public:
  template <std::size_t N>
  constexpr explicit Counter(const char (&)[N]) {}
  template <class T, class... L>
  void add(T, const L&...) const {
    static_assert(std::is_integral_v<T>,
                  "spanlog::Counter takes integers; SPANLOG_COUNTER_ADD takes doubles too");
    static_assert(detail::labels_valid<L...>());
  }
};

class Gauge {
 public:
  template <std::size_t N>
  constexpr explicit Gauge(const char (&)[N]) {}
  template <class T, class... L>
  void set(T, const L&...) const {
    static_assert(std::is_arithmetic_v<T>, "spanlog::Gauge takes a number");
    static_assert(detail::labels_valid<L...>());
  }
};

class Histogram {
 public:
  template <std::size_t N>
  constexpr explicit Histogram(const char (&)[N]) {}
  template <class T, class... L>
  void record(T, const L&...) const {
    static_assert(detail::is_histogram_value<T>, SPANLOG_HISTOGRAM_VALUE_MESSAGE_);
    static_assert(detail::labels_valid<L...>());
  }
};

class MetricInfo {
 public:
  template <std::size_t N>
  constexpr MetricInfo(const char (&)[N], std::string_view, std::string_view) {}
};

inline SpanContext current_span() {
  return {};
}
template <class... A>
void set_span_attrs(const A&...) {
  static_assert(detail::attrs_valid<A...>());
}
inline void set_span_error(std::string_view = {}) {}
inline void record_exception(const std::exception&) {}
inline void record_current_exception() {}
template <std::size_t N, class... A>
void async_begin(const char (&)[N], std::uint64_t, const A&...) {
  static_assert(detail::attrs_valid<A...>());
}
template <class... A>
void async_end(std::uint64_t, const A&...) {
  static_assert(detail::attrs_valid<A...>());
}
template <std::size_t N, class... A>
void event(const char (&)[N], const A&...) {
  static_assert(detail::attrs_valid<A...>());
}
inline void set_thread_name(std::string_view) {}
inline bool start() {
  return false;
}
inline bool start(const Options&) {
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

SPANLOG_END_NAMESPACE
