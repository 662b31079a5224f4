// The block policy's wait: a recording thread short of room sleeps until the flusher hands ring space back,
// instead of spinning with sched_yield, which on a busy machine gives the core to anything but the flusher.
// On Linux it is a futex on the low 32 bits of the flusher's position; elsewhere a short sleep.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

#include "../config.hpp"
#include "../detail/thread_buffer.hpp"
#include "runtime_constants.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

#if defined(__linux__)
// The 32 bits of `consumed` that change with every hand-back: its low half.
inline std::uint32_t* consumed_futex_word(ThreadBuffer& b) {
  auto* word = reinterpret_cast<std::uint32_t*>(&b.consumed);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  ++word;
#endif
  return word;
}
#endif

// The flusher's side: space up to `pos` is free again; a thread asleep for it is woken. The fence orders the
// store of the position before the read of the waiting flag, against the thread's flag-then-position order,
// so that one of the two always sees the other.
inline void hand_back(ThreadBuffer& b, std::uint64_t pos) {
  b.consumed.store(pos, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (b.producer_waiting.load(std::memory_order_relaxed) != 0) {
#if defined(__linux__)
    ::syscall(SYS_futex, consumed_futex_word(b), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
#endif
  }
}

// The recording thread's side: sleeps while the flusher's position is still `seen`, 1 ms at most (so that a
// stopped run or a missed wake costs a millisecond, never a hang).
inline void wait_for_hand_back(ThreadBuffer& b, std::uint64_t seen) {
  b.producer_waiting.store(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (b.consumed.load(std::memory_order_relaxed) == seen) {
#if defined(__linux__)
    timespec limit{0, block_wait_ns};
    ::syscall(SYS_futex, consumed_futex_word(b), FUTEX_WAIT_PRIVATE, static_cast<std::uint32_t>(seen), &limit,
              nullptr, 0);
#else
    std::this_thread::sleep_for(std::chrono::microseconds(50));
#endif
  }
  b.producer_waiting.store(0, std::memory_order_relaxed);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
