// The hot path of statistics spans (span_stats.hpp): a begin that saves the thread's statistics state and
// reads the clock, an end that reads it again and adds to the thread's histogram for the site. Nothing goes
// through the ring, except, when a statistics span sits directly in a full span, the time that full span is
// owed (written before that span's end, or when another full span comes to be owed).
#pragma once
#include <atomic>
#include <cstdint>

#include "../config.hpp"
#include "clock.hpp"
#include "recorder.hpp"
#include "slow_paths.hpp"
#include "span_stats.hpp"
#include "thread_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// The calling thread's buffer when spans are being taken: sampling does not apply (the counts are exact).
SPANLOG_ALWAYS_INLINE ThreadBuffer* stats_buffer() {
  constexpr std::uint32_t all_on = flag_running | flag_spans | flag_events | flag_metrics;
  ThreadBuffer* b = tl_buffer;
  if (SPANLOG_LIKELY(b != nullptr && g_flags.load(std::memory_order_relaxed) == all_on)) return b;
  return buffer_slow(flag_spans, false);
}

// The site's first span on this thread (or in the process), or every slot taken: then counted as dropped.
SPANLOG_NOINLINE inline StatsCell* stats_cell_slow(ThreadBuffer& b, const Site& s, StatsSlot& slot) {
  StatsCell* cell = slow::stats_cell_for(b, s, slot);
  if (!cell) count_dropped_span(b, &s, nullptr);
  return cell;
}

// The thread's histogram for the site, or nullptr when the span is not recorded.
SPANLOG_ALWAYS_INLINE StatsCell* stats_cell_of(ThreadBuffer& b, const Site& s, StatsSlot& slot) {
  const std::uint32_t index = slot.index.load(std::memory_order_relaxed);
  StatsCell* cell = index ? b.stats_cells[index].load(std::memory_order_relaxed) : nullptr;
  if (SPANLOG_LIKELY(cell != nullptr)) return cell;
  return stats_cell_slow(b, s, slot);
}

// Returns the clock at the begin.
SPANLOG_ALWAYS_INLINE std::uint64_t stats_span_begin(ThreadBuffer& b, StatsFrame& saved) {
  saved.child_ticks = b.stats_child_ticks;
  saved.full_ticks = b.stats_full_ticks;
  saved.outer = b.stats_outer;
  saved.direct_full = b.stats_direct_full;
  b.stats_child_ticks = 0;
  b.stats_full_ticks = 0;
  b.stats_outer = b.current_span + 1;
  b.stats_direct_full = 0;
  return ticks();
}

// A statistics span directly in the full span `outer` ended after `ticks`: that span is owed them. Time owed
// to another span goes into the ring first (that span is still open: its end would have written it).
SPANLOG_NOINLINE inline void stats_owe(ThreadBuffer& b, std::uint64_t outer, std::uint64_t duration) {
  if (b.stats_owed_to != outer) {
    if (b.stats_owed_to != 0) write_stats_owed(b);
    b.stats_owed_to = outer;
  }
  b.stats_owed_ticks += duration;
}

SPANLOG_ALWAYS_INLINE void stats_span_end(ThreadBuffer& b, StatsCell& cell, std::uint64_t start,
                                          const StatsFrame& saved) {
  const std::uint64_t end = ticks();
  const std::uint64_t duration = end - start;
  const std::uint64_t children = b.stats_child_ticks;
  const std::uint64_t full = b.stats_full_ticks;
  const std::uint64_t outer_tag = b.stats_outer;
  b.stats_child_ticks = saved.child_ticks;
  b.stats_full_ticks = saved.full_ticks;
  b.stats_outer = saved.outer;
  b.stats_direct_full = saved.direct_full;
  // Directly in the enclosing statistics span (no full span between): its child, and its full spans are
  // that one's too. Else the full span it sits in is owed its time, less the full spans within it, which
  // the file shows as that span's children (a statistics span further out sees that full span's whole time).
  if (saved.outer == outer_tag) {
    b.stats_child_ticks += duration;
    b.stats_full_ticks += full;
  } else if (outer_tag != 1) {
    stats_owe(b, outer_tag - 1, duration - full);
  }
  add_relaxed(cell.total_ticks, duration);
  add_relaxed(cell.child_ticks, children);
  const std::uint64_t ns = stats_ticks_to_ns(duration, b.stats_ns_per_tick.load(std::memory_order_relaxed));
  add_relaxed(cell.buckets[stats_bucket_of(ns)], std::uint32_t{1});
}

}  // namespace detail
SPANLOG_END_NAMESPACE
