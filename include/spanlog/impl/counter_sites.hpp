// Which call site each integer counter's slot number belongs to (detail/counter_slots.hpp), for the flusher
// to name the sums it reads.
#pragma once
#include <cstdint>

#include "../config.hpp"
#include "../detail/counter_slots.hpp"
#include "../detail/record.hpp"
#include "site_slots.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline SiteSlots<counter_slot_count> g_counter_sites;

inline std::uint32_t give_counter_slot(const Site& s, CounterSlot& slot) {
  return g_counter_sites.give(s, slot);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
