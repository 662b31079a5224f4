#include "reader/aggregator.hpp"

#include "reader/run_identity.hpp"
#include "reader/span_dimensions.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>

#include <fmt/format.h>

namespace spanlog::reader {
namespace {

// Late children (a child that ends after its parent, e.g. async work) find their parent's stats here.
// 2^16 slots: a parent is found as long as fewer than ~65k spans ended in between.
constexpr std::size_t kRecentlyEndedSlots = std::size_t{1} << 16;
// What an ended span keeps of its children for late ones. A late child is nearly always one of another
// thread, drained after its parent: the spans with children on other threads keep them (a few separate pieces
// per thread class, the newest 16k such spans: a few MB), so the late one joins their union. A late child of
// another span (an async child on its thread, or a span of those evicted) counts as if the span's earlier
// children had not overlapped it.
constexpr std::size_t kEndedPieces = 16;
constexpr std::size_t kEndedWithChildren = std::size_t{1} << 14;
// Span starts kept for phases that become known only when they end (a short phase drained whole).
constexpr std::size_t kRecentStarts = std::size_t{1} << 16;
// A span is checked against this many of the newest phases only: phases are long and few.
constexpr std::size_t kPhasesChecked = 16;
constexpr std::uint64_t kNoEnd = std::numeric_limits<std::uint64_t>::max();

std::size_t slot_of(std::uint64_t span_id) {
  return static_cast<std::size_t>((span_id * 0x9E3779B97F4A7C15ull) >> 48) & (kRecentlyEndedSlots - 1);
}

}  // namespace

Aggregator::Aggregator(AggregateOptions options)
    : options_(std::move(options)), group_keys_(attribute_list(options_.group_by)) {
  summary_.group_by = options_.group_by;
  summary_.group_keys = group_keys_;
  summary_.label_keys = options_.label_keys;
  auto keep = [this](const std::string& key) {
    if (std::find(kept_keys_.begin(), kept_keys_.end(), key) == kept_keys_.end()) kept_keys_.push_back(key);
  };
  for (const std::string& key : group_keys_) keep(key);
  for (const std::string& key : options_.sum_keys) keep(key);
  for (const std::string& key : options_.label_keys) keep(key);
  if (options_.selections.size() > kMaxSpanSelections)
    throw std::length_error(
        fmt::format("{} span selections: at most {}", options_.selections.size(), kMaxSpanSelections));
  for (const SpanSelection& selection : options_.selections) {
    for (const OwnedAttr& filter : selection.selector.filters) keep(filter.key);
    // A selection no span matches is there too, with a count of 0: it was looked for. One given twice is
    // counted once.
    const auto [row, fresh] = summary_.selected_spans.try_emplace(selection.key());
    selected_rows_.push_back(fresh ? &row->second : nullptr);
  }
}

void Aggregator::begin_run(const std::filesystem::path& file) {
  run_ = RunInfo{};
  run_.file = file;
  min_ts_ = kNoEnd;
  max_ts_ = 0;
  footer_.reset();
  run_dropped_ = {};
  run_unnamed_drops_.clear();
  run_spans_ = run_events_ = 0;
  run_rings_grown_ = run_largest_ring_ = 0;
  run_ring_bytes_.reset();
  open_.clear();
  awaited_parents_.clear();
  awaited_error_parents_.clear();
  recently_ended_.reset();  // allocated at the run's first span
  ended_children_.clear();
  ended_order_.clear();
  thread_index_.clear();
  thread_cache_ = {};
  phase_windows_.clear();
  open_windows_.clear();
  recent_starts_.clear();
  recent_starts_next_ = 0;
}

void Aggregator::saw_time(std::uint64_t ts) {
  min_ts_ = std::min(min_ts_, ts);
  max_ts_ = std::max(max_ts_, ts);
}

ThreadInfo& Aggregator::thread(std::uint64_t tid) {
  // A direct-mapped cache in front of the map: threads are few, and looked up at every span.
  ThreadSlot& cached = thread_cache_[(tid * 0x9E3779B97F4A7C15ull) >> 60];
  if (cached.used && cached.tid == tid) return summary_.threads[cached.index];
  auto [it, inserted] = thread_index_.try_emplace(tid, summary_.threads.size());
  if (inserted) summary_.threads.push_back(ThreadInfo{run_.run_id, tid, {}, 0, 0, false});
  cached = ThreadSlot{tid, it->second, true};
  return summary_.threads[it->second];
}

// A run has few span names and many spans: a small direct-mapped cache in front of the map saves hashing
// every name. Map nodes do not move, so the cached pointers stay valid.
SpanStats& Aggregator::stats_named(std::string_view name) {
  const std::size_t slot =
      (name.size() * 0x9E37u + (name.empty() ? 0u
                                             : static_cast<unsigned char>(name.front()) * 31u +
                                                   static_cast<unsigned char>(name.back()))) &
      (kNameSlots - 1);
  NameSlot& cached = name_cache_[slot];
  if (cached.stats != nullptr && cached.name == name) return *cached.stats;
  auto it = summary_.spans.find(name);
  if (it == summary_.spans.end()) it = summary_.spans.emplace(std::string(name), SpanStats{}).first;
  cached = NameSlot{it->first, &it->second};
  return it->second;
}

void Aggregator::on_header(const HeaderRecord& r, std::uint64_t) {
  copy_run_identity(r, run_);
  run_.overhead = r.overhead;
  run_.ring_max_bytes = r.ring_max_bytes;
  run_ring_bytes_ = r.ring_bytes;
  for (const MetricInfoRecord& info : r.metrics)
    summary_.metric_info[std::string(info.name)] =
        MetricInfo{std::string(info.unit), std::string(info.description)};
}

void Aggregator::on_thread(const ThreadRecord& r, std::uint64_t) {
  ThreadInfo& info = thread(r.tid);
  if (r.name) info.name = *r.name;
  if (r.exited) info.exited = true;
  if (r.ts != 0) saw_time(r.ts);
}

// The attributes any option reads, set at the start or at the end; a value set again at the end replaces the
// one from the start.
OwnedAttrs Aggregator::kept_attrs(const OpenEntry* start, Attrs attrs) const {
  OwnedAttrs kept = start != nullptr ? start->attrs : OwnedAttrs{};
  for (const Attr& attr : attrs)
    if (std::find(kept_keys_.begin(), kept_keys_.end(), attr.key) != kept_keys_.end())
      merge_attrs(kept, Attrs(&attr, 1));
  return kept;
}

// A span with none of the --by attributes has no row; one with some of them has the row of those.
SpanStats* Aggregator::group_stats(const OwnedAttrs& attrs) {
  OwnedAttrs values = dimension_values(attrs, group_keys_);
  if (values.empty()) {
    ++summary_.ungrouped_spans;
    return nullptr;
  }
  const std::string key = dimension_key(values, group_keys_);
  auto it = summary_.spans.find(key);
  if (it == summary_.spans.end()) {
    it = summary_.spans.emplace(key, SpanStats{}).first;
    it->second.group = std::move(values);
  }
  return &it->second;
}

void Aggregator::add_sums(const OwnedAttrs& attrs, SpanStats& row) {
  for (const std::string& key : options_.sum_keys) {
    const auto it =
        std::find_if(attrs.begin(), attrs.end(), [&](const OwnedAttr& a) { return a.key == key; });
    if (it != attrs.end() && it->type == AttrValue::Type::number) row.attr_sums[key] += it->number.as_double;
  }
}

std::uint64_t Aggregator::add_selected(std::string_view name, const OwnedAttrs& attrs,
                                       const FinishedSpan& span) {
  std::uint64_t selected = 0;
  for (std::size_t i = 0; i < options_.selections.size(); ++i) {
    const SpanSelection& selection = options_.selections[i];
    if (selected_rows_[i] == nullptr || !selection.selector.matches(attrs) ||
        !glob_match(selection.name_glob, name))
      continue;
    add_span(*selected_rows_[i], span);
    selected |= std::uint64_t{1} << i;
  }
  return selected;
}

// A late child changes the figures of every row its parent is counted in: its name's (or --by) row, and the
// selections it matched.
template <class Change>
void Aggregator::for_each_row(const RecentlyEnded& ended, Change change) {
  if (ended.stats != nullptr) change(*ended.stats);
  for (std::uint64_t bits = ended.selected; bits != 0; bits &= bits - 1)
    change(*selected_rows_[static_cast<std::size_t>(__builtin_ctzll(bits))]);
}

void Aggregator::add_labelled(std::string_view name, const OwnedAttrs& attrs, const FinishedSpan& span) {
  const OwnedAttrs labels = dimension_values(attrs, options_.label_keys);
  auto it = summary_.labelled_spans.find(name);
  if (it == summary_.labelled_spans.end())
    it = summary_.labelled_spans.emplace(std::string(name), LabelledSpans{}).first;
  it->second.series_of(dimension_key(labels, options_.label_keys), labels).add(span.dur_ns, span.error);
}

void Aggregator::add_span(SpanStats& stats, const FinishedSpan& span) {
  stats.durations.add(span.dur_ns);
  stats.self_ns += span.times.self_ns;
  stats.raw_self_ns += span.times.raw_self_ns;
  stats.parallel_ns += span.times.parallel_ns;
  if (span.error) ++stats.errors;
  if (span.subtree_error) ++stats.subtree_errors;
}

// A span's subtree is in error when the span or any descendant is. A descendant's error reaches each
// ancestor once, wherever the ancestor is in its life: open (it counts when it ends), just ended (its row
// is corrected, and the error goes on up), or not seen yet.
void Aggregator::credit_subtree_error(std::uint64_t parent) {
  for (;;) {
    if (auto open = open_.find(parent); open != open_.end()) {
      open->second.subtree_error = true;
      return;
    }
    RecentlyEnded* ended = recently_ended_ ? &recently_ended_[slot_of(parent)] : nullptr;
    if (ended == nullptr || !ended->used || ended->span_id != parent) {
      awaited_error_parents_.insert(parent);
      return;
    }
    if (ended->subtree_error) return;  // its ancestors know already
    ended->subtree_error = true;
    for_each_row(*ended, [](SpanStats& row) { ++row.subtree_errors; });
    if (!ended->has_parent) return;
    parent = ended->parent;
  }
}

bool Aggregator::take_awaited_error(std::uint64_t span_id) {
  return !awaited_error_parents_.empty() && awaited_error_parents_.erase(span_id) > 0;
}

void Aggregator::complete_span(std::string_view name, std::uint64_t span_id,
                               std::optional<std::uint64_t> parent, std::uint64_t tid, std::uint64_t ts,
                               std::uint64_t dur_ns, bool error, bool is_phase, DirectChildren children,
                               const OpenEntry* start, Attrs attrs, std::uint64_t stats_ns) {
  const bool tabulated = name_selected(name);
  const OwnedAttrs kept = kept_keys_.empty() ? OwnedAttrs{} : kept_attrs(start, attrs);
  SpanStats* stats = nullptr;
  if (!tabulated) {
    // not tabulated, but it still counts as a span and as its parent's child
  } else if (group_keys_.empty()) {
    stats = &stats_named(name);
  } else {
    stats = group_stats(kept);
  }
  children.bind(tid);
  const bool subtree_error =
      take_awaited_error(span_id) || error || (start != nullptr && start->subtree_error);
  const FinishedSpan span{dur_ns, span_times(ts, dur_ns, tid, children, in_parent_ns(), stats_ns), error,
                          subtree_error};
  const SpanTimes& times = span.times;
  if (stats != nullptr) {
    add_span(*stats, span);
    add_sums(kept, *stats);
  }
  const std::uint64_t selected = add_selected(name, kept, span);
  if (tabulated && !options_.label_keys.empty()) add_labelled(name, kept, span);
  ++summary_.total_spans;
  ++run_spans_;
  ++thread(tid).spans;
  saw_time(ts);
  saw_time(ts + dur_ns);

  // A phase's `spans` are the other spans that started within it (docs/format.md), phases excepted.
  if (is_phase) {
    phase_window(span_id, name, ts, ts + dur_ns);
  } else {
    count_in_phase_windows(ts);
    if (recent_starts_.size() < kRecentStarts) {
      recent_starts_.push_back(ts);
    } else {
      recent_starts_[recent_starts_next_] = ts;
      recent_starts_next_ = (recent_starts_next_ + 1) % kRecentStarts;
    }
  }

  if (parent) {
    credit_parent(*parent, ts, ts + dur_ns, tid);
    if (subtree_error) credit_subtree_error(*parent);
  }
  if (!recently_ended_) {
    // Zero pages from the system: a slot costs only once it is used, and a run without spans nothing.
    recently_ended_.reset(
        static_cast<RecentlyEnded*>(std::calloc(kRecentlyEndedSlots, sizeof(RecentlyEnded))));
    if (!recently_ended_) throw std::bad_alloc();
  }
  RecentlyEnded& slot = recently_ended_[slot_of(span_id)];
  if (slot.has_children) ended_children_.erase(slot.span_id);
  slot = RecentlyEnded{
      span_id,  stats,         ts,   dur_ns, tid, stats_ns, parent.value_or(0), parent.has_value(),
      selected, subtree_error, true, false};
  if ((stats != nullptr || selected != 0) && children.has_other_threads()) {
    children.limit(kEndedPieces);
    keep_ended_children(span_id, EndedChildren{std::move(children), times});
    slot.has_children = true;
  }
}

bool Aggregator::name_selected(std::string_view name) {
  if (options_.name_filter.empty()) return true;
  auto it = filter_decisions_.find(name);
  if (it == filter_decisions_.end())
    it = filter_decisions_.emplace(std::string(name), glob_match(options_.name_filter, name)).first;
  return it->second;
}

// A child belongs to its parent's figures wherever the parent is in its life: still open, just ended (the
// parent's stats are corrected by the difference the child makes), or not seen yet.
void Aggregator::credit_parent(std::uint64_t parent, std::uint64_t start, std::uint64_t end,
                               std::uint64_t tid) {
  if (auto open = open_.find(parent); open != open_.end()) {
    open->second.children.add(start, end, tid);
    return;
  }
  RecentlyEnded* ended = recently_ended_ ? &recently_ended_[slot_of(parent)] : nullptr;
  if (ended != nullptr && ended->used && ended->span_id == parent) {
    if (ended->stats == nullptr && ended->selected == 0) return;  // not tabulated: nothing to correct
    if (!ended->has_children) {
      EndedChildren fresh;
      fresh.children.bind(ended->tid);
      fresh.times = span_times(ended->start, ended->dur_ns, ended->tid, fresh.children, in_parent_ns(),
                               ended->stats_ns);
      keep_ended_children(parent, std::move(fresh));
      ended->has_children = true;
    }
    EndedChildren& entry = ended_children_.at(parent);
    entry.children.add(start, end, tid);
    entry.children.limit(kEndedPieces);
    const SpanTimes now =
        span_times(ended->start, ended->dur_ns, ended->tid, entry.children, in_parent_ns(), ended->stats_ns);
    // The stats hold the earlier figures; a total never goes below 0 (a span whose children were not kept has
    // only an estimate to correct).
    auto correct = [](std::uint64_t& total, std::uint64_t now, std::uint64_t before) {
      total = now >= before ? total + (now - before) : total - std::min(total, before - now);
    };
    for_each_row(*ended, [&](SpanStats& row) {
      correct(row.self_ns, now.self_ns, entry.times.self_ns);
      correct(row.raw_self_ns, now.raw_self_ns, entry.times.raw_self_ns);
      correct(row.parallel_ns, now.parallel_ns, entry.times.parallel_ns);
    });
    entry.times = now;
    return;
  }
  awaited_parents_[parent].add(start, end, tid);
}

void Aggregator::keep_ended_children(std::uint64_t span_id, EndedChildren children) {
  ended_children_.insert_or_assign(span_id, std::move(children));
  ended_order_.push_back(span_id);
  if (ended_order_.size() <= kEndedWithChildren) return;
  const std::uint64_t oldest = ended_order_.front();
  ended_order_.pop_front();
  if (ended_children_.erase(oldest) == 0) return;  // its slot was taken since
  RecentlyEnded& slot = recently_ended_[slot_of(oldest)];
  if (slot.used && slot.span_id == oldest) slot.has_children = false;
}

DirectChildren Aggregator::take_awaited(std::uint64_t span_id) {
  DirectChildren children;
  if (awaited_parents_.empty()) return children;
  if (auto it = awaited_parents_.find(span_id); it != awaited_parents_.end()) {
    children = std::move(it->second);
    awaited_parents_.erase(it);
  }
  return children;
}

void Aggregator::on_span(const SpanRecord& r, std::uint64_t) {
  complete_span(r.name, r.span_id, r.parent, r.tid, r.ts, r.dur_ns, r.error, r.is_phase,
                take_awaited(r.span_id), nullptr, r.attrs, r.stats_ns);
}

void Aggregator::on_span_start(const SpanStartRecord& r, std::uint64_t) {
  OpenEntry entry;
  entry.name = r.name;
  entry.tid = r.tid;
  entry.ts = r.ts;
  entry.parent = r.parent;
  entry.is_phase = r.is_phase;
  entry.children = take_awaited(r.span_id);
  entry.children.bind(r.tid);
  if (!kept_keys_.empty()) entry.attrs = kept_attrs(nullptr, r.attrs);
  entry.subtree_error = take_awaited_error(r.span_id);
  thread(r.tid);
  saw_time(r.ts);
  if (r.is_phase) phase_window(r.span_id, r.name, r.ts, std::nullopt);
  open_.insert_or_assign(r.span_id, std::move(entry));
}

void Aggregator::on_span_end(const SpanEndRecord& r, std::uint64_t) {
  auto it = open_.find(r.span_id);
  if (it == open_.end()) {
    ++summary_.orphan_span_ends;
    return;
  }
  OpenEntry entry = std::move(it->second);
  open_.erase(it);
  saw_time(r.ts);
  DirectChildren children = std::move(entry.children);
  complete_span(entry.name, r.span_id, entry.parent, entry.tid, entry.ts, r.dur_ns, r.error, entry.is_phase,
                std::move(children), &entry, r.attrs, r.stats_ns);
}

// A line's spans join the name's figures as full spans of the name would, but for what a line does not
// have: no start (its ts is a write time), so no phase counts them, and no attributes, so --by leaves them
// ungrouped. They are no one's children in the file: a full parent knows their time as its stats_ns.
void Aggregator::on_span_stats(const SpanStatsRecord& r, std::uint64_t) {
  summary_.total_spans += r.count;
  run_spans_ += r.count;
  ThreadInfo& info = thread(r.tid);
  info.spans += r.count;
  info.statistics += r.count;
  if (r.ts != 0) saw_time(r.ts);
  if (!name_selected(r.name)) return;
  if (!options_.group_by.empty()) {
    summary_.ungrouped_spans += r.count;
    return;
  }
  SpanStats& stats = stats_named(r.name);
  for (const SpanStatsRecord::Bucket& bucket : r.buckets)
    stats.durations.add_bucket(bucket.lower_ns, bucket.count);
  stats.durations.add_sum(r.total_ns);
  // The recorder's self time: it saw the children, statistics or full, on the thread. No instrumentation is
  // subtracted from it, so the raw figure is the same.
  stats.self_ns += r.self_ns;
  stats.raw_self_ns += r.self_ns;
  stats.statistics += r.count;
  if (!options_.label_keys.empty()) {
    // Without attributes: the series of a name without any of the labels.
    SpanSeriesStats& series =
        summary_.labelled_spans[std::string(r.name)].series_of(dimension_key({}, options_.label_keys), {});
    for (const SpanStatsRecord::Bucket& bucket : r.buckets)
      series.durations.add_bucket(bucket.lower_ns, bucket.count);
    series.durations.add_sum(r.total_ns);
  }
}

void Aggregator::on_instant(const InstantRecord& r, std::uint64_t) {
  auto it = summary_.events.find(r.name);
  if (it == summary_.events.end()) it = summary_.events.emplace(std::string(r.name), 0).first;
  ++it->second;
  ++summary_.total_events;
  ++run_events_;
  saw_time(r.ts);
}

void Aggregator::on_log(const LogRecord& r, std::uint64_t) {
  summary_.logs.add(r);
  saw_time(r.ts);
}

namespace {

// A metric's series of `labels`, created on its first line; `created` says whether it was.
template <class Stats>
Stats& labelled_series(StringMap<SeriesByLabels<Stats>>& metrics, std::string_view name, Labels labels,
                       bool* created = nullptr) {
  auto metric = metrics.find(name);
  if (metric == metrics.end()) metric = metrics.emplace(std::string(name), SeriesByLabels<Stats>{}).first;
  std::string text = label_text(labels);
  auto series = metric->second.find(text);
  if (created != nullptr) *created = series == metric->second.end();
  if (series == metric->second.end())
    series = metric->second.emplace(std::move(text), LabelledSeries<Stats>{owned_labels(labels), {}}).first;
  return series->second.stats;
}

}  // namespace

void Aggregator::on_counter(const CounterRecord& r, std::uint64_t) {
  if (r.labels.empty()) {
    auto it = summary_.counters.find(r.name);
    if (it == summary_.counters.end())
      it = summary_.counters.emplace(std::string(r.name), CounterStats{}).first;
    it->second.add(r.delta);
  } else {
    labelled_series(summary_.labelled_counters, r.name, r.labels).add(r.delta);
  }
  if (r.ts != 0) saw_time(r.ts);
}

void Aggregator::on_gauge(const GaugeRecord& r, std::uint64_t) {
  if (r.labels.empty()) {
    auto [it, first] = summary_.gauges.try_emplace(std::string(r.name));
    it->second.add(r, first);
  } else {
    bool first = false;
    labelled_series(summary_.labelled_gauges, r.name, r.labels, &first).add(r, first);
  }
  if (r.ts != 0) saw_time(r.ts);
}

void Aggregator::on_histogram(const HistogramRecord& r, std::uint64_t) {
  Histogram& histogram = labelled_series(summary_.histograms, r.name, r.labels);
  for (const SpanStatsRecord::Bucket& bucket : r.buckets) histogram.add_bucket(bucket.lower_ns, bucket.count);
  histogram.add_sum(r.sum);
  if (r.ts != 0) saw_time(r.ts);
}

void Aggregator::on_metric_info(const MetricInfoRecord& r, std::uint64_t) {
  summary_.metric_info[std::string(r.name)] = MetricInfo{std::string(r.unit), std::string(r.description)};
  if (r.ts != 0) saw_time(r.ts);
}

std::uint64_t Aggregator::recent_starts_in(std::uint64_t from, std::uint64_t until) const {
  return static_cast<std::uint64_t>(
      std::count_if(recent_starts_.begin(), recent_starts_.end(),
                    [&](std::uint64_t ts) { return ts >= from && ts < until; }));
}

Aggregator::PhaseWindow& Aggregator::phase_window(std::optional<std::uint64_t> span_id, std::string_view name,
                                                  std::uint64_t start, std::optional<std::uint64_t> end) {
  for (std::size_t i = 0; i < phase_windows_.size(); ++i) {
    PhaseWindow& w = phase_windows_[i];
    const bool same = span_id && w.span_id ? *w.span_id == *span_id : (w.name == name && w.start == start);
    if (!same) continue;
    if (end && w.end == kNoEnd) {
      // While its end was unknown, the window counted every span that started after its start; those that
      // started at or after its end were drained before the phase's end (other threads' rings) and are
      // among the recent starts.
      w.end = std::max(*end, w.start);
      w.spans -= std::min(w.spans, recent_starts_in(std::max(w.end, w.start), kNoEnd));
      std::erase(open_windows_, i);
    }
    return w;
  }
  PhaseWindow w;
  w.span_id = span_id;
  w.name = name;
  w.start = start;
  w.end = end ? std::max(*end, start) : kNoEnd;
  // The spans that ended before this phase was known (a phase's span_start follows its first children's
  // lines when they were drained together).
  w.spans = recent_starts_in(w.start, w.end);
  if (w.end == kNoEnd) open_windows_.push_back(phase_windows_.size());
  phase_windows_.push_back(std::move(w));
  return phase_windows_.back();
}

// Half-open intervals [start, end), as the recorder counts them: a span starting as a phase ends is the
// next phase's.
void Aggregator::count_in_phase_windows(std::uint64_t ts) {
  auto count = [ts](PhaseWindow& w) {
    if (ts >= w.start && ts < w.end) ++w.spans;
  };
  for (const std::size_t i : open_windows_) count(phase_windows_[i]);
  const std::size_t first =
      phase_windows_.size() > kPhasesChecked ? phase_windows_.size() - kPhasesChecked : 0;
  for (std::size_t i = first; i < phase_windows_.size(); ++i)
    if (phase_windows_[i].end != kNoEnd) count(phase_windows_[i]);
}

void Aggregator::on_phase(const PhaseRecord& r, std::uint64_t) {
  PhaseWindow& w = phase_window(r.span_id, r.name, r.ts, r.end_ts);
  w.wall_ns = r.wall_ns;
  w.ended = true;
  saw_time(r.ts);
  saw_time(r.end_ts);
}

void Aggregator::on_dropped(const DroppedRecord& r, std::uint64_t) {
  run_dropped_.add(r.counts);
  // What the names account for, each at most what the line counts (a line that says otherwise is believed
  // for its totals).
  auto by_name = [](NamedCounts names, StringMap<std::uint64_t>& into, std::uint64_t total) {
    std::uint64_t named = 0;
    for (const NamedCount& n : names) {
      auto it = into.find(n.name);
      if (it == into.end()) it = into.emplace(std::string(n.name), 0).first;
      it->second += n.count;
      named += n.count;
    }
    return total - std::min(named, total);
  };
  const std::uint64_t spans = by_name(r.span_names, summary_.dropped_span_names, r.counts.spans);
  const std::uint64_t events = by_name(r.event_names, summary_.dropped_event_names, r.counts.events);
  if (spans > 0 || events > 0) {
    auto it = std::find_if(run_unnamed_drops_.begin(), run_unnamed_drops_.end(),
                           [&](const UnnamedDrops& u) { return u.tid == r.tid && !u.footer_only; });
    if (it == run_unnamed_drops_.end())
      it = run_unnamed_drops_.insert(run_unnamed_drops_.end(), UnnamedDrops{run_.run_id, r.tid, 0, 0, false});
    it->spans += spans;
    it->events += events;
  }
  if (r.ts != 0) saw_time(r.ts);
}

void Aggregator::on_ring_grown(const RingGrownRecord& r, std::uint64_t) {
  ++run_rings_grown_;
  run_largest_ring_ = std::max(run_largest_ring_, r.bytes);
  if (r.ts != 0) saw_time(r.ts);
}

void Aggregator::on_crash(const CrashRecord& r, std::uint64_t) {
  run_.crash = CrashInfo{r.signal, std::string(r.name), std::string(r.what()), r.tid, r.ts};
  if (r.ts != 0) saw_time(r.ts);
}

void Aggregator::on_footer(const FooterRecord& r, std::uint64_t) {
  footer_ = r;
  summary_.metric_overflow += r.metric_overflow;
  footer_->stopped_by = {};  // a view into the reader's buffers: kept as a copy in the run
  run_.stopped_by = std::string(r.stopped_by);
  saw_time(r.ts);
}

void Aggregator::end_run(const ReadReport& report) {
  run_.read = report;
  if (!run_.has_header || run_.start_ts == 0) run_.start_ts = min_ts_ == kNoEnd ? 0 : min_ts_;
  run_.end_ts = std::max(max_ts_, run_.start_ts);
  run_.wall_ns = run_.end_ts - run_.start_ts;
  DroppedCounts dropped = run_dropped_;
  // The largest ring is at least the size every ring starts at, as the recorder counts it.
  run_.rings_grown = run_rings_grown_;
  run_.largest_ring = std::max(run_largest_ring_, run_ring_bytes_.value_or(0));
  if (footer_) {
    run_.has_footer = true;
    if (footer_->ts != 0) run_.end_ts = footer_->ts;
    if (footer_->wall_ns != 0) run_.wall_ns = footer_->wall_ns;
    run_.footer_records = footer_->records;
    run_.footer_open_spans = footer_->open_spans;
    run_.unwritten_records = footer_->unwritten_records;
    // As for drops: the footer counts growths whose lines it may not have got to write.
    run_.rings_grown = std::max(run_.rings_grown, footer_->rings_grown);
    run_.largest_ring = std::max(run_.largest_ring, footer_->largest_ring);
    summary_.sampled_out += footer_->sampled_out;
    // The footer's totals win if the flusher counted drops it did not get to write as `dropped` lines.
    dropped.take_max(footer_->dropped);
    if (dropped.spans > run_dropped_.spans || dropped.events > run_dropped_.events)
      run_unnamed_drops_.push_back(UnnamedDrops{run_.run_id, 0, dropped.spans - run_dropped_.spans,
                                                dropped.events - run_dropped_.events, true});
  }
  run_.dropped = dropped;
  RunEnd ending{run_.has_footer, run_.stopped_by, std::nullopt, run_.pid, run_.host, run_.file};
  if (run_.crash) ending.crash = run_.crash->reason;
  run_.state = decide_run_state(ending);
  run_.spans = run_spans_ + open_.size();
  run_.events = run_events_;
  summary_.unnamed_drops.insert(summary_.unnamed_drops.end(), run_unnamed_drops_.begin(),
                                run_unnamed_drops_.end());
  summary_.dropped.add(dropped);
  summary_.unwritten_records += run_.unwritten_records;
  summary_.rings_grown += run_.rings_grown;
  summary_.largest_ring = std::max(summary_.largest_ring, run_.largest_ring);
  summary_.records += report.records;

  for (const PhaseWindow& w : phase_windows_) {
    PhaseStats& p = summary_.phases[w.name];
    if (!w.ended && w.end == kNoEnd) {
      // Still open when the run ended (stopped inside it, or died): its wall time so far.
      p.open = true;
      p.wall_ns += run_.end_ts > w.start ? run_.end_ts - w.start : 0;
    } else {
      p.wall_ns += w.ended ? w.wall_ns : w.end - w.start;
    }
    ++p.occurrences;
    p.spans += w.spans;
  }

  // A child that never ended covers its parent from its start on; one whose parent is still open changes
  // nothing (that parent has no figures).
  for (const auto& [span_id, entry] : open_)
    if (entry.parent) credit_parent(*entry.parent, entry.ts, std::max(run_.end_ts, entry.ts), entry.tid);

  std::vector<OpenSpan> still_open;
  for (const auto& [span_id, entry] : open_) {
    const auto thread_it = thread_index_.find(entry.tid);
    // A thread's spans are the spans started on it, ended or not (as in run_summary.json).
    if (thread_it != thread_index_.end()) ++summary_.threads[thread_it->second].spans;
    std::string thread_name =
        thread_it == thread_index_.end() ? "" : summary_.threads[thread_it->second].name;
    const std::uint64_t last = std::max(run_.end_ts, entry.ts);
    still_open.push_back(OpenSpan{run_.run_id, span_id, entry.name, entry.tid, std::move(thread_name),
                                  entry.ts, last - entry.ts, entry.is_phase});
  }
  std::sort(still_open.begin(), still_open.end(), [](const OpenSpan& a, const OpenSpan& b) {
    return std::tie(a.start_ts, a.span_id) < std::tie(b.start_ts, b.span_id);
  });
  summary_.open_spans.insert(summary_.open_spans.end(), still_open.begin(), still_open.end());
  summary_.runs.push_back(run_);
}

Summary summarize(const std::vector<std::filesystem::path>& files, const AggregateOptions& options,
                  const ReadOptions& read_options) {
  Aggregator aggregator(options);
  for (const auto& file : files) {
    aggregator.begin_run(file);
    const ReadReport report = read_file(file, aggregator, read_options);
    aggregator.end_run(report);
  }
  return aggregator.take_summary();
}

}  // namespace spanlog::reader
