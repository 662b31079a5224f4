// Statistics-mode spans (SPANLOG_SPAN_STATS): for the hottest paths, where even a ring record per span is too
// much. Each call site gets a slot number once (as integer counters do, counter_slots.hpp), and each thread
// keeps, per slot, a histogram of durations in place: a few adds to memory only this thread writes, nothing
// in the ring, never dropped. The flusher reads what the histograms grew by once per flush interval and
// writes a `span_stats` line per thread and name.
//
// The buckets are the reader's own (tools/reader/histogram.hpp): 2^6 per power of two of nanoseconds, exact
// below 128 ns, so the reader adds the counts without re-bucketing and keeps its 1% bound.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

constexpr std::uint32_t stats_slot_count = SPANLOG_STATS_SLOTS;
static_assert(stats_slot_count >= 2 && stats_slot_count <= 4096, "SPANLOG_STATS_SLOTS: 2 to 4096");

constexpr unsigned stats_sub_bucket_bits = 6;
constexpr std::uint64_t stats_exact_below = std::uint64_t{2} << stats_sub_bucket_bits;
// Durations from 2^40 ns (18 minutes) on share the top bucket: no hot path runs that long per call.
constexpr unsigned stats_top_exponent = 40;
constexpr std::size_t stats_bucket_count =
    stats_exact_below +
    (stats_top_exponent - stats_sub_bucket_bits - 1) * (std::size_t{1} << stats_sub_bucket_bits);

// A value with its top bit at `exponent` keeps the stats_sub_bucket_bits bits below it; the bucket is
// 64 * shift + (ns >> shift), which is the reader's 128 + 64 * (shift - 1) + sub_bucket.
// Without a branch below the top: a value under 128 has its top bit lifted to bit 6 by the OR, so its shift
// is 0 and its bucket is itself.
SPANLOG_ALWAYS_INLINE std::size_t stats_bucket_of(std::uint64_t ns) {
  if (SPANLOG_UNLIKELY(ns >> stats_top_exponent)) return stats_bucket_count - 1;
  // 63 ^ clz is 63 - clz for a non-zero value, and compiles to the one `bsr` that 63 - clz would take three
  // for.
  const unsigned top_bit = 63u ^ static_cast<unsigned>(__builtin_clzll(ns | (stats_exact_below - 1)));
  const unsigned shift = top_bit - stats_sub_bucket_bits;
  return (std::size_t{shift} << stats_sub_bucket_bits) + static_cast<std::size_t>(ns >> shift);
}

// The smallest duration of a bucket, as the line writes it.
inline std::uint64_t stats_bucket_lower_bound(std::size_t bucket) {
  if (bucket < stats_exact_below) return bucket;
  const unsigned shift = static_cast<unsigned>(bucket >> stats_sub_bucket_bits) - 1;
  return (std::uint64_t{bucket & ((std::size_t{1} << stats_sub_bucket_bits) - 1)} +
          (std::uint64_t{1} << stats_sub_bucket_bits))
         << shift;
}

// A call site's slot number. Constant-initialized: a function-local `static` of it needs no guard.
struct StatsSlot {
  std::atomic<std::uint32_t> index{0};
};

// One site's spans on one thread. The recording thread alone writes the atomics (relaxed load and store);
// the flusher reads them and keeps, beside them, what it has written. Times are summed in ticks, which the
// flusher converts: a span converts only its bucket's duration. An unlabelled histogram of values
// (metric_recorder.hpp) has a cell of its own kind: the values' sum in total_ticks, their count in
// child_ticks.
struct StatsCell {
  std::atomic<std::uint64_t> total_ticks{0};
  std::atomic<std::uint64_t> child_ticks{0};  // what the spans' direct children took (self = total - this)
  // 32 bits: the flusher takes the growth every interval, so a bucket would need 4 billion spans in one to
  // wrap, and the unsigned difference is right across a wrap.
  std::atomic<std::uint32_t> buckets[stats_bucket_count] = {};

  std::uint64_t reported_total_ticks = 0, reported_child_ticks = 0;
  std::uint32_t reported_buckets[stats_bucket_count] = {};
};

// Nanoseconds per tick in 32.32 fixed point: a duration's nanoseconds are one multiply away.
constexpr unsigned stats_rate_fraction_bits = 32;

SPANLOG_ALWAYS_INLINE std::uint64_t stats_ticks_to_ns(std::uint64_t ticks, std::uint64_t ns_per_tick_q32) {
  __extension__ using Wide = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<Wide>(ticks) * ns_per_tick_q32) >> stats_rate_fraction_bits);
}

template <class T>
SPANLOG_ALWAYS_INLINE void add_relaxed(std::atomic<T>& to, T delta) {
  to.store(to.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

// What a statistics span saves of its thread's state at its begin and gives back at its end.
struct StatsFrame {
  std::uint64_t child_ticks;  // the enclosing statistics span's children so far
  std::uint64_t full_ticks;   // and the full spans among them (ThreadBuffer::stats_full_ticks)
  std::uint64_t outer;        // the full span the enclosing statistics span sits directly in, + 1 (0: none)
  std::uint64_t direct_full;  // the enclosing statistics span's open direct full child
};

}  // namespace detail
SPANLOG_END_NAMESPACE
