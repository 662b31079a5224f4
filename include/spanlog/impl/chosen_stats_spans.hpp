// Full spans kept as statistics by their name (options::stats_names, SPANLOG_STATS_NAMES): the recording
// thread records them as any span, and the flusher, instead of writing them, adds each to a histogram of
// its thread and name, written as `span_stats` lines beside those of SPANLOG_SPAN_STATS
// (span_stats_lines.hpp).
//
// The file stays whole without them: their children are shown in the span they sit in, and that span is
// told what they took (its `stats_ns`), less the written spans inside them, which it shows as its own
// children; so self times add up as if the chosen spans were written.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>

#include "../config.hpp"
#include "../detail/span_stats.hpp"
#include "flusher.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// Asked once per name key (a call site, or a name pointer): the patterns never see the hot path.
inline bool Flusher::chosen_as_statistics(const void* name_key, const char* name) {
  auto it = chosen_names_.find(name_key);
  if (it == chosen_names_.end()) it = chosen_names_.emplace(name_key, stats_names_.matches(name)).first;
  return it->second;
}

inline Flusher::ChosenStats& Flusher::chosen_stats_for(BufferState& st, const void* name_key,
                                                       const char* name) {
  std::unique_ptr<ChosenStats>& kept = st.chosen_stats_by_name[name_key];
  if (!kept) {
    kept = std::make_unique<ChosenStats>();
    kept->name = quoted_name(name_key, name);
  }
  return *kept;
}

inline void Flusher::end_chosen_span(BufferState& st, OpenSpan& o, std::uint64_t end_ticks) {
  const std::uint64_t took = end_ticks > o.start_ticks ? end_ticks - o.start_ticks : 0;
  StatsCell& cell = o.chosen->cell;
  add_relaxed(cell.total_ticks, took);
  add_relaxed(cell.child_ticks, o.child_ticks + o.stats_ticks);
  const auto ns = static_cast<std::uint64_t>(static_cast<double>(took) * calibration_.current_ns_per_tick());
  add_relaxed(cell.buckets[stats_bucket_of(ns)], std::uint32_t{1});
  if (st.depth < 2) return;
  OpenSpan& parent = st.stack[st.depth - 2];
  parent.child_ticks += took;
  // Only the outermost of nested chosen spans is owed to the written span: the inner ones are within it.
  if (!parent.chosen) parent.stats_ticks += took - std::min(o.kept_inside_ticks, took);
}

// A written span inside chosen ones is a child of the written span they sit in: the chosen spans between
// take it off what they owe that span.
inline void Flusher::account_written_span_end(BufferState& st, const OpenSpan& o, std::uint64_t end_ticks) {
  if (st.depth < 2) return;
  const std::uint64_t took = end_ticks > o.start_ticks ? end_ticks - o.start_ticks : 0;
  st.stack[st.depth - 2].child_ticks += took;
  for (std::size_t i = st.depth - 1; i-- > 0 && st.stack[i].chosen;) st.stack[i].kept_inside_ticks += took;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
