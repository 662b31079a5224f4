// The hot path: what the macros and the macro-free API call. Each function takes a timestamp and writes one
// record into the calling thread's ring. Only the out-of-line slow path (first record of a thread, ring
// past its high-water mark, sampling) may lock, allocate or make a system call.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>

#include "../config.hpp"
#include "clock.hpp"
#include "counter_slots.hpp"
#include "record.hpp"
#include "slow_paths.hpp"
#include "thread_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

enum RuntimeFlag : std::uint32_t {
  flag_running = 1u << 0,
  flag_spans = 1u << 1,
  flag_events = 1u << 2,
  flag_metrics = 1u << 3,
  flag_sampling = 1u << 4,       // some spans are left out: the span path takes the slow route
  flag_never_started = 1u << 5,  // the first record starts the default session
};

// Constant-initialized, so the hot path reads them without an initialization guard. One copy per executable
// or shared library (SPANLOG_IMAGE_LOCAL): the session keeps every image's flags in step, and a thread's
// tl_buffer points to the same ring in each image it records from.
inline std::atomic<std::uint32_t> g_flags{flag_never_started};
inline std::atomic<std::uint64_t> g_sample_threshold{~std::uint64_t{0}};
inline thread_local ThreadBuffer* tl_buffer = nullptr;
inline thread_local bool tl_thread_exiting = false;  // its thread_local objects are being destroyed
inline thread_local bool tl_late_attached = false;   // it recorded after that began

// A string attribute longer than SPANLOG_MAX_STRING_BYTES was cut: counted, never silent
// (footer.strings_cut).
inline void count_string_cut() {
  if (ThreadBuffer* b = tl_buffer) ThreadBuffer::count(b->strings_cut);
}

// `sampled`: spans may be left out by sampling (statistics spans are not: their counts are exact).
SPANLOG_NOINLINE inline ThreadBuffer* buffer_slow(std::uint32_t kind, bool sampled = true) {
  std::uint32_t f = g_flags.load(std::memory_order_acquire);
  if (f & flag_never_started) {
    slow::start_default_session();
    f = g_flags.load(std::memory_order_acquire);
  }
  if ((f & (flag_running | kind)) != (flag_running | kind)) return nullptr;
  ThreadBuffer* b = tl_buffer;
  if (!b) {
    // Destructors that run while the thread exits (static objects destroyed by exit(), thread_local objects
    // destroyed after spanlog's) still record, into one more ring that a second guard retires.
    if (tl_thread_exiting) {
      if (tl_late_attached) return nullptr;
      tl_late_attached = true;
    }
    b = slow::attach_current_thread(tl_thread_exiting);
    if (!b) return nullptr;
  }
  if (kind == flag_spans && sampled && (f & flag_sampling)) {
    // xorshift64: a sampling decision that needs no shared state.
    std::uint64_t x = b->sample_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b->sample_state = x;
    if (x > g_sample_threshold.load(std::memory_order_relaxed)) {
      ThreadBuffer::count(b->sampled_out);
      return nullptr;
    }
  }
  return b;
}

// The calling thread's buffer when records of `kind` are being taken, or nullptr.
// The fast path asks one question of the flags, "is everything on?" (one compare with a constant): a run
// with a kind switched off or with sampling takes the slow path, which sorts out the rest.
template <std::uint32_t kind>
SPANLOG_ALWAYS_INLINE ThreadBuffer* buffer_for() {
  constexpr std::uint32_t all_on = flag_running | flag_spans | flag_events | flag_metrics;
  ThreadBuffer* b = tl_buffer;
  if (SPANLOG_LIKELY(b != nullptr && g_flags.load(std::memory_order_relaxed) == all_on)) return b;
  return buffer_slow(kind);
}

// A span or an event that found no room: counted for its thread, and for its name while the ring's table of
// names has room. Out of line: the drop path is the rare one.
SPANLOG_NOINLINE inline void count_drop_by_name(ThreadBuffer& b, const char* name, bool span) {
  ThreadBuffer::count(span ? b.dropped_spans : b.dropped_events);
  if (!name) return;
  for (auto& entry : b.dropped_names) {
    const char* held = entry.name.load(std::memory_order_relaxed);
    if (!held) entry.name.store(held = name, std::memory_order_release);
    if (held == name) return ThreadBuffer::count(span ? entry.spans : entry.events);
  }
}
SPANLOG_ALWAYS_INLINE void count_dropped_span(ThreadBuffer& b, const Site* s, const char* name) {
  count_drop_by_name(b, s ? s->name : name, true);
}
SPANLOG_ALWAYS_INLINE void count_dropped_event(ThreadBuffer& b, const Site* s, const char* name) {
  count_drop_by_name(b, s ? s->name : name, false);
}

SPANLOG_ALWAYS_INLINE bool has_room(ThreadBuffer& b, std::uint64_t need) {
  return SPANLOG_LIKELY(b.below_high_water(need)) || slow::make_room(b, need);
}

// A full span began at `t` while a statistics span is open: the innermost one's direct child (its parent is
// the full span the statistics span sits in) takes its time from that statistics span's self time.
SPANLOG_NOINLINE inline void stats_see_full_begin(ThreadBuffer& b, std::uint64_t seq, std::uint64_t t) {
  if (b.current_span + 1 != b.stats_outer) return;
  b.stats_direct_full = seq;
  b.stats_child_ticks -= t;  // modular: the end adds its own time, leaving the duration
  b.stats_full_ticks -= t;
}

inline bool write_stats_owed(ThreadBuffer& b);

// The full span `seq` ends at `t`, and is a statistics span's direct child, or is owed the time of its direct
// statistics children (which go before its end, for the flusher to write with it).
SPANLOG_NOINLINE inline void stats_see_full_end(ThreadBuffer& b, std::uint64_t seq, std::uint64_t t) {
  if (seq == b.stats_direct_full) {
    b.stats_child_ticks += t;
    b.stats_full_ticks += t;
    b.stats_direct_full = 0;
  }
  if (seq == b.stats_owed_to) write_stats_owed(b);
}

// Returns the span's number on this thread (its id is id_base | number), or 0 when it was not recorded (then
// span_end must not be called). Every field is read before the record is stored and written after it: the
// store may alias them, and would force reloads.
SPANLOG_ALWAYS_INLINE std::uint64_t span_begin(ThreadBuffer& b, const Site& s) {
  // Room for the begin and, promised ahead, its end.
  if (!has_room(b, 2 * sizeof(RecordHeader))) {
    count_dropped_span(b, &s, nullptr);
    return 0;
  }
  std::byte* const data = b.data;
  const std::uint64_t head = b.head;
  const std::uint64_t mask = b.mask;
  const std::uint64_t seq = b.span_seq + 1;
  const std::uint64_t t = ticks();
  const RecordHeader r{reinterpret_cast<std::uintptr_t>(&s) + tag_span_begin, t};
  std::memcpy(data + (head & mask), &r, sizeof r);
  b.head = head + sizeof r;
  b.limit -= static_cast<std::int64_t>(sizeof r);  // the end's promise: one read-modify-write
  b.span_seq = seq;
  b.publish_at(head + sizeof r);
  if (SPANLOG_UNLIKELY(b.stats_outer != 0)) stats_see_full_begin(b, seq, t);
  // seq starts at 1: the caller need not test for a drop.
  if (seq == 0) SPANLOG_UNREACHABLE();
  return seq;
}

// The end names no site: it ends the thread's innermost open span, whose begin named it.
// The thread's current_span is the ending span's number.
SPANLOG_ALWAYS_INLINE void span_end(ThreadBuffer& b) {
  const std::uint64_t t = ticks();
  const std::uint64_t seq = b.current_span;
  if (SPANLOG_UNLIKELY(seq == b.stats_direct_full || seq == b.stats_owed_to)) stats_see_full_end(b, seq, t);
  const RecordHeader r{tag_span_end, t};
  std::byte* const data = b.data;
  const std::uint64_t head = b.head;
  std::memcpy(data + (head & b.mask), &r, sizeof r);
  b.head = head + sizeof r;
  b.limit += static_cast<std::int64_t>(sizeof r);  // the promise kept: one read-modify-write
  b.publish_at(head + sizeof r);
}

// ExtendedHeader's first 8 bytes (size, op, attr_count, flags) as they lie in memory, composed in a register.
inline std::uint64_t pack_extended_word(std::uint32_t size, ExtendedOp op, std::uint8_t attr_count,
                                        std::uint16_t flags) {
  unsigned char rest_bytes[4] = {static_cast<unsigned char>(op), attr_count, 0, 0};
  std::memcpy(rest_bytes + 2, &flags, 2);
  std::uint32_t rest;
  std::memcpy(&rest, rest_bytes, 4);
  static_assert(offsetof(ExtendedHeader, op) == 4 && offsetof(ExtendedHeader, attr_count) == 5 &&
                    offsetof(ExtendedHeader, flags) == 6 && offsetof(ExtendedHeader, arg) == 8,
                "the header's stores follow its layout");
  return pack_u32_pair(size, rest);
}

// The record's 48 header bytes as six 8-byte stores, straight into the ring (see AttrCodec::write for why).
SPANLOG_ALWAYS_INLINE void store_extended_header(std::byte* out, std::uintptr_t site_and_tag, std::uint64_t t,
                                                 std::uint64_t first_word, std::uint64_t arg,
                                                 std::uint64_t arg2) {
  const std::uint64_t zero = 0;
  std::memcpy(out, &site_and_tag, 8);
  std::memcpy(out + 8, &t, 8);
  std::memcpy(out + 16, &first_word, 8);
  std::memcpy(out + 24, &arg, 8);
  std::memcpy(out + 32, &arg2, 8);
  std::memcpy(out + 40, &zero, 8);
}

// An extended record: header, then `payload_bytes` written by `write_payload(out)`. Returns false when it
// was dropped (counted by the caller).
template <class WritePayload>
SPANLOG_ALWAYS_INLINE bool write_extended_payload(ThreadBuffer& b, const Site* s, ExtendedOp op,
                                                  std::uint64_t arg, std::uint64_t arg2, std::uint16_t flags,
                                                  std::uint64_t t, bool promise_end, std::uint8_t attr_count,
                                                  std::size_t payload_bytes,
                                                  const WritePayload& write_payload) {
  const std::uint64_t size =
      align_up(sizeof(RecordHeader) + sizeof(ExtendedHeader) + payload_bytes, record_align);
  const std::uint64_t need = b.needed_for(size) + (promise_end ? sizeof(RecordHeader) : 0);
  if (!has_room(b, need)) return false;
  b.pad_if_needed(size);
  std::byte* out = b.at(b.head);
  store_extended_header(out, reinterpret_cast<std::uintptr_t>(s) | tag_extended, t,
                        pack_extended_word(static_cast<std::uint32_t>(size), op, attr_count, flags), arg,
                        arg2);
  write_payload(out + sizeof(RecordHeader) + sizeof(ExtendedHeader));
  b.head += size;
  if (promise_end) b.reserve(sizeof(RecordHeader));
  b.publish();
  return true;
}

// An extended record whose payload is "key", value pairs.
template <class... A>
bool write_extended(ThreadBuffer& b, const Site* s, ExtendedOp op, std::uint64_t arg, std::uint64_t arg2,
                    std::uint16_t flags, std::uint64_t t, bool promise_end, const A&... attrs) {
  static_assert(sizeof...(A) / 2 <= SPANLOG_MAX_ATTRS, "too many attributes (SPANLOG_MAX_ATTRS)");
  return write_extended_payload(b, s, op, arg, arg2, flags, t, promise_end,
                                static_cast<std::uint8_t>(sizeof...(A) / 2), attrs_bytes(attrs...),
                                [&](std::byte* out) { write_attrs(out, attrs...); });
}

// A span begin that carries attributes (returns its number, as span_begin does), an explicit parent, a name
// without a site, or a phase flag.
template <class... A>
std::uint64_t span_begin_with(ThreadBuffer& b, const Site* s, std::uint64_t parent, const char* name,
                              std::uint16_t flags, const A&... attrs) {
  const std::uint64_t t = ticks();
  if (!write_extended(b, s, ExtendedOp::span_begin, parent, reinterpret_cast<std::uintptr_t>(name), flags, t,
                      true, attrs...)) {
    count_dropped_span(b, s, name);
    return 0;
  }
  const std::uint64_t seq = ++b.span_seq;
  if (SPANLOG_UNLIKELY(b.stats_outer != 0)) stats_see_full_begin(b, seq, t);
  return seq;
}

// The time owed to a full span goes into the ring as a record of its own; false when it found no room
// (counted with the attributes lost).
inline bool write_stats_owed(ThreadBuffer& b) {
  const bool written = write_extended(b, nullptr, ExtendedOp::stats_children, b.span_id(b.stats_owed_to),
                                      b.stats_owed_ticks, 0, ticks(), false);
  if (!written) ThreadBuffer::count(b.dropped_attrs);
  b.stats_owed_to = 0;
  b.stats_owed_ticks = 0;
  return written;
}

SPANLOG_ALWAYS_INLINE void instant(ThreadBuffer& b, const Site& s) {
  if (!has_room(b, sizeof(RecordHeader))) return count_dropped_event(b, &s, nullptr);
  b.write16(reinterpret_cast<std::uintptr_t>(&s) + tag_instant, ticks());
  b.publish();
}

SPANLOG_ALWAYS_INLINE void metric(ThreadBuffer& b, const Site& s, RecordTag tag, std::uint64_t bits) {
  if (!has_room(b, sizeof(RecordHeader))) return ThreadBuffer::count(b.dropped_metrics);
  b.write16(reinterpret_cast<std::uintptr_t>(&s) + tag, bits);
  b.publish();
}

#if defined(__SANITIZE_THREAD__)
#define SPANLOG_TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPANLOG_TSAN_BUILD 1
#endif
#endif

SPANLOG_ALWAYS_INLINE void add_to_slot(ThreadBuffer& b, std::uint32_t slot, std::uint64_t delta) {
  std::atomic<std::uint64_t>& sum = b.counter_sum[slot];
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(SPANLOG_TSAN_BUILD)
  // Only this thread writes the sum, so the add need not be locked; the flusher's relaxed load sees the sum
  // before or after it, as an aligned 8-byte store is single-copy atomic on x86-64. Written as the atomic's
  // load and store, compilers emit three instructions; this is one. ThreadSanitizer builds, which cannot see
  // into it, take the portable form below.
  __asm__ volatile("addq %1, %0" : "+m"(sum) : "er"(delta));
#else
  sum.store(sum.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
#endif
}

// A site's first add on any thread, a thread's first record, a run with something switched off, or every
// slot taken (then the add is a ring record, as a floating-point one is).
SPANLOG_NOINLINE inline void counter_add_slow(const Site& s, CounterSlot& slot, std::uint64_t delta) {
  ThreadBuffer* b = buffer_slow(flag_metrics);
  if (!b) return;
  if (const std::uint32_t index = slow::counter_slot_for(s, slot)) return add_to_slot(*b, index, delta);
  metric(*b, s, tag_counter, delta);
}

// Integers add into the thread's slot for the site: the fast path asks for the buffer, the run's flags and
// the site's slot number at once, and adds.
template <class T>
SPANLOG_ALWAYS_INLINE void counter_add(const Site& s, CounterSlot& slot, T delta) {
  static_assert(std::is_arithmetic_v<T>, "spanlog counters and gauges take a number");
  if constexpr (std::is_floating_point_v<T>) {
    if (ThreadBuffer* b = buffer_for<flag_metrics>()) {
      double d = static_cast<double>(delta);
      std::uint64_t bits;
      std::memcpy(&bits, &d, 8);
      metric(*b, s, tag_counter, bits);
    }
  } else {
    constexpr std::uint32_t all_on = flag_running | flag_spans | flag_events | flag_metrics;
    const auto bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
    ThreadBuffer* b = tl_buffer;
    const std::uint32_t index = slot.index.load(std::memory_order_relaxed);
    if (SPANLOG_LIKELY(b != nullptr && index != 0 && g_flags.load(std::memory_order_relaxed) == all_on))
      return add_to_slot(*b, index, bits);
    counter_add_slow(s, slot, bits);
  }
}

template <class T>
SPANLOG_ALWAYS_INLINE void gauge_set(const Site& s, T value) {
  static_assert(std::is_arithmetic_v<T>, "spanlog counters and gauges take a number");
  if (ThreadBuffer* b = buffer_for<flag_metrics>()) {
    double d = static_cast<double>(value);
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    metric(*b, s, tag_gauge, bits);
  }
}

// Inlined like the other hot paths: an event without attributes is a 16-byte record; with attributes the
// record is written out of line (write_extended).
template <class... A>
SPANLOG_ALWAYS_INLINE void event(const Site& s, const A&... attrs) {
  if (ThreadBuffer* b = buffer_for<flag_events>()) {
    if constexpr (sizeof...(A) == 0) {
      instant(*b, s);
    } else if (!write_extended(*b, &s, ExtendedOp::instant, 0, 0, 0, ticks(), false, attrs...)) {
      count_dropped_event(*b, &s, nullptr);
    }
  }
}

// An exception is unwinding the span: the error goes before the span's end. Out of line, as it is rare.
SPANLOG_NOINLINE inline void span_unwound(ThreadBuffer& b, std::uint64_t seq) {
  if (!write_extended(b, nullptr, ExtendedOp::span_error, b.span_id(seq), 0, ext_flag_unwound, ticks(),
                      false))
    ThreadBuffer::count(b.dropped_attrs);
}

// A phase's begin or end, announced before its timestamp is read: the flusher then knows that a span it
// drained before the mark cannot have started after the mark's time (ThreadBuffer::phase_marks). Only
// this thread writes the count; the locked add is the store other threads see before the clock is read.
inline void announce_phase_mark(ThreadBuffer& b) {
  b.phase_marks.fetch_add(1, std::memory_order_seq_cst);
  order_clock_after_stores();
}
inline void withdraw_phase_mark(ThreadBuffer& b) {
  b.phase_marks.fetch_sub(1, std::memory_order_seq_cst);
}

// Attributes or an error set on an open span of this thread.
template <class... A>
void span_update(std::uint64_t span_id, ExtendedOp op, const A&... attrs) {
  ThreadBuffer* b = tl_buffer;
  if (!b || !span_id || !(g_flags.load(std::memory_order_relaxed) & flag_running)) return;
  if (!write_extended(*b, nullptr, op, span_id, 0, 0, ticks(), false, attrs...))
    ThreadBuffer::count(b->dropped_attrs);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
