// The flusher's side of statistics spans (detail/span_stats.hpp) and of unlabelled histograms, which share
// their cells: once per statistics interval, per thread and site (or name chosen by options::stats_names)
// whose histogram grew, one `span_stats` (or `histogram`) line of what it grew by; the crash handler writes
// the same from the signal handler. And the clock rate the recording threads bucket durations with.
#pragma once
#include <atomic>
#include <cstdint>

#include "../config.hpp"
#include "../detail/span_stats.hpp"
#include "flusher.hpp"
#include "signal_safe_writer.hpp"
#include "stats_growth.hpp"
#include "stats_sites.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline void Flusher::emit_span_stats(BufferState& st, std::int64_t now) {
  const auto write_line = [&](const std::string& quoted, StatsCell& cell) {
    open_record("{\"event\":\"span_stats\",\"name\":");
    w_.raw(quoted);
    write_tid_ts(st.buf->tid, now);
    totals_.stats_spans += write_stats_growth(w_, cell, calibration_.current_ns_per_tick());
    end_record();
  };
  const auto write_histogram_line = [&](const std::string& quoted, StatsCell& cell) {
    open_record("{\"event\":\"histogram\",\"name\":");
    w_.raw(quoted);
    write_tid_ts(st.buf->tid, now);
    write_value_histogram_growth(w_, cell);
    end_record();
  };
  for_each_grown_stats_cell(*st.buf, [&](const Site* s, StatsCell& cell) {
    if (s->kind == SiteKind::histogram)
      write_histogram_line(*quoted_name(s, s->name), cell);
    else
      write_line(*quoted_name(s, s->name), cell);
  });
  for (auto& [key, chosen] : st.chosen_stats_by_name)
    if (chosen->cell.total_ticks.load(std::memory_order_relaxed) != chosen->cell.reported_total_ticks)
      write_line(*chosen->name, chosen->cell);
}

// The rate is the flusher's; the recording threads read it from their rings (one per thread, shared by every
// image), and rings made later take it from g_stats_ns_per_tick.
inline void Flusher::publish_clock_rate() {
  const std::uint64_t rate = stats_rate_of(calibration_.current_ns_per_tick());
  g_stats_ns_per_tick.store(rate, std::memory_order_relaxed);
  for (auto& st : states_) st.buf->stats_ns_per_tick.store(rate, std::memory_order_relaxed);
  clock_rate_published_.store(true, std::memory_order_release);
}

inline void Flusher::crash_span_stats(BufferState& st, SignalSafeWriter& w) {
  const std::int64_t now = calibration_.to_ns(ticks());
  // {"event":KIND,"name":…,"tid":…,"ts":… then the cell's figures.
  const auto open_line = [&](const char* opening, auto&& write_name) {
    w.raw(opening);
    write_name();
    w.raw(",\"tid\":");
    w.u64(st.buf->tid);
    w.raw(",\"ts\":");
    w.i64(now);
  };
  const auto write_line = [&](auto&& write_name, StatsCell& cell) {
    open_line("{\"event\":\"span_stats\",\"name\":", write_name);
    write_stats_growth(w, cell, calibration_.current_ns_per_tick());
    w.raw("}\n");
  };
  for_each_grown_stats_cell(*st.buf, [&](const Site* s, StatsCell& cell) {
    if (s->kind != SiteKind::histogram) return write_line([&] { w.string(s->name); }, cell);
    open_line("{\"event\":\"histogram\",\"name\":", [&] { w.string(s->name); });
    write_value_histogram_growth(w, cell);
    w.raw("}\n");
  });
  // The flusher's own histograms (chosen_stats_spans.hpp): it is parked or it is the crashing thread, so
  // nothing adds to them meanwhile.
  for (auto& entry : st.chosen_stats_by_name) {
    ChosenStats& chosen = *entry.second;
    if (chosen.cell.total_ticks.load(std::memory_order_relaxed) != chosen.cell.reported_total_ticks)
      write_line([&] { w.raw(*chosen.name); }, chosen.cell);
  }
}

}  // namespace detail
SPANLOG_END_NAMESPACE
