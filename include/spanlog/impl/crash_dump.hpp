// What the crash handler writes (crash_handler.hpp calls it): the records the rings still hold, the spans
// open at the crash, the integer counters of the interval it cut short, and the crash record. Only
// async-signal-safe calls from here to the end of crash_dump: write(2) through a fixed buffer, no allocation,
// no lock, no formatting library.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <thread>

#include "../config.hpp"
#include "crash_log_lines.hpp"
#include "crash_points.hpp"
#include "flusher.hpp"
#include "ring_decoder.hpp"
#include "signal_safe_writer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// A path built without allocating; what does not fit is cut (and then fails to open, as it should).
struct FixedPath {
  char text[4096] = {};
  std::size_t length = 0;
  void append(const char* s) {
    while (*s && length + 1 < sizeof text) text[length++] = *s++;
    text[length] = 0;
  }
  void append_number(std::uint64_t v) {
    char digits[24];
    std::size_t n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    while (n && length + 1 < sizeof text) text[length++] = digits[--n];
    text[length] = 0;
  }
  void truncate(std::size_t at) {
    length = at;
    text[length] = 0;
  }
};

// mkdir -p, one component at a time, in place.
inline bool make_directories_in_crash(FixedPath& path) {
  for (std::size_t i = 1; i <= path.length; ++i) {
    if (i != path.length && path.text[i] != '/') continue;
    const char kept = path.text[i];
    path.text[i] = 0;
    const bool made = ::mkdir(path.text, 0755) == 0 || errno == EEXIST;
    path.text[i] = kept;
    if (!made) return false;
  }
  return true;
}

inline void Flusher::crash_dump(int sig, const char* reason) {
  const bool on_flusher = static_cast<std::uint64_t>(::syscall(SYS_gettid)) == thread_id_.load();
  if (on_flusher ? activity_.load(std::memory_order_acquire) == activity_finished : !take_rings_for_crash())
    return;  // the run is whole, footer included: the crash came after it
  std::string_view run_id;
  SignalSafeWriter w(crash_output(run_id));
  if (on_flusher) crash_write_formatted(w);
  if (!header_written_) {
    // The crash came before the flusher's first words: the header, and the threads known so far.
    calibration_.measure_rate_in_crash();
    write_header_to(w, run_id);
    w.raw("}\n");
    for (auto& st : states_) crash_thread_record(*st.buf, w);
  }
  // Out at once, and again after each ring: a second fault that ends the process before any handler can
  // act (the same signal again, blocked while its handler runs) keeps what was written.
  w.flush();
  for (auto& st : states_) {
    std::uint64_t from = st.buf->consumed.load(std::memory_order_acquire);
    if (on_flusher && draining_ == &st && drain_pos_ > from) from = drain_pos_;
    crash_drain(st, from, w);
    crash_counters(st, w);
    crash_span_stats(st, w);
    w.flush();
  }
  ThreadBuffer* b = nullptr;
  while (queues_.new_buffers->try_dequeue(b)) {
    crash_thread_record(*b, w);
    BufferState st;
    st.buf = b;
    crash_drain(st, b->consumed.load(std::memory_order_acquire), w);
    crash_counters(st, w);
    crash_span_stats(st, w);
  }
  w.raw("{\"event\":\"crash\",\"signal\":");
  w.i64(sig);
  w.raw(",\"name\":\"");
  w.raw(signal_name(sig));
  w.raw("\",\"reason\":");
  w.string(reason);
  w.raw(",\"tid\":");
  w.u64(static_cast<std::uint64_t>(::syscall(SYS_gettid)));
  w.raw(",\"ts\":");
  w.i64(calibration_.to_ns(ticks()));
  w.raw("}\n");
}

// Returns false when there is nothing to add: the run was written whole. A flusher between drains is
// stopped where it is; one in the middle of a drain stops at its next record, which is within microseconds
// (a stuck write to a disk that does not answer is waited for a while, then written past).
inline bool Flusher::take_rings_for_crash() {
  const std::int64_t give_up_at = steady_ns() + std::int64_t{crash_wait_for_flusher_ms} * 1000000;
  for (;;) {
    int state = activity_.load(std::memory_order_acquire);
    if (state == activity_finished) return false;
    if (state == activity_idle &&
        activity_.compare_exchange_strong(state, activity_taken, std::memory_order_acq_rel))
      return true;
    if (parked_.load(std::memory_order_acquire) || steady_ns() > give_up_at) return true;
    const timespec step{0, crash_poll_us * 1000L};
    ::nanosleep(&step, nullptr);
  }
}

// A crash on the flusher's own thread: what it formatted and had not written yet, up to its last whole
// record.
inline void Flusher::crash_write_formatted(SignalSafeWriter& w) {
  if (complete_bytes_ > written_bytes_) w.append(w_.data() + written_bytes_, w_.data() + complete_bytes_);
  // A `spans` record cut after a whole row: closed, so its rows are kept.
  if (complete_bytes_ > 0 && w_.data()[complete_bytes_ - 1] == ']') w.raw(SpanRows::closing);
}

// The file the crash handler writes to: the run's, or, when the crash came before the thread that starts the
// run had opened it, one it makes now where that thread would have. Only mkdir, open and fixed buffers.
inline int Flusher::crash_output(std::string_view& run_id) {
  const int stage = output_stage_.load(std::memory_order_acquire);
  run_id = run_id_;
  if (stage == stage_file) return fd_;
  FixedPath path;
  if (stage == stage_directory) {
    path.append(run_dir_.c_str());
  } else {
    path.append(opts_.dir.c_str());
    if (!make_directories_in_crash(path)) return -1;
    path.append("/");
    const std::size_t run_dir_at = path.length;
    path.append(base_run_id_.c_str());
    // A directory of its own, as the run would have had: base, base-2, base-3...
    for (int n = 2; ::mkdir(path.text, 0755) != 0; ++n) {
      if (errno != EEXIST || n >= 1000) return -1;
      path.truncate(run_dir_at);
      path.append(base_run_id_.c_str());
      path.append("-");
      path.append_number(static_cast<std::uint64_t>(n));
    }
    const std::size_t id_length = std::min(path.length - run_dir_at, sizeof crash_run_id_ - 1);
    std::memcpy(crash_run_id_, path.text + run_dir_at, id_length);
    crash_run_id_[id_length] = 0;
    run_id = crash_run_id_;
  }
  path.append("/telemetry.jsonl");
  return ::open(path.text, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

inline void Flusher::crash_thread_record(const ThreadBuffer& b, SignalSafeWriter& w) {
  w.raw("{\"event\":\"thread\",\"tid\":");
  w.u64(b.tid);
  if (b.initial_name[0]) {
    w.raw(",\"name\":");
    w.string(b.initial_name);
  }
  w.raw(",\"ts\":");
  w.i64(calibration_.to_ns(ticks()));
  w.raw("}\n");
}

inline void Flusher::park() {
  parked_.store(true, std::memory_order_release);
  for (;;) {
    const timespec second{1, 0};
    ::nanosleep(&second, nullptr);
  }
}

inline void Flusher::park_if_crashing() {
  if (!g_crashing.load(std::memory_order_acquire)) return;
  write_out();
  park();
}

// Integer counters of the interval the crash cut short: what the thread's slots grew by, and what the
// flusher had summed from ring records (sites beyond the slots) but not yet written. Floating-point
// counters and gauges are left out (formatting a double is not async-signal-safe here).
inline void Flusher::crash_counters(BufferState& st, SignalSafeWriter& w) {
  const std::int64_t now = calibration_.to_ns(ticks());
  auto line = [&](const Site* s, std::int64_t delta) {
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
    if (m.dirty && m.s->kind == SiteKind::counter_int && m.int_sum != 0) line(m.s, m.int_sum);
  take_counter_growth(*st.buf,
                      [&](const Site* s, std::uint64_t delta) { line(s, static_cast<std::int64_t>(delta)); });
}

// Writes the records of a ring not yet drained: spans as span_start/span_end (names and times, no
// attributes), instant events, log lines (crash_log_lines.hpp); counters (crash_counters has the integer
// ones), gauges, attributes and async spans are left out.
inline void Flusher::crash_drain(BufferState& st, std::uint64_t from, SignalSafeWriter& w) {
  ThreadBuffer& b = *st.buf;
  std::uint64_t pos = from;
  const std::uint64_t end = b.published.load(std::memory_order_acquire);
  constexpr std::size_t max_depth = crash_max_depth;
  std::uint64_t ids[max_depth], starts[max_depth];
  std::size_t depth = 0;
  auto span_start = [&](std::uint64_t id, std::uint64_t parent, std::string_view name, bool quoted,
                        std::uint64_t t,
                        bool phase) { crash_span_start(w, b.tid, id, parent, name, quoted, t, phase); };
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
    span_start(id, parent, name ? name : "(null)", false, t, phase);
    if (depth < max_depth) ids[depth] = id, starts[depth] = t, ++depth;
  };
  while (pos < end) {
    SPANLOG_CRASH_POINT("crash.drain");
    const RingRecord r = read_record(b, pos);
    if (r.tag == tag_ring_link) {
      follow_ring_link(b, r);  // the ring left behind stays allocated: the process is ending
      w.raw("{\"event\":\"ring_grown\",\"tid\":");
      w.u64(b.tid);
      w.raw(",\"ts\":");
      w.i64(calibration_.to_ns(ticks()));
      w.raw(",\"bytes\":");
      w.u64(r.value);
      w.raw("}\n");
    } else if (r.tag == tag_span_begin || r.is_extended(ExtendedOp::span_begin)) {
      begin(r.name(), r.tag == tag_extended ? r.ext.arg : 0, r.value, r.begins_phase());
    } else if (r.tag == tag_span_end) {
      if (depth) {
        --depth;
        span_end(ids[depth], starts[depth], r.value);
      } else if (st.depth) {
        OpenSpan& o = st.stack[--st.depth];
        if (!o.start_written) span_start(o.id, o.parent, *o.name, true, o.start_ticks, o.is_phase);
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
    } else if (r.is_extended(ExtendedOp::log)) {
      const std::uint64_t span = depth ? ids[depth - 1] : innermost_written_span(st);
      crash_log_line(w, *r.s, b.tid, calibration_.to_ns(r.value), span, r.attrs, r.ext.attr_count);
    } else if (r.is_extended(ExtendedOp::async_begin)) {
      ++b.drained_span_seq;  // keeps later ids in step with the recording thread's
    }
    pos += r.size;
  }
  // Spans that stay open whose start the flusher had not written: a drain the crash stopped midway.
  for (std::size_t i = 0; i < st.depth; ++i) {
    OpenSpan& o = st.stack[i];
    if (!o.start_written) span_start(o.id, o.parent, *o.name, true, o.start_ticks, o.is_phase);
    o.start_written = true;
  }
  hand_back(b, end);
}

// `name` is raw, or already quoted and escaped (the flusher's cache) when `quoted`.
inline void Flusher::crash_span_start(SignalSafeWriter& w, std::uint64_t tid, std::uint64_t id,
                                      std::uint64_t parent, std::string_view name, bool quoted,
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
  w.u64(tid);
  w.raw(",\"ts\":");
  w.i64(calibration_.to_ns(t));
  if (phase) w.raw(",\"kind\":\"phase\"");
  w.raw("}\n");
}

}  // namespace detail
SPANLOG_END_NAMESPACE
