// Builds a Summary from the records of one or more runs. Memory grows with the number of distinct names,
// threads and open spans, never with the number of records: durations go into histograms, and span ids are
// remembered only while a span is open or awaited as a parent.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "reader/attr_selector.hpp"
#include "reader/records.hpp"
#include "reader/self_time.hpp"
#include "reader/summary.hpp"

namespace spanlog::reader {

// Spans picked by their name and their attributes: the subject of `p99(http.request{http.route="/a"}) < 5ms`.
struct SpanSelection {
  std::string name_glob;
  AttrSelector selector;
  std::string key() const { return name_glob + selector.text(); }  // its entry in Summary::selected_spans
};

// Selections a reading counts at most: a span remembers those it is in as the bits of a word, for the late
// children that correct its figures.
constexpr std::size_t kMaxSpanSelections = 64;

struct AggregateOptions {
  // Comma-separated attributes: rows are the combinations of their values instead of span names.
  std::string group_by;
  std::string name_filter;  // a glob: only spans with a matching name are tabulated (all still nest)
  std::vector<std::string> sum_keys;      // numeric attributes summed per row (--sum)
  std::vector<SpanSelection> selections;  // into Summary::selected_spans; at most kMaxSpanSelections
  std::vector<std::string> label_keys;    // per span name, series by these attributes' values (--labels)

  bool reads_attrs() const {
    return !group_by.empty() || !sum_keys.empty() || !selections.empty() || !label_keys.empty();
  }
};

class Aggregator : public RecordSink {
 public:
  explicit Aggregator(AggregateOptions options = {});

  // Span ids are unique only within a run: call begin_run/end_run around each file.
  void begin_run(const std::filesystem::path& file);
  void end_run(const ReadReport& report);
  const Summary& summary() const { return summary_; }
  Summary take_summary() {
    name_cache_ = {};
    thread_cache_ = {};
    return std::move(summary_);
  }

  bool wants_attrs() const override { return !kept_keys_.empty(); }
  void on_header(const HeaderRecord&, std::uint64_t) override;
  void on_thread(const ThreadRecord&, std::uint64_t) override;
  void on_span(const SpanRecord&, std::uint64_t) override;
  void on_span_start(const SpanStartRecord&, std::uint64_t) override;
  void on_span_end(const SpanEndRecord&, std::uint64_t) override;
  void on_span_stats(const SpanStatsRecord&, std::uint64_t) override;
  void on_instant(const InstantRecord&, std::uint64_t) override;
  void on_log(const LogRecord&, std::uint64_t) override;
  void on_counter(const CounterRecord&, std::uint64_t) override;
  void on_gauge(const GaugeRecord&, std::uint64_t) override;
  void on_histogram(const HistogramRecord&, std::uint64_t) override;
  void on_metric_info(const MetricInfoRecord&, std::uint64_t) override;
  void on_phase(const PhaseRecord&, std::uint64_t) override;
  void on_dropped(const DroppedRecord&, std::uint64_t) override;
  void on_ring_grown(const RingGrownRecord&, std::uint64_t) override;
  void on_crash(const CrashRecord&, std::uint64_t) override;
  void on_footer(const FooterRecord&, std::uint64_t) override;

 private:
  struct OpenEntry {
    std::string name;
    std::uint64_t tid = 0;
    std::uint64_t ts = 0;
    std::optional<std::uint64_t> parent;
    bool is_phase = false;
    DirectChildren children;
    OwnedAttrs attrs;            // those of kept_keys_ set at the start
    bool subtree_error = false;  // a descendant that ended already was in error
  };
  struct PhaseWindow {
    std::optional<std::uint64_t> span_id;
    std::string name;
    std::uint64_t start = 0, end = 0;
    std::uint64_t spans = 0;  // spans other than phases that started in [start, end)
    std::uint64_t wall_ns = 0;
    bool ended = false;  // its `phase` record was seen
  };
  // A slot of the direct-mapped cache of ended spans, for late children: a child whose line comes after its
  // parent's changes the parent's figures afterwards.
  struct RecentlyEnded {
    std::uint64_t span_id = 0;
    SpanStats* stats = nullptr;
    std::uint64_t start = 0, dur_ns = 0, tid = 0;
    std::uint64_t stats_ns = 0;  // its statistics-mode children's time
    std::uint64_t parent = 0;    // valid with has_parent: where a late child's error goes on to
    bool has_parent = false;
    std::uint64_t selected = 0;  // bit i: counted in options_.selections[i]
    bool subtree_error = false;  // counted in stats->subtree_errors
    bool used = false;
    bool has_children = false;  // its children are in ended_children_
  };
  struct EndedChildren {
    DirectChildren children;
    SpanTimes times;  // what the span's stats were given, for the difference a late child makes
  };

  void complete_span(std::string_view name, std::uint64_t span_id, std::optional<std::uint64_t> parent,
                     std::uint64_t tid, std::uint64_t ts, std::uint64_t dur_ns, bool error, bool is_phase,
                     DirectChildren children, const OpenEntry* start, Attrs attrs, std::uint64_t stats_ns);
  void credit_parent(std::uint64_t parent, std::uint64_t start, std::uint64_t end, std::uint64_t tid);
  DirectChildren take_awaited(std::uint64_t span_id);
  void keep_ended_children(std::uint64_t span_id, EndedChildren children);
  // What the recorder measured a child's begin and end to take of its parent's time (0: not measured).
  double in_parent_ns() const { return run_.overhead ? run_.overhead->in_parent_ns : 0.0; }
  // What a span that ended adds to each row it belongs to.
  struct FinishedSpan {
    std::uint64_t dur_ns = 0;
    SpanTimes times;
    bool error = false;
    bool subtree_error = false;  // it, or a descendant that ended before it, ended in error
  };
  SpanStats* group_stats(const OwnedAttrs& attrs);
  OwnedAttrs kept_attrs(const OpenEntry* start, Attrs attrs) const;
  static void add_span(SpanStats& stats, const FinishedSpan& span);
  void add_sums(const OwnedAttrs& attrs, SpanStats& row);
  std::uint64_t add_selected(std::string_view name, const OwnedAttrs& attrs, const FinishedSpan& span);
  template <class Change>
  void for_each_row(const RecentlyEnded& ended, Change change);
  void add_labelled(std::string_view name, const OwnedAttrs& attrs, const FinishedSpan& span);
  void credit_subtree_error(std::uint64_t parent);
  bool take_awaited_error(std::uint64_t span_id);
  void count_in_phase_windows(std::uint64_t ts);
  std::uint64_t recent_starts_in(std::uint64_t from, std::uint64_t until) const;
  PhaseWindow& phase_window(std::optional<std::uint64_t> span_id, std::string_view name, std::uint64_t start,
                            std::optional<std::uint64_t> end);
  ThreadInfo& thread(std::uint64_t tid);
  SpanStats& stats_named(std::string_view name);
  void saw_time(std::uint64_t ts);

  bool name_selected(std::string_view name);

  AggregateOptions options_;
  std::vector<std::string> group_keys_;
  std::vector<std::string> kept_keys_;  // every attribute an option reads; none: attributes are not read
  std::vector<SpanStats*>
      selected_rows_;                 // each selection's entry in summary_.selected_spans; null: a repeat
  StringMap<bool> filter_decisions_;  // glob matching once per name, not once per span
  Summary summary_;
  RunInfo run_;
  std::uint64_t min_ts_ = 0, max_ts_ = 0;
  std::optional<FooterRecord> footer_;
  DroppedCounts run_dropped_;
  std::vector<UnnamedDrops> run_unnamed_drops_;
  std::uint64_t run_spans_ = 0, run_events_ = 0;
  std::uint64_t run_rings_grown_ = 0, run_largest_ring_ = 0;  // from the `ring_grown` lines
  std::optional<std::uint64_t> run_ring_bytes_;               // the header's options.ring_bytes
  std::unordered_map<std::uint64_t, OpenEntry> open_;
  std::unordered_map<std::uint64_t, DirectChildren> awaited_parents_;  // children of spans not seen yet
  std::unordered_set<std::uint64_t> awaited_error_parents_;  // spans not seen yet with a descendant in error
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<RecentlyEnded[], FreeDeleter> recently_ended_;     // kRecentlyEndedSlots, zeroed: empty
  std::unordered_map<std::uint64_t, EndedChildren> ended_children_;  // of the spans in recently_ended_
  std::deque<std::uint64_t> ended_order_;  // their ids, oldest first: the oldest give up their children
  std::unordered_map<std::uint64_t, std::size_t> thread_index_;  // tid -> index into summary_.threads
  struct ThreadSlot {
    std::uint64_t tid = 0;
    std::size_t index = 0;
    bool used = false;
  };
  std::array<ThreadSlot, 16> thread_cache_{};
  struct NameSlot {
    std::string_view name;  // the map's key
    SpanStats* stats = nullptr;
  };
  static constexpr std::size_t kNameSlots = 64;
  std::array<NameSlot, kNameSlots> name_cache_{};
  std::vector<PhaseWindow> phase_windows_;
  std::vector<std::size_t> open_windows_;     // indices of the windows whose end is not known yet
  std::vector<std::uint64_t> recent_starts_;  // ring of the last span start times, for phases seen late
  std::size_t recent_starts_next_ = 0;
};

// Reads the runs (telemetry.jsonl files) into one summary; throws ReadError.
Summary summarize(const std::vector<std::filesystem::path>& files, const AggregateOptions& options,
                  const ReadOptions& read_options);

}  // namespace spanlog::reader
