// Rings for recording threads: made on a thread's first record, shared by every image that records on that
// thread, handed to the flusher when the thread exits and given again to a new thread once drained. And the
// slow path of a ring past its high-water mark.
#pragma once
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>

#include "../config.hpp"
#include "../detail/recorder.hpp"
#include "../detail/thread_buffer.hpp"
#include "crash_points.hpp"
#include "ring_wait.hpp"
#include "runtime_constants.hpp"
#include "session_control.hpp"
#include "stats_sites.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// Every ring ever made, never freed: a thread may still record into its ring while the process exits, so
// rings live as long as the process; the list keeps them reachable, which leak checkers rightly count as not
// lost.
inline std::atomic<ThreadBuffer*> g_rings_made{nullptr};

// The calling thread's ring, whichever image asked for it first; cleared when the last image lets go.
inline thread_local ThreadBuffer* tl_thread_ring = nullptr;

// A ring freed by a thread that has exited, if one is free or soon will be: while threads come and go faster
// than the flusher frees their rings, a new thread waits for one (briefly) rather than allocating.
inline ThreadBuffer* reusable_ring(SessionControl& c) {
  ThreadBuffer* b = nullptr;
  if (c.free_buffers.try_dequeue(b)) return b;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(reusable_ring_wait_ms);
  bool woken = false;
  while ((g_flags.load(std::memory_order_relaxed) & flag_running) &&
         c.exited_not_retired.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    if (!woken) wake_flusher(), woken = true;
    std::this_thread::yield();
    if (c.free_buffers.try_dequeue(b)) return b;
  }
  return nullptr;
}

// A thread's first ring, its pages touched now: left to the hot path, the first pass through the ring takes a
// page fault every 4 KiB, each a microsecond or more (several on a virtual machine), inside whatever span is
// being recorded. A grown ring is not touched here: it is made while its thread is already behind, and
// touching 2 to 16 MiB at once would stall it for milliseconds.
// MADV_POPULATE_WRITE (Linux 5.14) maps the pages in one system call, several times faster than a fault each;
// an older kernel refuses it, and the pages are touched one by one.
inline std::byte* new_ring_memory(std::size_t bytes) {
  auto* data = static_cast<std::byte*>(::operator new(bytes, std::align_val_t(cache_line)));
  constexpr std::size_t smallest_page = 4096;
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto first = (reinterpret_cast<std::uintptr_t>(data) + page - 1) & ~(page - 1);
  const auto last = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(page - 1);
  if (last > first && ::madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE) == 0) {
    data[0] = data[bytes - 1] = std::byte{0};  // the partial pages at either end
    return data;
  }
#endif
  for (std::size_t offset = 0; offset < bytes; offset += smallest_page) data[offset] = std::byte{0};
  return data;
}

inline void reset_reused_ring(ThreadBuffer& b, std::size_t bytes) {
  b.exited.store(false, std::memory_order_relaxed);
  b.current_span = 0;
  b.stats_child_ticks = b.stats_full_ticks = b.stats_outer = b.stats_direct_full = 0;
  b.stats_owed_to = b.stats_owed_ticks = 0;
  b.tail_cache = b.consumed.load(std::memory_order_acquire);
  b.woken_at_tail = ~std::uint64_t{0};
  for (auto* counter : {&b.dropped_spans, &b.dropped_events, &b.dropped_metrics, &b.dropped_attrs,
                        &b.dropped_async_ends, &b.sampled_out, &b.phase_marks})
    counter->store(0, std::memory_order_relaxed);
  for (auto& entry : b.dropped_names) {
    entry.name.store(nullptr, std::memory_order_relaxed);
    entry.spans.store(0, std::memory_order_relaxed);
    entry.events.store(0, std::memory_order_relaxed);
  }
  if (b.capacity != bytes) {  // the run in force asks for another size; the ring is empty
    ::operator delete(b.data, std::align_val_t(cache_line));
    b.data = new_ring_memory(bytes);
    b.capacity = bytes;
    b.mask = bytes - 1;
  }
  b.read_data = b.data;  // drained to the end: the flusher has followed every link
  b.read_mask = b.mask;
  b.rings_grown.store(0, std::memory_order_relaxed);
}

inline ThreadBuffer* new_ring(SessionControl& c, std::size_t bytes) {
  auto* b = new ThreadBuffer();
  b->next_made = g_rings_made.load(std::memory_order_relaxed);
  while (!g_rings_made.compare_exchange_weak(b->next_made, b, std::memory_order_release,
                                             std::memory_order_relaxed)) {
  }
  b->data = new_ring_memory(bytes);
  b->capacity = bytes;
  b->mask = bytes - 1;
  b->read_data = b->data;
  b->read_mask = b->mask;
  b->slot = c.next_slot.fetch_add(1, std::memory_order_relaxed);
  b->id_base = b->slot << span_seq_bits;
  return b;
}

// The calling thread's ring for one more image: the one it has, or one made (or reused) for it now and
// announced to the flusher.
inline ThreadBuffer* acquire_thread_ring() {
  if (ThreadBuffer* b = tl_thread_ring) {
    b->holders.fetch_add(1, std::memory_order_relaxed);
    return b;
  }
  SessionControl& c = control();
  const std::size_t bytes = c.ring_bytes.load(std::memory_order_relaxed);
  ThreadBuffer* b = reusable_ring(c);
  if (b)
    reset_reused_ring(*b, bytes);
  else
    b = new_ring(c, bytes);
  b->high_water = b->capacity / 2;
  b->limit = static_cast<std::int64_t>(b->tail_cache + b->high_water);  // nothing promised yet
  b->reserve(sizeof(RecordHeader));  // for the link record, should the ring grow
  b->tid = static_cast<std::uint64_t>(::syscall(SYS_gettid));
  b->sample_state ^= (b->tid << 17) ^ b->slot;
  b->initial_name[0] = 0;
  ::pthread_getname_np(::pthread_self(), b->initial_name, sizeof b->initial_name);
  b->stats_ns_per_tick.store(g_stats_ns_per_tick.load(std::memory_order_relaxed), std::memory_order_relaxed);
  b->holders.store(1, std::memory_order_relaxed);
  SPANLOG_CRASH_POINT("ring.register");
  tl_thread_ring = b;
  c.new_buffers.enqueue(b);
  return b;
}

// An image's hold on the thread's ring ends as the thread exits; after the last one the flusher drains the
// ring and hands it to the next new thread, so rings do not pile up while threads come and go.
inline void release_thread_ring(ThreadBuffer* b) {
  if (b->holders.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (tl_thread_ring == b) tl_thread_ring = nullptr;
  control().exited_not_retired.fetch_add(1, std::memory_order_relaxed);
  b->exited.store(true, std::memory_order_release);
  if (g_flags.load(std::memory_order_relaxed) & flag_running) wake_flusher();
}

// A ring its thread outran: a new one of twice the size, and a link record (the last of the old ring, room
// for it always reserved) that sends the flusher on to it at the same position. The promises to open spans'
// ends carry over. False past the run's bound or when memory is short.
inline bool grow_ring(ThreadBuffer& b) {
  const std::uint64_t bigger = b.capacity * 2;
  if (bigger > control().ring_max_bytes.load(std::memory_order_relaxed)) return false;
  auto* data = static_cast<std::byte*>(::operator new(bigger, std::align_val_t(cache_line), std::nothrow));
  if (!data) return false;
  const std::uint64_t promised = b.reserved();
  b.write16(reinterpret_cast<std::uintptr_t>(data) | tag_ring_link, bigger);
  b.data = data;
  b.capacity = bigger;
  b.mask = bigger - 1;
  b.high_water = bigger / 2;
  b.limit = static_cast<std::int64_t>(b.tail_cache + b.high_water) - static_cast<std::int64_t>(promised);
  b.count(b.rings_grown);
  b.publish();
  return true;
}

inline bool make_room_in(ThreadBuffer& b, std::uint64_t need) {
  b.set_tail(b.consumed.load(std::memory_order_acquire));
  if (b.below_high_water(need)) return true;
  // Once per drain the flusher has made: a wake costs a system call.
  if (b.tail_cache != b.woken_at_tail) {
    b.woken_at_tail = b.tail_cache;
    wake_flusher();
  }
  auto fits = [&] { return b.head + need + b.reserved() - b.tail_cache <= b.capacity; };
  if (fits()) return true;
  // Bytes still unread in the old ring count against the new one until the flusher passes the link: the
  // room reckoned is less than there is, never more.
  while (grow_ring(b))
    if (fits()) return true;
  if (!control().block.load(std::memory_order_relaxed)) return false;
  // The block policy: wait for the flusher, but never for a run that has stopped.
  while (g_flags.load(std::memory_order_relaxed) & flag_running) {
    wait_for_hand_back(b, b.tail_cache);
    b.set_tail(b.consumed.load(std::memory_order_acquire));
    if (fits()) return true;
  }
  return false;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
