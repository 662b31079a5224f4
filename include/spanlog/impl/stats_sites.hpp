// Which call site each statistics-span slot number belongs to (detail/span_stats.hpp), and the histograms
// threads make for them. Kept by the image that holds the session (site_slots.hpp).
#pragma once
#include <atomic>
#include <cstdint>
#include <new>

#include "../config.hpp"
#include "../detail/record.hpp"
#include "../detail/span_stats.hpp"
#include "../detail/thread_buffer.hpp"
#include "site_slots.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline SiteSlots<stats_slot_count> g_stats_sites;

// What statistics spans convert ticks with (32.32 fixed point): the flusher's rate, for rings made before the
// flusher sees them.
inline std::atomic<std::uint64_t> g_stats_ns_per_tick{0};

inline std::uint64_t stats_rate_of(double ns_per_tick) {
  return static_cast<std::uint64_t>(ns_per_tick *
                                    static_cast<double>(std::uint64_t{1} << stats_rate_fraction_bits));
}

// The thread's histogram for the site: made here on the site's first span on the thread (zeroed; the flusher
// finds it through the release), the only allocation a statistics span makes.
inline StatsCell* make_stats_cell(ThreadBuffer& b, const Site& s, StatsSlot& slot) {
  const std::uint32_t index = g_stats_sites.give(s, slot);
  if (!index) return nullptr;
  if (StatsCell* known = b.stats_cells[index].load(std::memory_order_relaxed)) return known;
  auto* cell = new (std::nothrow) StatsCell();
  if (cell) b.stats_cells[index].store(cell, std::memory_order_release);
  return cell;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
