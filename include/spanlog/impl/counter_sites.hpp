// Which call site each counter slot number belongs to (detail/counter_slots.hpp), for the flusher to name the
// sums it reads. Kept by the image that holds the session: every image of the process takes its numbers here,
// so one number means one site in every thread's ring.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>

#include "../config.hpp"
#include "../detail/counter_slots.hpp"
#include "../detail/record.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// g_counter_slots_taken may run past the count.
inline std::atomic<const site*> g_counter_sites[counter_slot_count] = {};
inline std::atomic<std::uint32_t> g_counter_slots_taken{1};

// The slot numbers the flusher looks at.
inline std::uint32_t counter_slots_in_use() {
  const std::uint32_t taken = g_counter_slots_taken.load(std::memory_order_acquire);
  return taken < counter_slot_count ? taken : counter_slot_count;
}

// The site's slot number, given on first use; 0 when every slot is taken. Without a lock, so that a forked
// child never waits for a thread of its parent: two threads that give a site its first add at once each take
// a number, and the one whose number is not kept leaves an empty slot behind.
inline std::uint32_t give_counter_slot(const site& s, counter_slot& slot) {
  if (const std::uint32_t known = slot.index.load(std::memory_order_acquire)) return known;
  if (g_counter_slots_taken.load(std::memory_order_relaxed) >= counter_slot_count) return 0;
  const std::uint32_t mine = g_counter_slots_taken.fetch_add(1, std::memory_order_acq_rel);
  if (mine >= counter_slot_count) return 0;
  // The site is known before its number is used: the flusher never sees a sum it cannot name.
  g_counter_sites[mine].store(&s, std::memory_order_release);
  std::uint32_t expected = 0;
  if (slot.index.compare_exchange_strong(expected, mine, std::memory_order_acq_rel)) return mine;
  return expected;
}

// An image is being unloaded: its sites' numbers stay taken (the sums live on in the rings), and their names
// move to memory that stays, so the flusher never reads text that is no longer mapped.
inline void keep_counter_sites_of(std::uintptr_t begin, std::uintptr_t end) {
  const std::uint32_t used = counter_slots_in_use();
  for (std::uint32_t i = 1; i < used; ++i) {
    const site* s = g_counter_sites[i].load(std::memory_order_acquire);
    const auto at = reinterpret_cast<std::uintptr_t>(s);
    if (!s || at < begin || at >= end) continue;
    const std::size_t length = std::strlen(s->name);
    char* name = new char[length + 1];  // never freed: the slot's number is never given again
    std::memcpy(name, s->name, length + 1);
    g_counter_sites[i].store(new site{name, "", "", 0, s->kind}, std::memory_order_release);
  }
}

}  // namespace detail
SPANLOG_END_NAMESPACE
