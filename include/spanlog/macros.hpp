// The SPANLOG_ macros, each in its enabled and its disabled form. Disabled, they expand to code that
// type-checks every argument inside sizeof and evaluates none, so a typo fails in every build.
#pragma once
#include "config.hpp"

#define SPANLOG_CAT_(a, b) a##b
#define SPANLOG_CAT(a, b) SPANLOG_CAT_(a, b)
#define SPANLOG_FIRST_(first, ...) first
#define SPANLOG_FIRST(...) SPANLOG_FIRST_(__VA_ARGS__, 0)

#if SPANLOG_ENABLED

// `"" name ""` compiles only when name is a string literal.
#define SPANLOG_SITE_(id, name, kind)                                            \
  static constexpr ::spanlog::detail::site SPANLOG_CAT(spanlog_site_, id) {      \
    "" name "", __func__, __FILE__, __LINE__, ::spanlog::detail::site_kind::kind \
  }

// SPANLOG_SPAN("name", "key", value, ...): a span over the enclosing scope.
#define SPANLOG_SPAN(...) SPANLOG_SPAN_(__COUNTER__, __VA_ARGS__)
#define SPANLOG_SPAN_(id, ...)                                                           \
  SPANLOG_SITE_(id, SPANLOG_FIRST(__VA_ARGS__), span);                                   \
  ::spanlog::scoped_span SPANLOG_CAT(spanlog_span_, id)(::spanlog::detail::site_token{}, \
                                                        SPANLOG_CAT(spanlog_site_, id), __VA_ARGS__)

// SPANLOG_SPAN_CHILD_OF(context, "name", "key", value, ...): a span whose parent may be on another thread.
#define SPANLOG_SPAN_CHILD_OF(context, ...) SPANLOG_SPAN_CHILD_OF_(__COUNTER__, context, __VA_ARGS__)
#define SPANLOG_SPAN_CHILD_OF_(id, context, ...)         \
  SPANLOG_SITE_(id, SPANLOG_FIRST(__VA_ARGS__), span);   \
  ::spanlog::scoped_span SPANLOG_CAT(spanlog_span_, id)( \
      ::spanlog::detail::site_token{}, SPANLOG_CAT(spanlog_site_, id), context, __VA_ARGS__)

// SPANLOG_SPAN_FN(): a span named after the enclosing function.
#define SPANLOG_SPAN_FN() SPANLOG_SPAN_FN_(__COUNTER__)
#define SPANLOG_SPAN_FN_(id)                                                             \
  static constexpr ::spanlog::detail::site SPANLOG_CAT(spanlog_site_, id){               \
      __func__, __func__, __FILE__, __LINE__, ::spanlog::detail::site_kind::span};       \
  ::spanlog::scoped_span SPANLOG_CAT(spanlog_span_, id)(::spanlog::detail::site_token{}, \
                                                        SPANLOG_CAT(spanlog_site_, id))

// SPANLOG_PHASE("name"): a phase of the whole run, over the enclosing scope.
#define SPANLOG_PHASE(name) SPANLOG_PHASE_(__COUNTER__, name)
#define SPANLOG_PHASE_(id, name)                                                         \
  SPANLOG_SITE_(id, name, phase);                                                        \
  ::spanlog::scoped_span SPANLOG_CAT(spanlog_span_, id)(::spanlog::detail::site_token{}, \
                                                        SPANLOG_CAT(spanlog_site_, id), name)

// SPANLOG_SPAN_SET("key", value, ...) and SPANLOG_SPAN_ERROR("message"): on the thread's innermost open span.
#define SPANLOG_SPAN_SET(...) ::spanlog::set_span_attrs(__VA_ARGS__)
#define SPANLOG_SPAN_ERROR(message) ::spanlog::set_span_error(message)

// SPANLOG_EVENT("name", "key", value, ...): an instant event.
#define SPANLOG_EVENT(...) SPANLOG_EVENT_(__COUNTER__, __VA_ARGS__)
#define SPANLOG_EVENT_(id, ...)                                                  \
  do {                                                                           \
    SPANLOG_SITE_(id, SPANLOG_FIRST(__VA_ARGS__), instant);                      \
    ::spanlog::detail::macro_event(SPANLOG_CAT(spanlog_site_, id), __VA_ARGS__); \
  } while (0)

// SPANLOG_COUNTER_ADD("name", delta): a monotonic counter (integer or floating-point deltas).
#define SPANLOG_COUNTER_ADD(name, delta) SPANLOG_COUNTER_ADD_(__COUNTER__, name, delta)
#define SPANLOG_COUNTER_ADD_(id, name, delta)                                                              \
  do {                                                                                                     \
    static constexpr ::spanlog::detail::site SPANLOG_CAT(spanlog_site_, id){                               \
        "" name "", __func__, __FILE__, __LINE__,                                                          \
        ::std::is_floating_point<decltype(delta)>::value ? ::spanlog::detail::site_kind::counter_float     \
                                                         : ::spanlog::detail::site_kind::counter_int};     \
    static ::spanlog::detail::counter_slot SPANLOG_CAT(spanlog_slot_, id);                                 \
    ::spanlog::detail::counter_add(SPANLOG_CAT(spanlog_site_, id), SPANLOG_CAT(spanlog_slot_, id), delta); \
  } while (0)

// SPANLOG_GAUGE_SET("name", value): a gauge's current value.
#define SPANLOG_GAUGE_SET(name, value) SPANLOG_GAUGE_SET_(__COUNTER__, name, value)
#define SPANLOG_GAUGE_SET_(id, name, value)                              \
  do {                                                                   \
    SPANLOG_SITE_(id, name, gauge);                                      \
    ::spanlog::detail::gauge_set(SPANLOG_CAT(spanlog_site_, id), value); \
  } while (0)

// SPANLOG_ASYNC_BEGIN("name", id, "key", value, ...) / SPANLOG_ASYNC_END(id, ...): a span across threads.
#define SPANLOG_ASYNC_BEGIN(...) ::spanlog::async_begin(__VA_ARGS__)
#define SPANLOG_ASYNC_END(...) ::spanlog::async_end(__VA_ARGS__)

#define SPANLOG_THREAD_NAME(name) ::spanlog::set_thread_name(name)

#else  // SPANLOG_ENABLED

// Only declared: used inside sizeof, never called, so nothing is emitted.
namespace spanlog_disabled {
template <class... A>
char check(const A&...);
}  // namespace spanlog_disabled

#define SPANLOG_CHECK_(...) static_cast<void>(sizeof(::spanlog_disabled::check(__VA_ARGS__)))
#define SPANLOG_SPAN(...)                                          \
  static_assert(sizeof("" SPANLOG_FIRST(__VA_ARGS__) "") > 0, ""); \
  SPANLOG_CHECK_(__VA_ARGS__)
#define SPANLOG_SPAN_CHILD_OF(context, ...)                        \
  static_assert(sizeof("" SPANLOG_FIRST(__VA_ARGS__) "") > 0, ""); \
  SPANLOG_CHECK_(context, __VA_ARGS__)
#define SPANLOG_SPAN_FN() static_cast<void>(0)
#define SPANLOG_PHASE(name) static_assert(sizeof("" name "") > 0, "")
#define SPANLOG_SPAN_SET(...) SPANLOG_CHECK_(__VA_ARGS__)
#define SPANLOG_SPAN_ERROR(message) SPANLOG_CHECK_(message)
#define SPANLOG_EVENT(...)                                           \
  do {                                                               \
    static_assert(sizeof("" SPANLOG_FIRST(__VA_ARGS__) "") > 0, ""); \
    SPANLOG_CHECK_(__VA_ARGS__);                                     \
  } while (0)
#define SPANLOG_COUNTER_ADD(name, delta)       \
  do {                                         \
    static_assert(sizeof("" name "") > 0, ""); \
    SPANLOG_CHECK_(delta);                     \
  } while (0)
#define SPANLOG_GAUGE_SET(name, value)         \
  do {                                         \
    static_assert(sizeof("" name "") > 0, ""); \
    SPANLOG_CHECK_(value);                     \
  } while (0)
#define SPANLOG_ASYNC_BEGIN(...) SPANLOG_CHECK_(__VA_ARGS__)
#define SPANLOG_ASYNC_END(...) SPANLOG_CHECK_(__VA_ARGS__)
#define SPANLOG_THREAD_NAME(name) SPANLOG_CHECK_(name)

#endif  // SPANLOG_ENABLED
