// `spanlog top [RUN]`: what a run is doing while it is written: the spans open on each thread, the slowest
// span names by p99, counter rates, gauges, the newest events and drops; redrawn in place on a terminal (`q`
// quits), printed as plain text otherwise. Given a runs directory (or nothing), it waits for the first run
// and moves to each new one.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <thread>

#include "cli/terminal_keys.hpp"
#include "cli/usage_error.hpp"
#include "cli/view_commands.hpp"
#include "reader/followed_file.hpp"
#include "reader/histogram.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/run_location.hpp"
#include "reader/run_state.hpp"
#include "reader/span_assembler.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

using reader::human_duration;
using reader::human_number;

// Counter rates are over the newest ten seconds of the run's own clock.
constexpr std::uint64_t kRateWindowNs = 10'000'000'000;
// The newest events listed; every name is counted.
constexpr std::size_t kEventsShown = 5;

class TopSink : public reader::RecordSink {
 public:
  bool header_seen = false;

  bool wants_attrs() const override { return false; }
  void on_header(const reader::HeaderRecord& r, std::uint64_t) override {
    header_seen = true;
    process_ = std::string(r.process);
    run_id_ = std::string(r.run_id);
    host_ = std::string(r.host);
    pid_ = r.pid;
    see(r.start_ts);
  }
  void on_crash(const reader::CrashRecord& r, std::uint64_t) override {
    crash_ = std::string(r.what());
    see(r.ts);
  }
  reader::RunState state(const std::filesystem::path& file) const {
    reader::RunEnd ending{has_footer_, stopped_by_, std::nullopt, pid_, host_, file};
    if (crash_) ending.crash = *crash_;
    return reader::decide_run_state(ending);
  }
  void on_thread(const reader::ThreadRecord& r, std::uint64_t) override {
    if (r.name) names_[r.tid] = std::string(*r.name);
  }
  void on_span(const reader::SpanRecord& r, std::uint64_t) override {
    ended(r.name, r.dur_ns, r.error);
    see(r.ts + r.dur_ns);
  }
  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t line) override {
    open_.start(r, line);
    see(r.ts);
  }
  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t) override {
    if (const auto span = open_.end(r)) ended(span->name, r.dur_ns, r.error);
    see(r.ts);
  }
  // Statistics-mode spans join their name's row, counted by bucket (schema 1.4).
  void on_span_stats(const reader::SpanStatsRecord& r, std::uint64_t) override {
    auto it = stats_.find(r.name);
    if (it == stats_.end()) it = stats_.emplace(std::string(r.name), Stats{}).first;
    for (const auto& bucket : r.buckets) it->second.durations.add_bucket(bucket.lower_ns, bucket.count);
    it->second.durations.add_sum(r.total_ns);
    spans_ended_ += r.count;
    see(r.ts);
  }
  void on_counter(const reader::CounterRecord& r, std::uint64_t) override {
    auto& c = counters_[std::string(r.name)];
    const double delta = r.delta.is_integer ? static_cast<double>(r.delta.as_integer) : r.delta.as_double;
    c.total += delta;
    c.recent.emplace_back(r.ts, delta);
    see(r.ts);
  }
  void on_gauge(const reader::GaugeRecord& r, std::uint64_t) override {
    auto& g = gauges_[std::string(r.name)];
    g.last = r.value;
    see(r.ts);
    const std::optional<double> low = r.min ? r.min : r.value, high = r.max ? r.max : r.value;
    if (!low || !high) return;
    g.min = g.seen ? std::min(g.min, *low) : *low;
    g.max = g.seen ? std::max(g.max, *high) : *high;
    g.seen = true;
  }
  void on_instant(const reader::InstantRecord& r, std::uint64_t) override {
    ++event_counts_[std::string(r.name)];
    newest_events_.push_back({r.ts, r.tid, std::string(r.name)});
    // Threads' events arrive a flush at a time, out of time order: the newest by time are kept.
    if (newest_events_.size() > kEventsShown * 4) {
      std::stable_sort(newest_events_.begin(), newest_events_.end(),
                       [](const Event& a, const Event& b) { return a.ts < b.ts; });
      newest_events_.erase(newest_events_.begin(), newest_events_.end() - kEventsShown);
    }
    see(r.ts);
  }
  void on_dropped(const reader::DroppedRecord& r, std::uint64_t) override { dropped_.add(r.counts); }
  void on_footer(const reader::FooterRecord& r, std::uint64_t) override {
    has_footer_ = true;
    stopped_by_ = std::string(r.stopped_by);
    see(r.ts);
  }

  std::string view(std::size_t rows, std::string_view state) {
    std::string out = fmt::format("spanlog top  {} {}  {}  {} spans ended, {} open\n\n", process_, run_id_,
                                  state, spans_ended_, open_.open_count());
    out += "ACTIVE\n";
    const auto active = open_.open_by_thread();
    if (active.empty()) out += "  (no open spans)\n";
    for (const auto& [tid, spans] : active) {
      std::string chain;
      for (const auto& nested : spans) chain += (chain.empty() ? "" : " > ") + nested.span->name;
      const std::uint64_t started = spans.back().span->start_ts;
      out += fmt::format("  {:<16} {}  ({})\n", thread_name(tid), chain,
                         human_duration(newest_ > started ? newest_ - started : 0));
    }
    out += fmt::format("\nSLOWEST BY P99\n  {:<28} {:>9} {:>10} {:>10} {:>7}\n", "name", "count", "p50",
                       "p99", "errors");
    std::vector<const std::pair<const std::string, Stats>*> names;
    for (const auto& entry : stats_) names.push_back(&entry);
    std::sort(names.begin(), names.end(), [](auto a, auto b) {
      return a->second.durations.percentile(0.99) > b->second.durations.percentile(0.99);
    });
    if (names.size() > rows) names.resize(rows);
    for (const auto* entry : names)
      out +=
          fmt::format("  {:<28} {:>9} {:>10} {:>10} {:>7}\n", entry->first, entry->second.durations.count(),
                      human_duration(entry->second.durations.percentile(0.5)),
                      human_duration(entry->second.durations.percentile(0.99)), entry->second.errors);
    out += "\nCOUNTERS (rate over the last 10 s of the run)\n";
    if (counters_.empty()) out += "  (none)\n";
    for (auto& [name, c] : counters_) {
      while (!c.recent.empty() && c.recent.front().first + kRateWindowNs < newest_) c.recent.pop_front();
      double recent = 0;
      for (const auto& [ts, delta] : c.recent) recent += delta;
      const double seconds = std::min<double>(static_cast<double>(kRateWindowNs),
                                              static_cast<double>(newest_ - std::min(newest_, first_))) /
                             1e9;
      out += fmt::format("  {:<28} total {:>12}  {:>10}/s\n", name, human_number(c.total),
                         human_number(seconds > 0 ? recent / seconds : 0.0));
    }
    out += gauges_view();
    out += events_view();
    out +=
        fmt::format("\nDROPPED  spans {}  events {}  metrics {}  attrs {}  async ends {}\n", dropped_.spans,
                    dropped_.events, dropped_.metrics, dropped_.attrs, dropped_.async_ends);
    return out;
  }

 private:
  struct Stats {
    reader::Histogram durations;
    std::uint64_t errors = 0;
  };
  struct Gauge {
    std::optional<double> last;  // empty when the recorder wrote null (not finite)
    double min = 0, max = 0;     // over the run, from the values set and each line's min and max
    bool seen = false;
  };
  struct Event {
    std::uint64_t ts = 0, tid = 0;
    std::string name;
  };

  std::string gauges_view() const {
    std::string out = fmt::format("\nGAUGES\n  {:<28} {:>12} {:>12} {:>12}\n", "name", "last", "min", "max");
    if (gauges_.empty()) out += "  (none)\n";
    for (const auto& [name, g] : gauges_)
      out += fmt::format("  {:<28} {:>12} {:>12} {:>12}\n", name, g.last ? human_number(*g.last) : "-",
                         g.seen ? human_number(g.min) : "-", g.seen ? human_number(g.max) : "-");
    return out;
  }
  // The newest events, newest first, then the count of each name.
  std::string events_view() const {
    std::string out = "\nEVENTS (newest first)\n";
    if (newest_events_.empty()) out += "  (none)\n";
    std::vector<Event> newest = newest_events_;
    std::stable_sort(newest.begin(), newest.end(),
                     [](const Event& a, const Event& b) { return a.ts > b.ts; });
    if (newest.size() > kEventsShown) newest.resize(kEventsShown);
    for (const Event& e : newest)
      out += fmt::format("  {:>10.3f} s  {:<16} {}\n",
                         first_ && e.ts >= first_ ? static_cast<double>(e.ts - first_) / 1e9 : 0.0,
                         thread_name(e.tid), e.name);
    if (!event_counts_.empty()) {
      out += " ";
      for (const auto& [name, count] : event_counts_) out += fmt::format(" {} {}", name, count);
      out += "\n";
    }
    return out;
  }
  struct Counter {
    double total = 0;
    std::deque<std::pair<std::uint64_t, double>> recent;
  };

  void ended(std::string_view name, std::uint64_t dur_ns, bool error) {
    auto it = stats_.find(name);
    if (it == stats_.end()) it = stats_.emplace(std::string(name), Stats{}).first;
    it->second.durations.add(dur_ns);
    it->second.errors += error;
    ++spans_ended_;
  }
  void see(std::uint64_t ts) {
    if (first_ == 0 || ts < first_) first_ = ts;
    newest_ = std::max(newest_, ts);
  }
  std::string thread_name(std::uint64_t tid) const {
    const auto it = names_.find(tid);
    return it == names_.end() ? fmt::format("{}", tid) : it->second;
  }

  std::string process_, run_id_, host_, stopped_by_;
  std::uint64_t pid_ = 0;
  bool has_footer_ = false;
  std::optional<std::string> crash_;
  std::map<std::uint64_t, std::string> names_;
  reader::SpanAssembler open_;
  std::map<std::string, Stats, std::less<>> stats_;
  std::map<std::string, Counter> counters_;
  std::map<std::string, Gauge> gauges_;
  std::map<std::string, std::uint64_t> event_counts_;
  std::vector<Event> newest_events_;
  reader::DroppedCounts dropped_;
  std::uint64_t spans_ended_ = 0, first_ = 0, newest_ = 0;
};

}  // namespace

int top_command(const TopOptions& options, const Console& console) {
  const reader::LiveRun location = reader::locate_live_run(options.run);
  if (!(options.interval_seconds > 0)) throw UsageError("--interval: expected a number of seconds above 0");
  reader::ReadOptions read_options;
  read_options.skip_bad = true;  // a live view keeps going past a bad line
  // A file truncated or rotated, or a runs directory's next run, is read again from its start.
  reader::FollowedFile<TopSink> run(
      location.file, [] { return std::make_unique<TopSink>(); }, read_options);
  const bool terminal = ::isatty(::fileno(console.out)) != 0;  // NO_COLOR turns colour off, not redrawing
  TerminalKeys keys;  // --once reads no key, but a signal still restores the terminal
  const auto started = std::chrono::steady_clock::now();
  bool said_waiting = false;
  for (;;) {
    run.read_appended();  // everything there is now, before drawing
    TopSink& sink = run.sink();
    if (!run.is_open() && options.once)
      throw UsageError(location.runs_directory
                           ? fmt::format("{}: no run yet", location.runs_directory->string())
                           : fmt::format("{}: cannot open", location.file.string()));
    const bool timed_out =
        options.timeout_seconds &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >=
            *options.timeout_seconds;
    // Until the header is there, the run is only about to start; then it is followed while it runs. A runs
    // directory is followed past a run's end, to the next run.
    const reader::RunState state = sink.state(location.file);
    const bool run_over = sink.header_seen && !state.running() && !location.runs_directory;
    const bool last = options.once || timed_out || run_over || TerminalKeys::stop_requested();
    const std::string view = run.is_open()
                                 ? sink.view(options.rows, sink.header_seen ? state.word() : "starting")
                                 : fmt::format("spanlog top  waiting for the first run in {}\n",
                                               location.runs_directory ? location.runs_directory->string()
                                                                       : location.file.string());
    // As plain text, waiting is said once, not every interval until the run starts.
    const bool repeated_wait = !terminal && !run.is_open() && said_waiting;
    said_waiting = !run.is_open();
    if (terminal)
      fmt::print(console.out, "\x1b[H\x1b[2J{}{}", view, last ? "" : "\n(q quits)");  // redraw in place
    else if (!repeated_wait)
      fmt::print(console.out, "{}{}", view, last ? "" : "\n----\n");
    std::fflush(console.out);
    if (last) break;
    const std::optional<char> key = keys.wait_for_key(options.interval_seconds);
    if (key == 'q' || key == 'Q' || TerminalKeys::stop_requested()) break;
  }
  if (terminal) fmt::print(console.out, "\n");
  if (run.report().skipped_lines > 0)
    console.warning("skipped {} malformed lines", run.report().skipped_lines);
  return 0;
}

}  // namespace spanlog::cli
