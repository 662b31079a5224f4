// Compile-time configuration: the on/off switch, every tunable with its default, and the version.
// Each macro can be predefined by the user (-DSPANLOG_X=...); nothing here may include another spanlog
// header.
#pragma once

// 0 turns every SPANLOG_ macro into nothing: arguments are type-checked but never evaluated.
#ifndef SPANLOG_ENABLED
#define SPANLOG_ENABLED 1
#endif

// Read timestamps from the CPU's time-stamp counter: about a third of the cost of steady_clock::now().
// The flusher converts ticks to nanoseconds from a calibration it writes into the header. Set to 0 on
// machines whose TSC is not invariant (the header records "invariant":false when that is detected).
#ifndef SPANLOG_USE_TSC
#if defined(__x86_64__) || defined(_M_X64)
#define SPANLOG_USE_TSC 1
#else
#define SPANLOG_USE_TSC 0
#endif
#endif

// Longest dynamic string attribute copied into a ring. Longer strings are cut at a UTF-8 boundary; raise it
// for long values (paths, SQL), lower it to keep a ring's records small.
#ifndef SPANLOG_MAX_STRING_BYTES
#define SPANLOG_MAX_STRING_BYTES 128
#endif

// Most attributes on one record. Each costs 24 bytes in the ring (plus the copied bytes of a string).
#ifndef SPANLOG_MAX_ATTRS
#define SPANLOG_MAX_ATTRS 16
#endif

// Most labels on one metric record (SPANLOG_COUNTER_ADD, SPANLOG_GAUGE_SET, SPANLOG_HISTOGRAM): a series is
// named by all of them, so each one multiplies what a reader must keep.
#ifndef SPANLOG_MAX_LABELS
#define SPANLOG_MAX_LABELS 8
#endif

// Integer counter call sites that accumulate in place (8 bytes per site in each thread's ring, and 8 more for
// the flusher). Sites beyond it still count, through the ring, as floating-point counters do.
#ifndef SPANLOG_COUNTER_SLOTS
#define SPANLOG_COUNTER_SLOTS 256
#endif

// Statistics-mode span and unlabelled histogram call sites (SPANLOG_SPAN_STATS, SPANLOG_HISTOGRAM), together.
// Each site a thread uses costs that thread about 9 KB of histogram, allocated on the site's first use there.
// Spans of sites beyond it are counted as dropped spans, values as dropped metrics.
#ifndef SPANLOG_STATS_SLOTS
#define SPANLOG_STATS_SLOTS 64
#endif

// The lowest log level compiled in (0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 none): a log macro below it
// compiles to nothing, its arguments type-checked and not evaluated, as with SPANLOG_ENABLED=0.
#ifndef SPANLOG_LOG_LEVEL_MIN
#define SPANLOG_LOG_LEVEL_MIN 0
#endif

#define SPANLOG_VERSION_MAJOR 0
#define SPANLOG_VERSION_MINOR 1
#define SPANLOG_VERSION_PATCH 0
#define SPANLOG_VERSION_STRING "0.1.0"

// The record layout depends on the clock, the string and attribute limits and the counter and statistics
// slots: they go into
// the inline namespace's name, so translation units built with different settings fail to link instead of
// misreading each other's rings.
#define SPANLOG_ABI_CAT2(a, b, c, d, e) v0_##a##_##b##_##c##_##d##_##e
#define SPANLOG_ABI_CAT(a, b, c, d, e) SPANLOG_ABI_CAT2(a, b, c, d, e)
#define SPANLOG_ABI_NAMESPACE                                                                          \
  SPANLOG_ABI_CAT(SPANLOG_USE_TSC, SPANLOG_MAX_STRING_BYTES, SPANLOG_MAX_ATTRS, SPANLOG_COUNTER_SLOTS, \
                  SPANLOG_STATS_SLOTS)

// Every symbol is local to the executable or shared library it is compiled into, whatever visibility the
// build chooses: images never bind to each other's copies by accident (half of one and half of another), and
// they find the one session of the process at run time instead (impl/process_hub.hpp).
#if defined(__GNUC__) || defined(__clang__)
#define SPANLOG_IMAGE_LOCAL __attribute__((visibility("hidden")))
#else
#define SPANLOG_IMAGE_LOCAL
#endif
#define SPANLOG_BEGIN_NAMESPACE \
  namespace spanlog {           \
  inline namespace SPANLOG_ABI_NAMESPACE SPANLOG_IMAGE_LOCAL {
#define SPANLOG_END_NAMESPACE \
  }                           \
  }

// The public API's namespace: the recording one, or with SPANLOG_ENABLED=0 one of its own, so that a program
// whose files are built partly enabled and partly disabled has two sets of names, never two definitions of
// one.
#if SPANLOG_ENABLED
#define SPANLOG_BEGIN_API_NAMESPACE SPANLOG_BEGIN_NAMESPACE
#else
#define SPANLOG_BEGIN_API_NAMESPACE \
  namespace spanlog {               \
  inline namespace disabled {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SPANLOG_LIKELY(x) __builtin_expect(!!(x), 1)
#define SPANLOG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SPANLOG_NOINLINE __attribute__((noinline))
#define SPANLOG_ALWAYS_INLINE inline __attribute__((always_inline))
#define SPANLOG_UNREACHABLE() __builtin_unreachable()
#else
#define SPANLOG_LIKELY(x) (x)
#define SPANLOG_UNLIKELY(x) (x)
#define SPANLOG_NOINLINE
#define SPANLOG_ALWAYS_INLINE inline
#define SPANLOG_UNREACHABLE() static_cast<void>(0)
#endif
