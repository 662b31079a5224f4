// Integer counters accumulate in place: each counter call site gets a slot number once, and every recording
// thread adds into its own slot of that number (a plain add to memory, no record in the ring). The flusher
// reads each thread's sums once per flush interval and writes what they grew by. A counter add therefore never
// waits for room and is never dropped; a full ring loses spans and events, not counts.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>

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

// Which site each slot number belongs to, for the flusher. Written once per site, under the mutex.
inline std::atomic<const site*> g_counter_sites[counter_slot_count] = {};
inline std::atomic<std::uint32_t> g_counter_sites_used{1};
inline std::atomic<bool> g_counter_sites_full{false};
inline std::mutex g_counter_sites_mutex;

// The site's slot number, given on first use; 0 when every slot is taken.
SPANLOG_NOINLINE inline std::uint32_t counter_slot_for(const site& s, counter_slot& slot) {
  if (const std::uint32_t known = slot.index.load(std::memory_order_acquire)) return known;
  if (g_counter_sites_full.load(std::memory_order_relaxed)) return 0;
  std::lock_guard<std::mutex> lock(g_counter_sites_mutex);
  if (const std::uint32_t known = slot.index.load(std::memory_order_relaxed)) return known;
  const std::uint32_t next = g_counter_sites_used.load(std::memory_order_relaxed);
  if (next == counter_slot_count) {
    g_counter_sites_full.store(true, std::memory_order_relaxed);
    return 0;
  }
  // The site is known before its number is used: the flusher never sees a sum it cannot name.
  g_counter_sites[next].store(&s, std::memory_order_release);
  g_counter_sites_used.store(next + 1, std::memory_order_release);
  slot.index.store(next, std::memory_order_release);
  return next;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
