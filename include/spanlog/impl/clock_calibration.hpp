// Turning the hot path's ticks into Unix-epoch nanoseconds: the clocks read beside them, the check that the
// TSC is invariant, and the calibration the flusher applies to every timestamp it writes.
#pragma once
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <thread>

#include "../config.hpp"
#include "../detail/clock.hpp"
#include "runtime_constants.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

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

// Ticks to Unix-epoch nanoseconds: an anchor taken at start and a rate measured against steady_clock.
// The first run of a process starts with a rate measured over 2 ms, so the flusher can drain at once, and
// refines it once 50 ms have passed; the conversion stays continuous there (piecewise linear), so no
// timestamp jumps. Later runs reuse the refined rate.
struct ClockCalibration {
  std::uint64_t anchor_ticks = 0;
  std::int64_t anchor_ns = 0;
  std::int64_t anchor_steady_ns = 0;
  double ns_per_tick = 1.0;
  std::uint64_t refined_at_ticks = ~std::uint64_t{0};  // from here on `refined_ns_per_tick` applies
  std::int64_t refined_at_ns = 0;
  double refined_ns_per_tick = 1.0;
  bool refined = false;
  bool measured = false;  // the first estimate is in ns_per_tick (the crash handler makes one otherwise)

  std::int64_t to_ns(std::uint64_t t) const {
    if (t >= refined_at_ticks)
      return refined_at_ns +
             static_cast<std::int64_t>(static_cast<double>(t - refined_at_ticks) * refined_ns_per_tick);
    const auto delta = static_cast<std::int64_t>(t - anchor_ticks);
    return anchor_ns + static_cast<std::int64_t>(static_cast<double>(delta) * ns_per_tick);
  }
  double current_ns_per_tick() const { return refined ? refined_ns_per_tick : ns_per_tick; }
  double ticks_per_second() const { return 1e9 / current_ns_per_tick(); }

  // A (ticks, steady ns) pair read as close together as the machine allows: the tightest of a few brackets.
  static void paired_reading(std::uint64_t& t, std::int64_t& steady) {
    std::int64_t best = INT64_MAX;
    for (int i = 0; i < 5; ++i) {
      const std::int64_t a = steady_ns();
      const std::uint64_t tk = ticks();
      const std::int64_t b = steady_ns();
      if (b - a < best) best = b - a, t = tk, steady = a + (b - a) / 2;
    }
  }

  static std::atomic<double>& process_rate() {
    static std::atomic<double> rate{0.0};
    return rate;
  }

  void start() {
    paired_reading(anchor_ticks, anchor_steady_ns);
    anchor_ns = system_ns() - (steady_ns() - anchor_steady_ns);
  }

  double rate_since_anchor() const {
    std::uint64_t t = 0;
    std::int64_t s = 0;
    paired_reading(t, s);
    return t > anchor_ticks
               ? static_cast<double>(s - anchor_steady_ns) / static_cast<double>(t - anchor_ticks)
               : ns_per_tick;
  }

  // The first estimate: the process's refined rate, or one measured over 2 ms. `while_waiting` is called
  // between the readings (the flusher parks there when the program crashes).
  template <class WhileWaiting>
  void measure_initial_rate(WhileWaiting&& while_waiting) {
#if SPANLOG_USE_TSC
    if (const double known = process_rate().load(std::memory_order_acquire); known > 0) {
      // Refined already: to_ns keeps to ns_per_tick (refined_at_ticks never comes), and current_ns_per_tick,
      // which durations and the header's tsc_hz take, reads refined_ns_per_tick.
      ns_per_tick = refined_ns_per_tick = known;
      refined = measured = true;
      return;
    }
    while (steady_ns() < anchor_steady_ns + calibration_initial_ns) {
      while_waiting();
      std::this_thread::yield();
    }
    ns_per_tick = rate_since_anchor();
#else
    (void)while_waiting;
    refined = true;
#endif
    measured = true;
  }

  // In the crash handler, when the flusher had not measured a rate yet: one measured over whatever time has
  // passed since the anchor (clock_gettime and the TSC only, both async-signal-safe). A crash within
  // microseconds of the start has little time to measure over, but then every timestamp is that close to the
  // anchor too, so the error in nanoseconds stays as small.
  void measure_rate_in_crash() {
    if (measured) return;
#if SPANLOG_USE_TSC
    if (const double known = process_rate().load(std::memory_order_acquire); known > 0) {
      ns_per_tick = known;
    } else {
      const double rate = rate_since_anchor();
      if (rate > 0) ns_per_tick = rate;
    }
#endif
    measured = true;
  }

  // Called each cycle: once 50 ms have passed, switches to the rate measured over them. Returns whether it
  // did.
  bool refine_if_due() {
#if SPANLOG_USE_TSC
    if (refined || steady_ns() < anchor_steady_ns + calibration_refined_ns) return false;
    const double rate = rate_since_anchor();
    refine_at(ticks(), rate);
    process_rate().store(rate, std::memory_order_release);
    return true;
#else
    return false;
#endif
  }

  // From `now` on, `rate`: the new line starts where the old one is at `now`, so no timestamp jumps and a
  // duration across the switch is the sum of its two parts. Takes the reading as arguments, so a test can
  // drive it with a clock of its own.
  void refine_at(std::uint64_t now, double rate) {
    refined_at_ns = to_ns(now);
    refined_at_ticks = now;
    refined_ns_per_tick = rate;
    refined = true;
  }
};

}  // namespace detail
SPANLOG_END_NAMESPACE
