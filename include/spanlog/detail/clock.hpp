// The hot path's clock: raw TSC ticks on x86-64, steady_clock nanoseconds elsewhere. Never a system call.
// Converting ticks to nanoseconds is the flusher's job (see calibration in flusher.hpp).
#pragma once
#include <chrono>
#include <cstdint>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

SPANLOG_ALWAYS_INLINE std::uint64_t ticks() noexcept {
#if SPANLOG_USE_TSC
  return __builtin_ia32_rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
#endif
}

inline std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t system_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every power state.
inline bool tsc_is_invariant() noexcept {
#if SPANLOG_USE_TSC && (defined(__GNUC__) || defined(__clang__))
  unsigned eax = 0x80000000u, ebx = 0, ecx = 0, edx = 0;
  __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
  if (eax < 0x80000007u) return false;
  eax = 0x80000007u;
  ecx = 0;
  __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
  return (edx & (1u << 8)) != 0;
#else
  return true;
#endif
}

}  // namespace detail
SPANLOG_END_NAMESPACE
