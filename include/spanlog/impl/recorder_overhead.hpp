// What recording costs, measured when a run starts and written in its header ("overhead"), so the reader can
// say how much of a short span is the instrumentation and take it out of a parent's self time. The start
// runs real scoped spans on the starting thread, into a ring of the probe's own that nothing drains: a
// begin+end pair in ticks (what the program pays per span), one clock read, and what an empty span's recorded
// duration reads (the part of the pair inside the span's own interval; the rest falls in its parent's).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../api.hpp"
#include "../config.hpp"
#include "../detail/clock.hpp"
#include "../detail/recorder.hpp"
#include "uncaught_exceptions.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

struct RecorderOverhead {
  bool measured = false;
  double span_ticks = 0;     // a scoped span's begin and end, to the program
  double clock_ticks = 0;    // one ticks()
  double in_span_ticks = 0;  // an empty span's recorded duration
};

// The median of `batches` timings of `per_batch` calls of `work`, in ticks per call.
template <class Work>
double median_ticks_per_call(int batches, int per_batch, Work&& work) {
  std::vector<double> per_call;
  for (int batch = 0; batch < batches; ++batch) {
    const std::uint64_t begin = ticks();
    for (int i = 0; i < per_batch; ++i) work();
    per_call.push_back(static_cast<double>(ticks() - begin) / per_batch);
  }
  std::nth_element(per_call.begin(), per_call.begin() + batches / 2, per_call.end());
  return per_call[static_cast<std::size_t>(batches / 2)];
}

// Call once the run records (the hot path's flags are set), on a thread of the program: the spans take the
// path the program's do, into a ring of the probe's own (the thread's own ring is put back after).
inline RecorderOverhead measure_recorder_overhead() {
  constexpr int batches = 15, pairs_per_batch = 256;
  constexpr std::size_t ring_bytes = 16384;  // a batch's 256 pairs of 32 bytes, with room to spare
  static constexpr Site probe_site{"spanlog.overhead_probe", "", "", 0, SiteKind::span};
  RecorderOverhead out;
  if (!(g_flags.load(std::memory_order_acquire) & flag_spans)) return out;

  std::vector<std::byte> ring(ring_bytes);
  ThreadBuffer probe;
  probe.data = ring.data();
  probe.capacity = ring_bytes;
  probe.mask = ring_bytes - 1;
  probe.limit = INT64_MAX / 2;  // never short of room: nothing drains this ring
  probe.uncaught_exceptions = uncaught_exceptions_of_this_thread();
  ThreadBuffer* const own = tl_buffer;
  tl_buffer = &probe;

  out.span_ticks = median_ticks_per_call(batches, pairs_per_batch, [&probe] {
    probe.head = 0;
    ScopedSpan span(SiteToken{}, probe_site);
  });
  // One batch more, left in the ring: what each empty span's end minus its begin reads.
  probe.head = 0;
  for (int i = 0; i < pairs_per_batch; ++i) ScopedSpan span(SiteToken{}, probe_site);
  tl_buffer = own;
  std::vector<double> inside;
  for (std::uint64_t pos = 0; pos + 2 * sizeof(RecordHeader) <= probe.head; pos += 2 * sizeof(RecordHeader)) {
    RecordHeader begin, end;
    std::memcpy(&begin, probe.data + pos, sizeof begin);
    std::memcpy(&end, probe.data + pos + sizeof begin, sizeof end);
    if ((begin.site_and_tag & tag_mask) != tag_span_begin || (end.site_and_tag & tag_mask) != tag_span_end)
      break;  // sampled out, or not the probe's
    inside.push_back(static_cast<double>(end.value - begin.value));
  }
  if (inside.empty()) return out;
  std::nth_element(inside.begin(), inside.begin() + inside.size() / 2, inside.end());
  out.in_span_ticks = inside[inside.size() / 2];

  volatile std::uint64_t sink = 0;
  out.clock_ticks = median_ticks_per_call(batches, pairs_per_batch, [&sink] { sink = ticks(); });
  out.measured = true;
  return out;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
