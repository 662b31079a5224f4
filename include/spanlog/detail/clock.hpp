// The hot path's clock: raw TSC ticks on x86-64, CLOCK_MONOTONIC nanoseconds elsewhere. Never a system call
// where the vDSO serves the clock. Converting ticks to nanoseconds is the flusher's job
// (impl/clock_calibration.hpp).
#pragma once
#include <cstdint>

#include "../config.hpp"

#if !SPANLOG_USE_TSC
#include <time.h>
#endif

SPANLOG_BEGIN_NAMESPACE
namespace detail {

SPANLOG_ALWAYS_INLINE std::uint64_t ticks() noexcept {
#if SPANLOG_USE_TSC
  return __builtin_ia32_rdtsc();
#else
  timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
#endif
}

// Keeps the next clock read from running ahead of the instructions before it (RDTSC is not ordered with
// them): a timestamp that must come after a store that other threads look for.
SPANLOG_ALWAYS_INLINE void order_clock_after_stores() noexcept {
#if SPANLOG_USE_TSC
  __builtin_ia32_lfence();
#endif
}

}  // namespace detail
SPANLOG_END_NAMESPACE
