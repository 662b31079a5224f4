// The SPANLOG_ macros, each in its enabled and its disabled form. Disabled, they expand to code that
// type-checks every argument inside sizeof and evaluates none, so a wrong use fails in every build.
#pragma once
#include <string_view>
#include <type_traits>

#include "config.hpp"
#include "detail/attr_check.hpp"
#include "detail/log_format.hpp"

#define SPANLOG_CAT_(a, b) a##b
#define SPANLOG_CAT(a, b) SPANLOG_CAT_(a, b)
#define SPANLOG_FIRST_(first, ...) first
#define SPANLOG_FIRST(...) SPANLOG_FIRST_(__VA_ARGS__, 0)

#if SPANLOG_ENABLED

// A name must be text of static storage (a string literal): the site keeps a pointer to it. The check comes
// first, so that a name that varies is refused with a message saying what to write instead.
#define SPANLOG_SITE_(id, name, kind)                                                       \
  static_assert(::spanlog::detail::is_literal_text<decltype(name)>, SPANLOG_NAME_MESSAGE_); \
  static constexpr ::spanlog::detail::Site SPANLOG_CAT(spanlog_site_, id) {                 \
    name, __func__, __FILE__, __LINE__, ::spanlog::detail::SiteKind::kind                   \
  }

// SPANLOG_SPAN("name", "key", value, ...): a span over the enclosing scope.
#define SPANLOG_SPAN(...) SPANLOG_SPAN_(__COUNTER__, __VA_ARGS__)
#define SPANLOG_SPAN_(id, ...)                                                         \
  SPANLOG_SITE_(id, SPANLOG_FIRST(__VA_ARGS__), span);                                 \
  ::spanlog::ScopedSpan SPANLOG_CAT(spanlog_span_, id)(::spanlog::detail::SiteToken{}, \
                                                       SPANLOG_CAT(spanlog_site_, id), __VA_ARGS__)

// SPANLOG_SPAN_CHILD_OF(context, "name", "key", value, ...): a span whose parent may be on another thread.
#define SPANLOG_SPAN_CHILD_OF(context, ...) SPANLOG_SPAN_CHILD_OF_(__COUNTER__, context, __VA_ARGS__)
#define SPANLOG_SPAN_CHILD_OF_(id, context, ...)                                       \
  SPANLOG_SITE_(id, SPANLOG_FIRST(__VA_ARGS__), span);                                 \
  ::spanlog::ScopedSpan SPANLOG_CAT(spanlog_span_, id)(::spanlog::detail::SiteToken{}, \
                                                       SPANLOG_CAT(spanlog_site_, id), context, __VA_ARGS__)

// SPANLOG_SPAN_FN(): a span named after the enclosing function.
#define SPANLOG_SPAN_FN() SPANLOG_SPAN_FN_(__COUNTER__)
#define SPANLOG_SPAN_FN_(id)                                                           \
  static constexpr ::spanlog::detail::Site SPANLOG_CAT(spanlog_site_, id){             \
      __func__, __func__, __FILE__, __LINE__, ::spanlog::detail::SiteKind::span};      \
  ::spanlog::ScopedSpan SPANLOG_CAT(spanlog_span_, id)(::spanlog::detail::SiteToken{}, \
                                                       SPANLOG_CAT(spanlog_site_, id))

// SPANLOG_SPAN_STATS("name"): a span over the enclosing scope, kept as statistics only (per-thread histograms
// written once per flush interval, api.hpp's StatsSpan), for paths too hot for a record per span.
#define SPANLOG_SPAN_STATS(name) SPANLOG_SPAN_STATS_(__COUNTER__, name)
#define SPANLOG_SPAN_STATS_(id, name)                                 \
  SPANLOG_SITE_(id, name, span);                                      \
  static ::spanlog::detail::StatsSlot SPANLOG_CAT(spanlog_slot_, id); \
  ::spanlog::StatsSpan SPANLOG_CAT(spanlog_span_, id)(                \
      ::spanlog::detail::SiteToken{}, SPANLOG_CAT(spanlog_site_, id), SPANLOG_CAT(spanlog_slot_, id))

// SPANLOG_PHASE("name"): a phase of the whole run, over the enclosing scope.
#define SPANLOG_PHASE(name) SPANLOG_PHASE_(__COUNTER__, name)
#define SPANLOG_PHASE_(id, name)                                                  \
  SPANLOG_SITE_(id, name, phase);                                                 \
  ::spanlog::Phase SPANLOG_CAT(spanlog_span_, id)(::spanlog::detail::SiteToken{}, \
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

// SPANLOG_COUNTER_ADD("name", delta, "label", value, ...): a monotonic counter (integer or floating-point
// deltas). Without labels an integer add is in place (never dropped); with labels it is a ring record.
#define SPANLOG_COUNTER_ADD(name, ...) SPANLOG_COUNTER_ADD_(__COUNTER__, name, __VA_ARGS__)
#define SPANLOG_COUNTER_ADD_(id, name, ...)                                                        \
  do {                                                                                             \
    static_assert(::spanlog::detail::is_literal_text<decltype(name)>, SPANLOG_NAME_MESSAGE_);      \
    static constexpr ::spanlog::detail::Site SPANLOG_CAT(spanlog_site_, id){                       \
        name, __func__, __FILE__, __LINE__,                                                        \
        ::std::is_floating_point<decltype(SPANLOG_FIRST(__VA_ARGS__))>::value                      \
            ? ::spanlog::detail::SiteKind::counter_float                                           \
            : ::spanlog::detail::SiteKind::counter_int};                                           \
    static ::spanlog::detail::CounterSlot SPANLOG_CAT(spanlog_slot_, id);                          \
    ::spanlog::detail::counter_add(SPANLOG_CAT(spanlog_site_, id), SPANLOG_CAT(spanlog_slot_, id), \
                                   __VA_ARGS__);                                                   \
  } while (0)

// SPANLOG_GAUGE_SET("name", value, "label", value, ...): a gauge's current value.
#define SPANLOG_GAUGE_SET(name, ...) SPANLOG_GAUGE_SET_(__COUNTER__, name, __VA_ARGS__)
#define SPANLOG_GAUGE_SET_(id, name, ...)                                      \
  do {                                                                         \
    SPANLOG_SITE_(id, name, gauge);                                            \
    ::spanlog::detail::gauge_set(SPANLOG_CAT(spanlog_site_, id), __VA_ARGS__); \
  } while (0)

// SPANLOG_HISTOGRAM("name", value, "label", value, ...): a distribution of non-negative integers (sizes,
// waits, iterations). Without labels kept in place per thread, as statistics spans are.
#define SPANLOG_HISTOGRAM(name, ...) SPANLOG_HISTOGRAM_(__COUNTER__, name, __VA_ARGS__)
#define SPANLOG_HISTOGRAM_(id, name, ...)                                                               \
  do {                                                                                                  \
    SPANLOG_SITE_(id, name, histogram);                                                                 \
    static ::spanlog::detail::StatsSlot SPANLOG_CAT(spanlog_slot_, id);                                 \
    ::spanlog::detail::histogram_record(SPANLOG_CAT(spanlog_site_, id), SPANLOG_CAT(spanlog_slot_, id), \
                                        __VA_ARGS__);                                                   \
  } while (0)

// SPANLOG_METRIC_INFO("name", "unit", "description"): declares a metric's unit (UCUM, as OpenTelemetry uses
// it: "By", "s", "{token}") and description, once, the first time the statement runs.
#define SPANLOG_METRIC_INFO(name, unit, description) \
  SPANLOG_METRIC_INFO_(__COUNTER__, name, unit, description)
#define SPANLOG_METRIC_INFO_(id, name, unit, description)                                     \
  do {                                                                                        \
    static_assert(::spanlog::detail::is_literal_text<decltype(name)>, SPANLOG_NAME_MESSAGE_); \
    static const bool SPANLOG_CAT(spanlog_declared_, id) =                                    \
        (::spanlog::detail::slow::declare_metric_info(name, unit, description), true);        \
    static_cast<void>(SPANLOG_CAT(spanlog_declared_, id));                                    \
  } while (0)

// SPANLOG_ASYNC_BEGIN("name", id, "key", value, ...) / SPANLOG_ASYNC_END(id, ...): a span across threads.
// The ids are checked as in the disabled form: async_begin and async_end take any number that converts.
#define SPANLOG_ASYNC_BEGIN(...)                                                 \
  (static_cast<void>(sizeof(::spanlog::detail::check_async_begin(__VA_ARGS__))), \
   ::spanlog::async_begin(__VA_ARGS__))
#define SPANLOG_ASYNC_END(...)                                                 \
  (static_cast<void>(sizeof(::spanlog::detail::check_async_end(__VA_ARGS__))), \
   ::spanlog::async_end(__VA_ARGS__))

#define SPANLOG_THREAD_NAME(name) ::spanlog::set_thread_name(name)

// A log line at a level known at compile time: the format's holes are counted and named at compile time, the
// site (format, level, file, line) is static data, and the arguments go into the ring as attributes.
#define SPANLOG_LOG_AT_(id, level, ...)                                                                   \
  do {                                                                                                    \
    SPANLOG_LOG_CHECK_FORMAT_(SPANLOG_FIRST(__VA_ARGS__));                                                \
    static constexpr ::spanlog::detail::HoleNames<                                                        \
        ::spanlog::detail::scan_holes(SPANLOG_FIRST(__VA_ARGS__)).holes>                                  \
        SPANLOG_CAT(spanlog_holes_, id){SPANLOG_FIRST(__VA_ARGS__)};                                      \
    static constexpr ::spanlog::detail::Site SPANLOG_CAT(spanlog_site_, id){                              \
        SPANLOG_FIRST(__VA_ARGS__),                                                                       \
        __func__,                                                                                         \
        __FILE__,                                                                                         \
        __LINE__,                                                                                         \
        ::spanlog::detail::SiteKind::log,                                                                 \
        static_cast<unsigned char>(::spanlog::detail::LogLevel::level)};                                  \
    ::spanlog::detail::log(SPANLOG_CAT(spanlog_site_, id), SPANLOG_CAT(spanlog_holes_, id), __VA_ARGS__); \
  } while (0)

// A log line at a level chosen at run time: a site per level, the one of the level given is recorded.
#define SPANLOG_LOG_RUNTIME_(id, level, ...)                                                              \
  do {                                                                                                    \
    SPANLOG_LOG_CHECK_FORMAT_(SPANLOG_FIRST(__VA_ARGS__));                                                \
    static constexpr ::spanlog::detail::HoleNames<                                                        \
        ::spanlog::detail::scan_holes(SPANLOG_FIRST(__VA_ARGS__)).holes>                                  \
        SPANLOG_CAT(spanlog_holes_, id){SPANLOG_FIRST(__VA_ARGS__)};                                      \
    static constexpr ::spanlog::detail::Site SPANLOG_CAT(spanlog_sites_, id)[] = {                        \
        {SPANLOG_FIRST(__VA_ARGS__), __func__, __FILE__, __LINE__, ::spanlog::detail::SiteKind::log, 0},  \
        {SPANLOG_FIRST(__VA_ARGS__), __func__, __FILE__, __LINE__, ::spanlog::detail::SiteKind::log, 1},  \
        {SPANLOG_FIRST(__VA_ARGS__), __func__, __FILE__, __LINE__, ::spanlog::detail::SiteKind::log, 2},  \
        {SPANLOG_FIRST(__VA_ARGS__), __func__, __FILE__, __LINE__, ::spanlog::detail::SiteKind::log, 3},  \
        {SPANLOG_FIRST(__VA_ARGS__), __func__, __FILE__, __LINE__, ::spanlog::detail::SiteKind::log, 4}}; \
    const int spanlog_level = static_cast<int>(::spanlog::detail::LogLevel{level});                       \
    if (spanlog_level >= SPANLOG_LOG_LEVEL_MIN && spanlog_level <= 4)                                     \
      ::spanlog::detail::log(SPANLOG_CAT(spanlog_sites_, id)[spanlog_level],                              \
                             SPANLOG_CAT(spanlog_holes_, id), __VA_ARGS__);                               \
  } while (0)

#else  // SPANLOG_ENABLED

// Each argument is named inside sizeof or decltype only: checked as the enabled form checks it, never
// evaluated.

// A name must be kept in constant data, as the enabled form's site keeps it (a local array is refused there):
// checked in a member function of a local class, which is never called, so not even -O0 emits anything.
#define SPANLOG_CHECK_STATIC_(name)                                                            \
  struct SPANLOG_CAT(spanlog_name_check_, __COUNTER__) {                                       \
    static void check() { [[maybe_unused]] static constexpr const char* spanlog_name = name; } \
  }
#define SPANLOG_CHECK_NAME_(name)                                                           \
  static_assert(::spanlog::detail::is_literal_text<decltype(name)>, SPANLOG_NAME_MESSAGE_); \
  SPANLOG_CHECK_STATIC_(name)
#define SPANLOG_CHECK_TEXT_(text) static_cast<void>(sizeof(::std::string_view(text)))

#define SPANLOG_SPAN(...)                                                 \
  static_cast<void>(sizeof(::spanlog::detail::check_named(__VA_ARGS__))); \
  SPANLOG_CHECK_STATIC_(SPANLOG_FIRST(__VA_ARGS__))
#define SPANLOG_SPAN_CHILD_OF(context, ...)                                         \
  static_assert(::std::is_convertible_v<decltype(context), ::spanlog::SpanContext>, \
                "SPANLOG_SPAN_CHILD_OF takes a spanlog::SpanContext first");        \
  static_cast<void>(sizeof(::spanlog::detail::check_named(__VA_ARGS__)));           \
  SPANLOG_CHECK_STATIC_(SPANLOG_FIRST(__VA_ARGS__))
#define SPANLOG_SPAN_FN() static_cast<void>(0)
#define SPANLOG_PHASE(name) SPANLOG_CHECK_NAME_(name)
#define SPANLOG_SPAN_STATS(name) SPANLOG_CHECK_NAME_(name)
#define SPANLOG_SPAN_SET(...) static_cast<void>(sizeof(::spanlog::detail::check_attrs(__VA_ARGS__)))
#define SPANLOG_SPAN_ERROR(message) SPANLOG_CHECK_TEXT_(message)
#define SPANLOG_EVENT(...)                                                  \
  do {                                                                      \
    static_cast<void>(sizeof(::spanlog::detail::check_named(__VA_ARGS__))); \
    SPANLOG_CHECK_STATIC_(SPANLOG_FIRST(__VA_ARGS__));                      \
  } while (0)
#define SPANLOG_COUNTER_ADD(name, ...)                                             \
  do {                                                                             \
    SPANLOG_CHECK_STATIC_(name);                                                   \
    static_cast<void>(sizeof(::spanlog::detail::check_metric(name, __VA_ARGS__))); \
  } while (0)
#define SPANLOG_GAUGE_SET(name, ...)                                               \
  do {                                                                             \
    SPANLOG_CHECK_STATIC_(name);                                                   \
    static_cast<void>(sizeof(::spanlog::detail::check_metric(name, __VA_ARGS__))); \
  } while (0)
#define SPANLOG_HISTOGRAM(name, ...)                                                  \
  do {                                                                                \
    SPANLOG_CHECK_STATIC_(name);                                                      \
    static_cast<void>(sizeof(::spanlog::detail::check_histogram(name, __VA_ARGS__))); \
  } while (0)
#define SPANLOG_METRIC_INFO(name, unit, description) \
  do {                                               \
    SPANLOG_CHECK_NAME_(name);                       \
    SPANLOG_CHECK_TEXT_(unit);                       \
    SPANLOG_CHECK_TEXT_(description);                \
  } while (0)
#define SPANLOG_ASYNC_BEGIN(...) static_cast<void>(sizeof(::spanlog::detail::check_async_begin(__VA_ARGS__)))
#define SPANLOG_ASYNC_END(...) static_cast<void>(sizeof(::spanlog::detail::check_async_end(__VA_ARGS__)))
#define SPANLOG_THREAD_NAME(name) SPANLOG_CHECK_TEXT_(name)

#endif  // SPANLOG_ENABLED

// The log macros: SPANLOG_LOG_INFO("fetched {rows} rows from {table}", rows, table), one argument per hole.
// Below SPANLOG_LOG_LEVEL_MIN, or disabled, a log macro checks its arguments as the enabled form does and
// evaluates none of them.
#define SPANLOG_LOG_CHECK_FORMAT_(format)                                                           \
  static_assert(::spanlog::detail::is_literal_text<decltype(format)>, SPANLOG_LOG_FORMAT_MESSAGE_); \
  static_assert(::spanlog::detail::scan_holes(format).ok, SPANLOG_LOG_FORMAT_MESSAGE_)
#define SPANLOG_LOG_OFF_(...)                                                                          \
  do {                                                                                                 \
    SPANLOG_LOG_CHECK_FORMAT_(SPANLOG_FIRST(__VA_ARGS__));                                             \
    static_cast<void>(sizeof(                                                                          \
        ::spanlog::detail::check_log<::spanlog::detail::scan_holes(SPANLOG_FIRST(__VA_ARGS__)).holes>( \
            __VA_ARGS__)));                                                                            \
  } while (0)

#if SPANLOG_ENABLED && SPANLOG_LOG_LEVEL_MIN <= 0
#define SPANLOG_LOG_TRACE(...) SPANLOG_LOG_AT_(__COUNTER__, trace, __VA_ARGS__)
#else
#define SPANLOG_LOG_TRACE(...) SPANLOG_LOG_OFF_(__VA_ARGS__)
#endif
#if SPANLOG_ENABLED && SPANLOG_LOG_LEVEL_MIN <= 1
#define SPANLOG_LOG_DEBUG(...) SPANLOG_LOG_AT_(__COUNTER__, debug, __VA_ARGS__)
#else
#define SPANLOG_LOG_DEBUG(...) SPANLOG_LOG_OFF_(__VA_ARGS__)
#endif
#if SPANLOG_ENABLED && SPANLOG_LOG_LEVEL_MIN <= 2
#define SPANLOG_LOG_INFO(...) SPANLOG_LOG_AT_(__COUNTER__, info, __VA_ARGS__)
#else
#define SPANLOG_LOG_INFO(...) SPANLOG_LOG_OFF_(__VA_ARGS__)
#endif
#if SPANLOG_ENABLED && SPANLOG_LOG_LEVEL_MIN <= 3
#define SPANLOG_LOG_WARN(...) SPANLOG_LOG_AT_(__COUNTER__, warn, __VA_ARGS__)
#else
#define SPANLOG_LOG_WARN(...) SPANLOG_LOG_OFF_(__VA_ARGS__)
#endif
#if SPANLOG_ENABLED && SPANLOG_LOG_LEVEL_MIN <= 4
#define SPANLOG_LOG_ERROR(...) SPANLOG_LOG_AT_(__COUNTER__, error, __VA_ARGS__)
#else
#define SPANLOG_LOG_ERROR(...) SPANLOG_LOG_OFF_(__VA_ARGS__)
#endif
// SPANLOG_LOG(level, "format", args...): the level a spanlog::LogLevel known at run time.
#if SPANLOG_ENABLED && SPANLOG_LOG_LEVEL_MIN <= 4
#define SPANLOG_LOG(level, ...) SPANLOG_LOG_RUNTIME_(__COUNTER__, level, __VA_ARGS__)
#else
#define SPANLOG_LOG(level, ...)                                    \
  do {                                                             \
    static_cast<void>(sizeof(::spanlog::detail::LogLevel{level})); \
    SPANLOG_LOG_OFF_(__VA_ARGS__);                                 \
  } while (0)
#endif
