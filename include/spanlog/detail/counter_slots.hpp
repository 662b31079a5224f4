// Integer counters accumulate in place: each counter call site gets a slot number once, and every recording
// thread adds into its own slot of that number (a plain add to memory, no record in the ring). The flusher
// reads each thread's sums once per flush interval and writes what they grew by. A counter add therefore
// never waits for room and is never dropped; a full ring loses spans and events, not counts. Numbers are
// given out by the implementation (impl/counter_sites.hpp, on impl/site_slots.hpp).
#pragma once
#include <atomic>
#include <cstdint>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// Slots per thread; slot 0 means "no number yet" (config.hpp).
constexpr std::uint32_t counter_slot_count = SPANLOG_COUNTER_SLOTS;
static_assert(counter_slot_count >= 2 && counter_slot_count <= 65536, "SPANLOG_COUNTER_SLOTS: 2 to 65536");

// A call site's slot number. Constant-initialized: a function-local `static` of it needs no guard.
struct CounterSlot {
  std::atomic<std::uint32_t> index{0};
};

}  // namespace detail
SPANLOG_END_NAMESPACE
