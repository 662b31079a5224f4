// Integer counters accumulate in place: each counter call site gets a slot number once, and every recording
// thread adds into its own slot of that number (a plain add to memory, no record in the ring). The flusher
// reads each thread's sums once per flush interval and writes what they grew by. A counter add therefore
// never waits for room and is never dropped; a full ring loses spans and events, not counts.
#pragma once
#include <atomic>
#include <cstdint>

#include "../config.hpp"
#include "record.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// Slots per thread; slot 0 means "no number yet" (config.hpp).
constexpr std::uint32_t counter_slot_count = SPANLOG_COUNTER_SLOTS;
static_assert(counter_slot_count >= 2 && counter_slot_count <= 65536, "SPANLOG_COUNTER_SLOTS: 2 to 65536");

// A call site's slot number. Constant-initialized: a function-local `static` of it needs no guard.
struct counter_slot {
  std::atomic<std::uint32_t> index{0};
};

// Which site each slot number belongs to, for the flusher; g_counter_slots_taken may run past the count.
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
SPANLOG_NOINLINE inline std::uint32_t counter_slot_for(const site& s, counter_slot& slot) {
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

}  // namespace detail
SPANLOG_END_NAMESPACE
