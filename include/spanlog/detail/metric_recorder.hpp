// Metrics beyond the unlabelled counter and gauge: values with labels, and histograms of values.
//
// A labelled value is a ring record (the labels' strings are copied): the flusher sums each series, a
// metric's name and label set, over every thread per flush interval. An unlabelled histogram is kept in place
// as statistics spans are (span_stats.hpp): each thread adds to its own log-bucketed histogram for the call
// site, and the flusher writes what it grew by. Nothing in the ring, never dropped for want of room.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../config.hpp"
#include "attr_check.hpp"
#include "recorder.hpp"
#include "slow_paths.hpp"
#include "span_stats.hpp"
#include "thread_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// A value as the ring carries it: an integer as int64, a floating-point value as a double's bits.
template <class T>
SPANLOG_ALWAYS_INLINE std::uint64_t metric_value_bits(T value) {
  if constexpr (std::is_floating_point_v<T>) {
    const double d = static_cast<double>(value);
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    return bits;
  } else {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(value));
  }
}

// One value of a labelled series. No timestamp: the series' line carries the time of the flusher's drain.
template <class... L>
void labelled_metric(const Site& s, std::uint64_t bits, const L&... labels) {
  if (ThreadBuffer* b = buffer_for<flag_metrics>()) {
    if (!write_extended(*b, &s, ExtendedOp::metric, bits, 0, 0, 0, false, labels...))
      ThreadBuffer::count(b->dropped_metrics);
  }
}

template <class T, class Key, class... L>
SPANLOG_ALWAYS_INLINE void counter_add(const Site& s, CounterSlot&, T delta, const Key& key,
                                       const L&... labels) {
  static_assert(std::is_arithmetic_v<T>, "spanlog counters and gauges take a number");
  static_assert(labels_valid<Key, L...>());
  labelled_metric(s, metric_value_bits(delta), key, labels...);
}

template <class T, class Key, class... L>
SPANLOG_ALWAYS_INLINE void gauge_set(const Site& s, T value, const Key& key, const L&... labels) {
  static_assert(std::is_arithmetic_v<T>, "spanlog counters and gauges take a number");
  static_assert(labels_valid<Key, L...>());
  labelled_metric(s, metric_value_bits(static_cast<double>(value)), key, labels...);
}

// A histogram takes non-negative values: a negative one is refused and counted as a dropped metric.
SPANLOG_NOINLINE inline void refuse_histogram_value() {
  if (ThreadBuffer* b = buffer_for<flag_metrics>()) ThreadBuffer::count(b->dropped_metrics);
}

// The site's first value on this thread (or in the process), or every statistics slot taken: then counted
// as a dropped metric.
SPANLOG_NOINLINE inline StatsCell* histogram_cell_slow(const Site& s, StatsSlot& slot) {
  ThreadBuffer* b = buffer_slow(flag_metrics);
  if (!b) return nullptr;
  StatsCell* cell = slow::stats_cell_for(*b, s, slot);
  if (!cell) ThreadBuffer::count(b->dropped_metrics);
  return cell;
}

// An add to memory that only this thread writes, as one instruction: see add_to_slot (recorder.hpp), whose
// reasoning it shares; ThreadSanitizer builds take the atomic's load and store.
template <class T>
SPANLOG_ALWAYS_INLINE void add_in_place(std::atomic<T>& to, T delta) {
  static_assert(sizeof(T) == 8 || sizeof(T) == 4, "an 8- or 4-byte counter");
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(SPANLOG_TSAN_BUILD)
  if constexpr (sizeof(T) == 8)
    __asm__ volatile("addq %1, %0" : "+m"(to) : "er"(delta));
  else
    __asm__ volatile("addl %1, %0" : "+m"(to) : "ir"(delta));
#else
  to.store(to.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
#endif
}

// In the histogram's cell, total_ticks holds the sum of the values and child_ticks their count (what tells
// the flusher that a cell of zeros grew).
SPANLOG_ALWAYS_INLINE void add_to_histogram(StatsCell& cell, std::uint64_t value) {
  add_in_place(cell.total_ticks, value);
  add_in_place(cell.child_ticks, std::uint64_t{1});
  add_in_place(cell.buckets[stats_bucket_of(value)], std::uint32_t{1});
}

template <class T>
SPANLOG_ALWAYS_INLINE void histogram_record(const Site& s, StatsSlot& slot, T value) {
  static_assert(is_histogram_value<T>, SPANLOG_HISTOGRAM_VALUE_MESSAGE_);
  if constexpr (std::is_signed_v<T>) {
    if (SPANLOG_UNLIKELY(value < 0)) return refuse_histogram_value();
  }
  constexpr std::uint32_t all_on = flag_running | flag_spans | flag_events | flag_metrics;
  ThreadBuffer* b = tl_buffer;
  StatsCell* cell = nullptr;
  // Slot 0 ("no number yet") never holds a cell: one test covers a site without a number and a thread
  // without a cell for it.
  if (SPANLOG_LIKELY(b != nullptr && g_flags.load(std::memory_order_relaxed) == all_on))
    cell = b->stats_cells[slot.index.load(std::memory_order_relaxed)].load(std::memory_order_relaxed);
  if (SPANLOG_UNLIKELY(cell == nullptr) && !(cell = histogram_cell_slow(s, slot))) return;
  add_to_histogram(*cell, static_cast<std::uint64_t>(value));
}

template <class T, class Key, class... L>
SPANLOG_ALWAYS_INLINE void histogram_record(const Site& s, StatsSlot&, T value, const Key& key,
                                            const L&... labels) {
  static_assert(is_histogram_value<T>, SPANLOG_HISTOGRAM_VALUE_MESSAGE_);
  static_assert(labels_valid<Key, L...>());
  if constexpr (std::is_signed_v<T>) {
    if (SPANLOG_UNLIKELY(value < 0)) return refuse_histogram_value();
  }
  labelled_metric(s, static_cast<std::uint64_t>(value), key, labels...);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
