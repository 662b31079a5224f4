// Numbers for the call sites that keep a slot in every thread's ring (integer counters, statistics spans),
// and the site each number belongs to, for the flusher to name what it reads. Kept by the image that holds
// the session: every image of the process takes its numbers here, so one number means one site in every
// thread's ring. Numbers start at 1: 0 means "none given".
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>

#include "../config.hpp"
#include "../detail/record.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

template <std::uint32_t Count>
class SiteSlots {
 public:
  // The slot numbers the flusher looks at.
  std::uint32_t in_use() const {
    const std::uint32_t taken = taken_.load(std::memory_order_acquire);
    return taken < Count ? taken : Count;
  }

  // The site slot `number` belongs to; nullptr while the number is being given (read it next time).
  const Site* site_of(std::uint32_t number) const { return sites_[number].load(std::memory_order_acquire); }

  // The site's slot number, given on first use; 0 when every slot is taken. Without a lock, so that a forked
  // child never waits for a thread of its parent: two threads that give a site its first use at once each
  // take a number, and the one whose number is not kept leaves an empty slot behind. `Slot` is the site's
  // static holder of its number (an atomic `index`).
  template <class Slot>
  std::uint32_t give(const Site& s, Slot& slot) {
    if (const std::uint32_t known = slot.index.load(std::memory_order_acquire)) return known;
    if (taken_.load(std::memory_order_relaxed) >= Count) return 0;
    const std::uint32_t mine = taken_.fetch_add(1, std::memory_order_acq_rel);
    if (mine >= Count) return 0;
    // The site is known before its number is used: the flusher never sees a slot it cannot name.
    sites_[mine].store(&s, std::memory_order_release);
    std::uint32_t expected = 0;
    if (slot.index.compare_exchange_strong(expected, mine, std::memory_order_acq_rel)) return mine;
    return expected;
  }

  // An image is being unloaded: its sites' numbers stay taken (what they counted lives on in the rings), and
  // their names move to memory that stays, so the flusher never reads text that is no longer mapped.
  void keep_sites_of(std::uintptr_t begin, std::uintptr_t end) {
    const std::uint32_t used = in_use();
    for (std::uint32_t i = 1; i < used; ++i) {
      const Site* s = site_of(i);
      const auto at = reinterpret_cast<std::uintptr_t>(s);
      if (!s || at < begin || at >= end) continue;
      const std::size_t length = std::strlen(s->name);
      char* name = new char[length + 1];  // never freed: the slot's number is never given again
      std::memcpy(name, s->name, length + 1);
      sites_[i].store(new Site{name, "", "", 0, s->kind}, std::memory_order_release);
    }
  }

 private:
  std::atomic<const Site*> sites_[Count] = {};
  std::atomic<std::uint32_t> taken_{1};  // may run past Count
};

}  // namespace detail
SPANLOG_END_NAMESPACE
