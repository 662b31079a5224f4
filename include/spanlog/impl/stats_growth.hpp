// What a thread's statistics-span histograms (detail/span_stats.hpp) grew by since the flusher last took
// it: written as a `span_stats` line's figures by the flusher and by the crash handler, or counted as lost
// for spans that ended between runs.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "../config.hpp"
#include "../detail/span_stats.hpp"
#include "../detail/thread_buffer.hpp"
#include "stats_sites.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// ,"buckets":[[lower,count],…],"count":N for what the cell's buckets grew by since they were last taken, and
// takes it; returns N. The count comes last, as the sum of the buckets written, so the line agrees with
// itself while the thread goes on adding. Allocates nothing: the crash handler uses it too.
template <class Writer>
std::uint64_t write_bucket_growth(Writer& w, StatsCell& cell) {
  w.raw(",\"buckets\":[");
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < stats_bucket_count; ++i) {
    const std::uint32_t now = cell.buckets[i].load(std::memory_order_relaxed);
    const std::uint32_t grown = now - cell.reported_buckets[i];
    if (!grown) continue;
    w.raw(count ? ",[" : "[");
    w.u64(stats_bucket_lower_bound(i));
    w.raw(',');
    w.u64(grown);
    w.raw(']');
    cell.reported_buckets[i] = now;
    count += grown;
  }
  w.raw("],\"count\":");
  w.u64(count);
  return count;
}

// ,"total_ns":…,"self_ns":…,"buckets":…,"count":N for a statistics span's cell; returns N.
template <class Writer>
std::uint64_t write_stats_growth(Writer& w, StatsCell& cell, double ns_per_tick) {
  // A span adds its total before its children's time, so the children read first are all covered by the
  // total read after; what a clock read on another core pushes past the total waits for the next line.
  const std::uint64_t children = cell.child_ticks.load(std::memory_order_relaxed);
  const std::uint64_t total = cell.total_ticks.load(std::memory_order_relaxed);
  const std::uint64_t total_grown = total - cell.reported_total_ticks;
  const std::uint64_t children_grown = std::min(children - cell.reported_child_ticks, total_grown);
  cell.reported_total_ticks = total;
  cell.reported_child_ticks += children_grown;
  const auto total_ns = static_cast<std::uint64_t>(static_cast<double>(total_grown) * ns_per_tick);
  const auto children_ns = static_cast<std::uint64_t>(static_cast<double>(children_grown) * ns_per_tick);
  w.raw(",\"total_ns\":");
  w.u64(total_ns);
  w.raw(",\"self_ns\":");
  w.u64(total_ns - std::min(children_ns, total_ns));
  return write_bucket_growth(w, cell);
}

// ,"sum":…,"buckets":…,"count":N for a histogram's cell (detail/metric_recorder.hpp: the sum of the values in
// total_ticks, their count in child_ticks); returns N.
template <class Writer>
std::uint64_t write_value_histogram_growth(Writer& w, StatsCell& cell) {
  // A value adds to the sum before the count: every value the count read first holds is in the sum read
  // after, and a value in the sum alone is counted, and so written, next time.
  cell.reported_child_ticks = cell.child_ticks.load(std::memory_order_relaxed);
  const std::uint64_t sum = cell.total_ticks.load(std::memory_order_relaxed);
  w.raw(",\"sum\":");
  w.u64(sum - cell.reported_total_ticks);
  cell.reported_total_ticks = sum;
  return write_bucket_growth(w, cell);
}

// Calls grew(site, cell) for each statistics site of the ring whose histogram has spans (or values) not yet
// taken. A histogram's count tells, as its sum of values does not when they are zeros.
template <class Grew>
void for_each_grown_stats_cell(ThreadBuffer& b, Grew&& grew) {
  const std::uint32_t used = g_stats_sites.in_use();
  for (std::uint32_t i = 1; i < used; ++i) {
    StatsCell* cell = b.stats_cells[i].load(std::memory_order_acquire);
    if (!cell) continue;
    const Site* s = g_stats_sites.site_of(i);
    if (!s) continue;  // its number is being given this instant: taken next time
    const bool grown = s->kind == SiteKind::histogram
                           ? cell->child_ticks.load(std::memory_order_relaxed) != cell->reported_child_ticks
                           : cell->total_ticks.load(std::memory_order_relaxed) != cell->reported_total_ticks;
    if (grown) grew(s, *cell);
  }
}

// What a thread recorded in place while no run was active belongs to no run: counted as dropped then.
struct LostBetweenRuns {
  std::uint64_t spans = 0;   // statistics spans
  std::uint64_t values = 0;  // histogram values
};
inline LostBetweenRuns take_stats_between_runs(ThreadBuffer& b) {
  LostBetweenRuns lost;
  for_each_grown_stats_cell(b, [&](const Site* s, StatsCell& cell) {
    struct CountingWriter {
      void raw(const char*) {}
      void raw(char) {}
      void u64(std::uint64_t) {}
    } nowhere;
    if (s->kind == SiteKind::histogram)
      lost.values += write_value_histogram_growth(nowhere, cell);
    else
      lost.spans += write_stats_growth(nowhere, cell, 1.0);
  });
  return lost;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
