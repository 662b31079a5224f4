// A recording thread's single-producer ring and the counters of what it could not record.
// The recording side takes no lock, allocates nothing and makes no system call; only the slow path
// (ring past its high-water mark) may wake the flusher or, under the block policy, wait for it.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../config.hpp"
#include "counter_slots.hpp"
#include "record.hpp"
#include "span_stats.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

constexpr std::size_t cache_line = 64;
// A span id is the ring's slot above span_seq_bits and the thread's span number below.
constexpr unsigned span_seq_bits = 40;
constexpr std::uint64_t span_seq_mask = (std::uint64_t{1} << span_seq_bits) - 1;

struct ThreadBuffer {
  // Written only by the recording thread.
  alignas(cache_line) std::byte* data = nullptr;
  std::uint64_t mask = 0;  // capacity - 1
  std::uint64_t head = 0;  // bytes ever written
  // The id of this thread's span number `seq` (0 stays 0: no span).
  std::uint64_t span_id(std::uint64_t seq) const { return seq ? id_base | seq : 0; }

  // How far head may go on the fast path: tail_cache + high_water - (bytes promised to the ends of open
  // spans). One field, so the fast path's room check is one compare; signed, as deep nesting may promise more
  // than high_water.
  std::int64_t limit = 0;
  std::uint64_t tail_cache = 0;    // the flusher's position as last seen: reloaded only when short of room
  std::uint64_t high_water = 0;    // half the ring: crossing it wakes the flusher
  std::uint64_t span_seq = 0;      // spans begun here; the flusher counts the same to name them
  std::uint64_t id_base = 0;       // slot << span_seq_bits: span ids are id_base | span_seq
  std::uint64_t current_span = 0;  // innermost open span's number (id without id_base; 0: none, unrecorded)
  std::uint64_t sample_state = 0x9E3779B97F4A7C15ull;
  std::uint64_t woken_at_tail = ~std::uint64_t{0};  // wake the flusher once per drain it has made
  // The thread's count of exceptions in flight (std::uncaught_exceptions() without the call): a scoped span
  // compares it at its end with the count at its begin to see that an exception is unwinding it. Points
  // into the C++ runtime's per-thread exception state, or to a zero where that cannot be found.
  const unsigned int* uncaught_exceptions = &no_uncaught_exceptions;
  static constexpr unsigned int no_uncaught_exceptions = 0;

  // What the innermost statistics span open on this thread (span_stats.hpp) needs for its self time: the
  // full span it sits directly in (its number + 1, as current_span; 0: no statistics span is open), its
  // children's ticks so far, and its direct full child while one is open. A full span's begin and end look
  // at these only when a statistics span is open or owes a full span its time (`stats_owed_to`,
  // `stats_owed_ticks`): the time of its direct statistics children, which the file does not show, written
  // before its end.
  std::uint64_t stats_outer = 0;
  std::uint64_t stats_child_ticks = 0;
  // The time of the full spans within the innermost statistics span (and its statistics children) that the
  // file shows as children of the full span it sits in: what that span is not owed again.
  std::uint64_t stats_full_ticks = 0;
  std::uint64_t stats_direct_full = 0;
  std::uint64_t stats_owed_to = 0;
  std::uint64_t stats_owed_ticks = 0;

  // Written by the recording thread (relaxed: the flusher only needs eventually exact totals), read by the
  // flusher. `published` is the release that hands records over.
  alignas(cache_line) std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> dropped_spans{0};
  std::atomic<std::uint64_t> dropped_events{0};
  std::atomic<std::uint64_t> dropped_metrics{0};
  std::atomic<std::uint64_t> dropped_attrs{0};
  std::atomic<std::uint64_t> dropped_async_ends{0};
  std::atomic<std::uint64_t> sampled_out{0};
  std::atomic<std::uint64_t> strings_cut{0};  // string attributes cut at SPANLOG_MAX_STRING_BYTES
  // Phase begins and ends announced, each before its timestamp is read (detail::announce_phase_mark): the
  // flusher holds back its span counts per phase while a mark is announced but not yet drained.
  std::atomic<std::uint64_t> phase_marks{0};

  // Rings grown by this thread (a link record each), for the flusher to report.
  std::atomic<std::uint64_t> rings_grown{0};

  // Written by the flusher: `consumed` releases ring space back to the recording thread.
  alignas(cache_line) std::atomic<std::uint64_t> consumed{0};
  // The ring the flusher reads from: the recording thread's own (data, mask) but after the thread has grown
  // it and until the flusher reaches the link record (tag_ring_link) that says so.
  std::byte* read_data = nullptr;
  std::uint64_t read_mask = 0;
  std::atomic<bool> exited{false};
  // Images (executable, shared libraries, plugins) whose code recorded on this thread into this ring: each
  // lets go when the thread exits, and the last one marks the ring exited (impl/thread_rings.hpp).
  std::atomic<std::uint32_t> holders{0};
  std::atomic<std::uint32_t> producer_waiting{0};  // set by the recording thread asleep for room (block)
  std::uint64_t drained_span_seq = 0;              // the flusher's count of span_seq
  std::uint64_t capacity = 0;
  std::uint64_t slot = 0;
  std::uint64_t tid = 0;
  char initial_name[32] = {};
  ThreadBuffer* next_made = nullptr;  // the list of every ring made (impl/thread_rings.hpp)
  // The sums of counter_sum the flusher has written; they stay with the ring from run to run and from thread
  // to thread, so only growth is ever reported.
  std::uint64_t counter_reported[counter_slot_count] = {};

  // Integer counters by slot number (counter_slots.hpp): added to by the recording thread alone (a relaxed
  // load and store, one add instruction), read by the flusher.
  alignas(cache_line) std::atomic<std::uint64_t> counter_sum[counter_slot_count] = {};

  // Nanoseconds per tick (32.32 fixed point), for statistics spans to bucket durations as they end; kept
  // current by the flusher.
  std::atomic<std::uint64_t> stats_ns_per_tick{0};
  // Statistics-span histograms by slot number, made on a site's first span on this thread; kept with the
  // ring from run to run, as counter_sum is.
  std::atomic<StatsCell*> stats_cells[stats_slot_count] = {};

  // Drops by name, for the names met first (dropped_names_per_ring of them); the others are counted per
  // thread only. Written by the recording thread on the drop path, read by the flusher.
  struct DroppedName {
    std::atomic<const char*> name{nullptr};
    std::atomic<std::uint64_t> spans{0};
    std::atomic<std::uint64_t> events{0};
  };
  static constexpr std::size_t dropped_names_per_ring = 16;
  DroppedName dropped_names[dropped_names_per_ring];

  static void count(std::atomic<std::uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  std::byte* at(std::uint64_t pos) const { return data + (pos & mask); }
  const std::byte* read_at(std::uint64_t pos) const { return read_data + (pos & read_mask); }

  // Bytes a record of `size` needs at the current position, a padding record included when it would
  // straddle the ring's end.
  std::uint64_t needed_for(std::uint64_t size) const {
    std::uint64_t offset = head & mask;
    return offset + size > capacity ? (capacity - offset) + size : size;
  }

  SPANLOG_ALWAYS_INLINE bool below_high_water(std::uint64_t need) const {
    return static_cast<std::int64_t>(head + need) <= limit;
  }

  // Bytes promised to the ends of open spans, so a begun span always ends.
  std::uint64_t reserved() const {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(tail_cache + high_water) - limit);
  }
  void reserve(std::uint64_t bytes) { limit -= static_cast<std::int64_t>(bytes); }

  // The flusher's new position: the limit moves with it, the promises stay.
  void set_tail(std::uint64_t tail) {
    limit += static_cast<std::int64_t>(tail - tail_cache);
    tail_cache = tail;
  }

  SPANLOG_ALWAYS_INLINE void write16(std::uintptr_t first, std::uint64_t second) {
    const std::uint64_t h = head;
    const RecordHeader r{first, second};
    std::memcpy(data + (h & mask), &r, sizeof r);
    head = h + sizeof r;
  }

  // Release: the flusher's acquire load of `published` makes every byte before it visible.
  SPANLOG_ALWAYS_INLINE void publish() { publish_at(head); }
  // The signal fence (no instruction) keeps the compiler from moving the program's next stores above the
  // publication: a fault in them must find the record published, for the crash handler on this thread
  // (a release store alone lets later stores move before it).
  SPANLOG_ALWAYS_INLINE void publish_at(std::uint64_t position) {
    published.store(position, std::memory_order_release);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }

  // Writes the padding record that sends the reader back to the ring's start, when `size` would straddle.
  void pad_if_needed(std::uint64_t size) {
    std::uint64_t offset = head & mask;
    if (offset + size > capacity) {
      RecordHeader r{tag_padding, capacity - offset};
      std::memcpy(at(head), &r, sizeof r);
      head += capacity - offset;
    }
  }
};

}  // namespace detail
SPANLOG_END_NAMESPACE
