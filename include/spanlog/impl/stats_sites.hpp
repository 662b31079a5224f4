// Which call site each statistics-span slot number belongs to (detail/span_stats.hpp), and the histograms
// threads make for them. Kept by the image that holds the session, as counter_sites.hpp keeps the counters'.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

#include "../config.hpp"
#include "../detail/record.hpp"
#include "../detail/span_stats.hpp"
#include "../detail/thread_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// g_stats_slots_taken may run past the count.
inline std::atomic<const site*> g_stats_sites[stats_slot_count] = {};
inline std::atomic<std::uint32_t> g_stats_slots_taken{1};

// What statistics spans convert ticks with (32.32 fixed point): the flusher's rate, for rings made before the
// flusher sees them.
inline std::atomic<std::uint64_t> g_stats_ns_per_tick{0};

inline std::uint64_t stats_rate_of(double ns_per_tick) {
  return static_cast<std::uint64_t>(ns_per_tick *
                                    static_cast<double>(std::uint64_t{1} << stats_rate_fraction_bits));
}

inline std::uint32_t stats_slots_in_use() {
  const std::uint32_t taken = g_stats_slots_taken.load(std::memory_order_acquire);
  return taken < stats_slot_count ? taken : stats_slot_count;
}

// The site's number, given on first use without a lock (see give_counter_slot); 0 when every slot is taken.
inline std::uint32_t give_stats_slot(const site& s, stats_slot& slot) {
  if (const std::uint32_t known = slot.index.load(std::memory_order_acquire)) return known;
  if (g_stats_slots_taken.load(std::memory_order_relaxed) >= stats_slot_count) return 0;
  const std::uint32_t mine = g_stats_slots_taken.fetch_add(1, std::memory_order_acq_rel);
  if (mine >= stats_slot_count) return 0;
  g_stats_sites[mine].store(&s, std::memory_order_release);
  std::uint32_t expected = 0;
  if (slot.index.compare_exchange_strong(expected, mine, std::memory_order_acq_rel)) return mine;
  return expected;
}

// The thread's histogram for the site: made here on the site's first span on the thread (zeroed; the flusher
// finds it through the release), the only allocation a statistics span makes.
inline stats_cell* make_stats_cell(thread_buffer& b, const site& s, stats_slot& slot) {
  const std::uint32_t index = give_stats_slot(s, slot);
  if (!index) return nullptr;
  if (stats_cell* known = b.stats_cells[index].load(std::memory_order_relaxed)) return known;
  auto* cell = new (std::nothrow) stats_cell();
  if (cell) b.stats_cells[index].store(cell, std::memory_order_release);
  return cell;
}

// An image is being unloaded: its sites' names move to memory that stays (see keep_counter_sites_of).
inline void keep_stats_sites_of(std::uintptr_t begin, std::uintptr_t end) {
  const std::uint32_t used = stats_slots_in_use();
  for (std::uint32_t i = 1; i < used; ++i) {
    const site* s = g_stats_sites[i].load(std::memory_order_acquire);
    const auto at = reinterpret_cast<std::uintptr_t>(s);
    if (!s || at < begin || at >= end) continue;
    const std::size_t length = std::strlen(s->name);
    char* name = new char[length + 1];  // never freed: the slot's number is never given again
    std::memcpy(name, s->name, length + 1);
    g_stats_sites[i].store(new site{name, "", "", 0, s->kind}, std::memory_order_release);
  }
}

}  // namespace detail
SPANLOG_END_NAMESPACE
