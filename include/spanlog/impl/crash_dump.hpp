// What the crash handler writes (crash_handler.hpp calls it): the records the rings still hold, the spans
// open at the crash, the integer counters of the interval it cut short, and the crash record. Only
// async-signal-safe calls from here to the end of crash_dump: write(2) through a fixed buffer, no allocation,
// no lock, no formatting library.
#pragma once
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "../config.hpp"
#include "flusher.hpp"
#include "ring_decoder.hpp"
#include "signal_safe_writer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline void flusher::crash_dump(int sig) {
  const bool on_flusher = static_cast<std::uint64_t>(::syscall(SYS_gettid)) == thread_id_.load();
  if (!on_flusher && thread_id_.load() != 0) {
    for (int i = 0; i < crash_wait_for_flusher_ms && !parked_.load(std::memory_order_acquire); ++i) {
      const timespec ms{0, 1000000};
      ::nanosleep(&ms, nullptr);
    }
  }
  if (!header_written_) return;  // the run began less than a calibration ago: nothing to anchor times to
  signal_safe_writer w(fd_);
  for (auto& st : states_) {
    crash_drain(st, w);
    crash_counters(st, w);
  }
  thread_buffer* b = nullptr;
  while (queues_.new_buffers->try_dequeue(b)) {
    buffer_state st;
    st.buf = b;
    crash_drain(st, w);
    crash_counters(st, w);
  }
  w.raw("{\"event\":\"crash\",\"signal\":");
  w.i64(sig);
  w.raw(",\"name\":\"");
  w.raw(signal_name(sig));
  w.raw("\",\"tid\":");
  w.u64(static_cast<std::uint64_t>(::syscall(SYS_gettid)));
  w.raw(",\"ts\":");
  w.i64(calibration_.to_ns(ticks()));
  w.raw("}\n");
}

inline void flusher::park_if_crashing() {
  if (!g_crashing.load(std::memory_order_acquire)) return;
  write_out();
  parked_.store(true, std::memory_order_release);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

// Integer counters of the interval the crash cut short: what the thread's slots grew by, and what the
// flusher had summed from ring records (sites beyond the slots) but not yet written. Floating-point
// counters and gauges are left out (formatting a double is not async-signal-safe here).
inline void flusher::crash_counters(buffer_state& st, signal_safe_writer& w) {
  const std::int64_t now = calibration_.to_ns(ticks());
  auto line = [&](const site* s, std::int64_t delta) {
    w.raw("{\"event\":\"counter\",\"name\":");
    w.string(s->name);
    w.raw(",\"tid\":");
    w.u64(st.buf->tid);
    w.raw(",\"ts\":");
    w.i64(now);
    w.raw(",\"delta\":");
    w.i64(delta);
    w.raw("}\n");
  };
  for (const auto& m : st.metrics)
    if (m.dirty && m.s->kind == site_kind::counter_int && m.int_sum != 0) line(m.s, m.int_sum);
  take_counter_growth(*st.buf,
                      [&](const site* s, std::uint64_t delta) { line(s, static_cast<std::int64_t>(delta)); });
}

// Writes the records of a ring not yet drained: spans as span_start/span_end (names and times, no
// attributes), instant events; counters (crash_counters has the integer ones), gauges, attributes and async
// spans are left out.
inline void flusher::crash_drain(buffer_state& st, signal_safe_writer& w) {
  thread_buffer& b = *st.buf;
  std::uint64_t pos = b.consumed.load(std::memory_order_acquire);
  const std::uint64_t end = b.published.load(std::memory_order_acquire);
  constexpr std::size_t max_depth = crash_max_depth;
  std::uint64_t ids[max_depth], starts[max_depth];
  std::size_t depth = 0;
  // `name` is raw, or already quoted and escaped (the flusher's cache) when `quoted`.
  auto span_start = [&](std::uint64_t id, std::uint64_t parent, const char* name, bool quoted,
                        std::uint64_t t, bool phase) {
    w.raw("{\"event\":\"span_start\",\"span_id\":");
    w.u64(id);
    if (parent) {
      w.raw(",\"parent\":");
      w.u64(parent);
    }
    w.raw(",\"name\":");
    if (quoted)
      w.raw(name);
    else
      w.string(name);
    w.raw(",\"tid\":");
    w.u64(b.tid);
    w.raw(",\"ts\":");
    w.i64(calibration_.to_ns(t));
    if (phase) w.raw(",\"kind\":\"phase\"");
    w.raw("}\n");
  };
  auto span_end = [&](std::uint64_t id, std::uint64_t start, std::uint64_t t) {
    w.raw("{\"event\":\"span_end\",\"span_id\":");
    w.u64(id);
    w.raw(",\"tid\":");
    w.u64(b.tid);
    w.raw(",\"ts\":");
    w.i64(calibration_.to_ns(t));
    w.raw(",\"dur_ns\":");
    w.i64(calibration_.to_ns(t) - calibration_.to_ns(start));
    w.raw(",\"status\":\"ok\"}\n");
  };
  auto begin = [&](const char* name, std::uint64_t parent, std::uint64_t t, bool phase) {
    const std::uint64_t id = b.id_base | ++b.drained_span_seq;
    if (!parent) parent = depth ? ids[depth - 1] : (st.depth ? st.stack[st.depth - 1].id : 0);
    span_start(id, parent, name, false, t, phase);
    if (depth < max_depth) ids[depth] = id, starts[depth] = t, ++depth;
  };
  while (pos < end) {
    const ring_record r = read_record(b, pos);
    if (r.tag == tag_span_begin || r.is_extended(extended_op::span_begin)) {
      begin(r.name(), r.tag == tag_extended ? r.ext.arg : 0, r.value, r.begins_phase());
    } else if (r.tag == tag_span_end) {
      if (depth) {
        --depth;
        span_end(ids[depth], starts[depth], r.value);
      } else if (st.depth) {
        open_span& o = st.stack[--st.depth];
        if (!o.start_written) span_start(o.id, o.parent, o.name->c_str(), true, o.start_ticks, o.is_phase);
        span_end(o.id, o.start_ticks, r.value);
      }
    } else if (r.tag == tag_instant) {
      w.raw("{\"event\":\"instant\",\"name\":");
      w.string(r.s->name);
      w.raw(",\"tid\":");
      w.u64(b.tid);
      w.raw(",\"ts\":");
      w.i64(calibration_.to_ns(r.value));
      w.raw("}\n");
    } else if (r.is_extended(extended_op::async_begin)) {
      ++b.drained_span_seq;  // keeps later ids in step with the recording thread's
    }
    pos += r.size;
  }
  hand_back(b, end);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
