// `spanlog doctor [RUN]`: is the run whole and trustworthy? A crash, a torn last line, spans that never ended
// (what the program was doing when it died), dropped records, clocks going backwards, a missing footer,
// malformed lines, flusher stalls; and what the recorder's vitals say (schema 1.7): a high flusher lag, the
// fullest ring, resident memory's growth. Exit status 1 when something is wrong.
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "cli/commands.hpp"
#include "cli/losses.hpp"
#include "cli/run_status.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/run_location.hpp"
#include "reader/sink_fanout.hpp"
#include "reader/span_assembler.hpp"
#include "reader/units.hpp"
#include "reader/vitals.hpp"

namespace spanlog::cli {
namespace {

using reader::human_duration;

struct ClockStats {
  std::uint64_t backwards = 0;
  std::uint64_t largest_ns = 0;
  std::uint64_t first_line = 0;
};

// Collects the facts `doctor` judges; one pass, memory bounded by threads and open spans.
class HealthSink : public reader::RecordSink {
 public:
  std::optional<std::uint64_t> header_line;
  std::uint64_t start_ts = 0, pid = 0;
  std::string run_id, host;
  std::optional<std::uint64_t> flush_interval_ms;
  std::optional<reader::FooterRecord> footer;
  std::string stopped_by;  // the footer's, copied
  std::optional<reader::CrashInfo> crash;
  reader::DroppedCounts dropped;
  reader::SpanAssembler open;
  std::uint64_t before_start = 0, before_start_first_line = 0;
  std::unordered_map<std::uint64_t, ClockStats> clocks;  // per thread
  std::unordered_map<std::uint64_t, std::string> thread_names;
  std::uint64_t last_ts = 0;
  std::uint64_t longest_drain_gap = 0, last_drain = 0;
  std::uint64_t spans = 0, events = 0;
  std::optional<std::uint64_t> ring_bytes, ring_max_bytes;  // the header's options
  std::uint64_t rings_grown = 0, largest_ring = 0;          // from the ring_grown lines

  bool wants_attrs() const override { return false; }
  void on_header(const reader::HeaderRecord& r, std::uint64_t line) override {
    header_line = line;
    start_ts = r.start_ts;
    pid = r.pid;
    run_id = r.run_id;
    host = r.host;
    flush_interval_ms = r.flush_interval_ms;
    ring_bytes = r.ring_bytes;
    ring_max_bytes = r.ring_max_bytes;
  }
  void on_ring_grown(const reader::RingGrownRecord& r, std::uint64_t line) override {
    ++rings_grown;
    largest_ring = std::max(largest_ring, r.bytes);
    // Its `ts` is when the flusher reached the ring's link, later than the thread's records after it in the
    // batch: not a time in the thread's own order (as a `thread` line's).
    check_start(r.ts, line);
    last_ts = std::max(last_ts, r.ts);
  }
  void on_thread(const reader::ThreadRecord& r, std::uint64_t line) override {
    if (r.name) thread_names[r.tid] = *r.name;
    // Its `ts` is when the flusher wrote the line, not a time in the thread's own order (docs/format.md).
    if (r.ts != 0) {
      check_start(r.ts, line);
      last_ts = std::max(last_ts, r.ts);
    }
  }
  void on_span(const reader::SpanRecord& r, std::uint64_t line) override {
    ++spans;
    check_start(r.ts, line);
    // A span line is written when the span ends: its end time is where it sits in the thread's order.
    if (!r.is_async) recorded(r.tid, r.ts + r.dur_ns, line);
  }
  // Statistics-mode spans count among the spans; their line's ts is a write time, in no thread's order.
  void on_span_stats(const reader::SpanStatsRecord& r, std::uint64_t) override { spans += r.count; }
  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t line) override {
    open.start(r, line);
    // A span_start is written at the end of the batch its span began in, after the batch's later records:
    // its time may precede theirs, so it is not judged. Nothing after it can be older, so it moves the mark.
    if (!r.is_async) passed(r.tid, r.ts, line);
  }
  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t line) override {
    ++spans;
    const auto span = open.end(r);
    // The thread that ended the span wrote its span_end in its own order (an async span may end on another
    // thread). An older file names no thread: then only a span that is not async is judged, on its own.
    if (r.tid)
      recorded(*r.tid, r.ts, line);
    else if (span && !span->is_async)
      recorded(span->tid, r.ts, line);
  }
  void on_instant(const reader::InstantRecord& r, std::uint64_t line) override {
    ++events;
    recorded(r.tid, r.ts, line);
  }
  void on_counter(const reader::CounterRecord& r, std::uint64_t) override { drained(r.ts); }
  void on_gauge(const reader::GaugeRecord& r, std::uint64_t) override { drained(r.ts); }
  void on_dropped(const reader::DroppedRecord& r, std::uint64_t) override {
    dropped.add(r.counts);
    drained(r.ts);
  }
  void on_phase(const reader::PhaseRecord& r, std::uint64_t) override {
    last_ts = std::max(last_ts, r.end_ts);
  }
  void on_crash(const reader::CrashRecord& r, std::uint64_t) override {
    crash = reader::CrashInfo{r.signal, std::string(r.name), std::string(r.what()), r.tid, r.ts};
    last_ts = std::max(last_ts, r.ts);
  }
  void on_footer(const reader::FooterRecord& r, std::uint64_t) override {
    footer = r;
    footer->stopped_by = {};  // a view into the reader's buffers
    stopped_by = std::string(r.stopped_by);
    last_ts = std::max(last_ts, r.ts);
  }

 private:
  void check_start(std::uint64_t ts, std::uint64_t line) {
    if (start_ts != 0 && ts < start_ts && ts != 0) {
      if (before_start++ == 0) before_start_first_line = line;
    }
  }
  // Records of one thread are written in the order they were recorded (docs/format.md).
  void recorded(std::uint64_t tid, std::uint64_t ts, std::uint64_t line) {
    if (ts == 0) return;
    std::uint64_t& previous = latest_per_thread_[tid];
    if (ts < previous) {
      ClockStats& c = clocks[tid];
      if (c.backwards++ == 0) c.first_line = line;
      c.largest_ns = std::max(c.largest_ns, previous - ts);
    }
    passed(tid, ts, line);
  }
  // The thread's records have reached `ts`, without judging this one.
  void passed(std::uint64_t tid, std::uint64_t ts, std::uint64_t line) {
    if (ts == 0) return;
    check_start(ts, line);
    last_ts = std::max(last_ts, ts);
    std::uint64_t& previous = latest_per_thread_[tid];
    previous = std::max(previous, ts);
  }
  // Counters, gauges and dropped lines carry the time of the drain that wrote them.
  void drained(std::uint64_t ts) {
    if (ts == 0) return;
    if (last_drain != 0 && ts > last_drain) longest_drain_gap = std::max(longest_drain_gap, ts - last_drain);
    last_drain = std::max(last_drain, ts);
    last_ts = std::max(last_ts, ts);
  }
  std::unordered_map<std::uint64_t, std::uint64_t> latest_per_thread_;  // latest timestamp per thread
};

// What doctor prints, a finding a line; a bad one makes the exit status 1.
class Findings {
 public:
  explicit Findings(const Console& console) : console_(console) {}
  void bad(const std::string& text) {
    ++problems_;
    console_.print("{} {}\n", console_.red("✗"), text);
  }
  void good(const std::string& text) { console_.print("{} {}\n", console_.green("✓"), text); }
  void note(const std::string& text) { console_.print("{} {}\n", console_.yellow("!"), text); }
  std::size_t problems() const { return problems_; }
  const Console& console() const { return console_; }

 private:
  const Console& console_;
  std::size_t problems_ = 0;
};

// The facts every judgement reads, decided once.
struct Diagnosis {
  const HealthSink& health;
  const reader::ReadReport& report;
  reader::RunState state;
  reader::DroppedCounts dropped;  // the lines' and the footer's, the larger of each
  std::uint64_t rings_grown = 0, largest_ring = 0;
  bool grew_to_bound =
      false;         // grown as far as the bound lets it: a larger SPANLOG_RING_MAX would have held more
  std::string lost;  // what was dropped, in words; empty when nothing
};

Diagnosis diagnose(const HealthSink& health, const reader::ReadReport& report,
                   const std::filesystem::path& file) {
  reader::RunEnd ending{
      health.footer.has_value(), health.stopped_by, std::nullopt, health.pid, health.host, file};
  if (health.crash) ending.crash = health.crash->reason;
  const reader::RunState state = reader::decide_run_state(ending);
  reader::DroppedCounts dropped = health.dropped;
  if (health.footer) dropped.take_max(health.footer->dropped);
  // Rings that grew, as summary counts them: the footer's figures where larger than the lines'.
  std::uint64_t rings_grown = health.rings_grown,
                largest_ring = std::max(health.largest_ring, health.ring_bytes.value_or(0));
  if (health.footer) {
    rings_grown = std::max(rings_grown, health.footer->rings_grown);
    largest_ring = std::max(largest_ring, health.footer->largest_ring);
  }
  // Grown as far as the bound lets it: a larger SPANLOG_RING_MAX would have held more.
  const bool grew_to_bound = rings_grown > 0 && health.ring_max_bytes && *health.ring_max_bytes > 0 &&
                             largest_ring >= *health.ring_max_bytes;
  // A run that lost records is never named without saying so.
  const std::string lost = dropped_phrase(dropped, health.spans + health.open.open_count(), health.events);
  return Diagnosis{health, report, state, dropped, rings_grown, largest_ring, grew_to_bound, lost};
}

// The header on line 1, and how the run ended.
void judge_ends(const Diagnosis& d, Findings& findings) {
  const HealthSink& health = d.health;
  const reader::ReadReport& report = d.report;
  auto bad = [&](const std::string& t) { findings.bad(t); };
  auto good = [&](const std::string& t) { findings.good(t); };
  auto note = [&](const std::string& t) { findings.note(t); };
  const bool still_running = d.state.running();
  if (!health.header_line)
    bad("no header line: this is not the start of a spanlog run");
  else if (*health.header_line != 1)
    bad(fmt::format("the header is on line {}, not the first line", *health.header_line));

  if (health.footer && !health.stopped_by.empty()) {
    good(fmt::format("footer present: the run was written when {} ({} records, {} spans)",
                     stopped_by_phrase(health.stopped_by), report.records, health.spans));
  } else if (health.footer) {
    good(fmt::format("footer present: the run stopped cleanly ({} records, {} spans)", report.records,
                     health.spans));
  } else if (health.crash) {
    bad(fmt::format("crashed: {}", crash_phrase(*health.crash, health.start_ts)));
  } else if (still_running) {
    note(fmt::format("no footer yet: process {} is still running", health.pid));
  } else {
    bad("no footer: the run did not stop cleanly (killed, crashed, or exited without spanlog::stop())");
  }
}

// Torn and malformed lines.
void judge_lines(const Diagnosis& d, Findings& findings) {
  const reader::ReadReport& report = d.report;
  const Console& console = findings.console();
  auto bad = [&](const std::string& t) { findings.bad(t); };
  if (report.torn_last_line) bad(fmt::format("torn last line: {}", *report.torn_last_line));
  if (report.skipped_lines > 0) {
    bad(fmt::format("{} malformed line{}:", report.skipped_lines, report.skipped_lines == 1 ? "" : "s"));
    for (const auto& example : report.skipped_examples) console.print("    {}\n", example);
  }
}

// The spans started and never ended, nested per thread: what the program was doing when it stopped.
void judge_open_spans(const Diagnosis& d, Findings& findings) {
  const HealthSink& health = d.health;
  const Console& console = findings.console();
  auto bad = [&](const std::string& t) { findings.bad(t); };
  auto good = [&](const std::string& t) { findings.good(t); };
  if (!health.open.empty()) {
    const std::uint64_t until = health.footer ? health.footer->ts : health.last_ts;
    bad(fmt::format(
        "{} span{} started but never ended{}:", health.open.open_count(),
        health.open.open_count() == 1 ? "" : "s",
        health.footer ? " (still open at stop())" : " — what the program was doing when it stopped"));
    for (const auto& [tid, spans] : health.open.open_by_thread()) {
      const auto name = health.thread_names.find(tid);
      console.print("    thread {}{}\n", tid,
                    name == health.thread_names.end() ? "" : " (" + name->second + ")");
      for (const auto& nested : spans) {
        const auto& span = *nested.span;
        const std::uint64_t since_start =
            health.start_ts && span.start_ts >= health.start_ts ? span.start_ts - health.start_ts : 0;
        console.print("    {}{}  started at +{}, open for {} (line {})\n",
                      std::string(2 + 2 * nested.depth, ' '), span.name, human_duration(since_start),
                      human_duration(until > span.start_ts ? until - span.start_ts : 0), span.start_line);
      }
    }
  } else {
    good("no span left open");
  }
  if (health.open.orphan_ends() > 0)
    bad(fmt::format("{} span_end line{} without a span_start", health.open.orphan_ends(),
                    health.open.orphan_ends() == 1 ? "" : "s"));
}

// What was dropped or never written, and the rings that grew instead.
void judge_losses(const Diagnosis& d, Findings& findings) {
  const HealthSink& health = d.health;
  const reader::DroppedCounts& dropped = d.dropped;
  const std::string& lost = d.lost;
  const bool still_running = d.state.running();
  const bool grew_to_bound = d.grew_to_bound;
  const std::uint64_t rings_grown = d.rings_grown, largest_ring = d.largest_ring;
  auto bad = [&](const std::string& t) { findings.bad(t); };
  auto good = [&](const std::string& t) { findings.good(t); };
  auto note = [&](const std::string& t) { findings.note(t); };
  // Without a footer the file holds no totals, and the last flush interval may never have been written.
  const std::string last_interval =
      health.flush_interval_ms ? fmt::format("the last flush interval ({} ms)", *health.flush_interval_ms)
                               : std::string("the last flush interval");
  if (dropped.total() > 0 && grew_to_bound)
    bad(
        fmt::format("{} (a ring was full at its bound, {}, after growing: raise SPANLOG_RING_MAX, drain more "
                    "often with a smaller SPANLOG_FLUSH_INTERVAL_MS, or let threads wait with "
                    "SPANLOG_OVERFLOW=block)",
                    lost, reader::human_bytes(*health.ring_max_bytes)));
  else if (dropped.total() > 0)
    bad(
        fmt::format("{} (a ring was full: raise SPANLOG_RING_SIZE, drain more often with a smaller "
                    "SPANLOG_FLUSH_INTERVAL_MS, or let threads wait with SPANLOG_OVERFLOW=block)",
                    lost));
  else if (health.footer)
    good("nothing dropped");
  else if (still_running)
    note("no drops counted yet: the footer, written when the run stops, carries the totals");
  else if (health.crash)
    note(
        fmt::format("no drops are counted in the file; the rings were written by the crash handler, but the "
                    "attributes, gauges and floating-point counters of {} are not",
                    last_interval));
  else
    note(fmt::format("no drops are counted in the file, but {} may be missing: the run did not stop cleanly",
                     last_interval));
  // Information, not a problem: a thread outran the flusher and its ring doubled rather than drop.
  if (rings_grown > 0)
    note(fmt::format("{}: a thread outran the flusher, and its ring doubled rather than drop{}",
                     ring_growth_phrase(rings_grown, largest_ring),
                     grew_to_bound
                         ? fmt::format(" (up to its bound, {})", reader::human_bytes(*health.ring_max_bytes))
                         : std::string()));
  if (health.footer && health.footer->unwritten_records > 0)
    bad(fmt::format("{} records were lost to a write error (a full disk?): they are not in the file",
                    health.footer->unwritten_records));
}

// Timestamps in each thread's order, none before the run's start.
void judge_clock(const Diagnosis& d, Findings& findings) {
  const HealthSink& health = d.health;
  auto bad = [&](const std::string& t) { findings.bad(t); };
  auto good = [&](const std::string& t) { findings.good(t); };
  bool clock_ok = true;
  for (const auto& [tid, clock] : health.clocks) {
    clock_ok = false;
    bad(fmt::format("clock: on thread {} timestamps went backwards {} time{} (by up to {}; first at line {})",
                    tid, clock.backwards, clock.backwards == 1 ? "" : "s", human_duration(clock.largest_ns),
                    clock.first_line));
  }
  if (health.before_start > 0) {
    clock_ok = false;
    bad(fmt::format("clock: {} timestamp{} before the header's start_ts (first at line {})",
                    health.before_start, health.before_start == 1 ? "" : "s",
                    health.before_start_first_line));
  }
  if (clock_ok) good("timestamps in order on every thread");
}

// Drains far apart: the flusher fell behind.
void judge_flusher_lag(const Diagnosis& d, Findings& findings) {
  const HealthSink& health = d.health;
  if (health.flush_interval_ms && health.longest_drain_gap > 0) {
    const std::uint64_t interval_ns = *health.flush_interval_ms * 1'000'000;
    // A few intervals of slack: drains are only visible when a metric changed in them.
    if (interval_ns > 0 && health.longest_drain_gap > 10 * interval_ns)
      findings.note(fmt::format("flusher lag: {} between two drains (flush interval {} ms)",
                                human_duration(health.longest_drain_gap), *health.flush_interval_ms));
  }
}

// "+2.00 s": a time as an offset into the run.
std::string run_offset(std::uint64_t ts, std::uint64_t start_ts) {
  return "+" + human_duration(ts >= start_ts ? ts - start_ts : 0);
}

// The recorder's vitals: information, never a problem by itself (a high lag or a full ring shows as drops).
void judge_vitals(const reader::VitalsReport& vitals, const HealthSink& health, Findings& findings) {
  if (!vitals.any) return;  // older files, or SPANLOG_VITALS=0
  const std::uint64_t start = health.start_ts;
  const std::string threshold =
      health.flush_interval_ms
          ? fmt::format("{} (5 flush intervals of {} ms)", human_duration(vitals.lag_threshold_ns),
                        *health.flush_interval_ms)
          : human_duration(vitals.lag_threshold_ns);
  constexpr std::size_t kPeriodsShown = 3;
  for (std::size_t i = 0; i < std::min(vitals.high_lag.size(), kPeriodsShown); ++i) {
    const reader::HighLagPeriod& high = vitals.high_lag[i];
    const std::string when =
        high.samples == 1
            ? fmt::format("in one sample at {}", run_offset(high.first_ts, start))
            : fmt::format("for {}, from {} to {} ({} samples)", human_duration(high.last_ts - high.first_ts),
                          run_offset(high.first_ts, start), run_offset(high.last_ts, start), high.samples);
    findings.note(
        fmt::format("flusher lag above {} {}: peak {}; {}", threshold, when, human_duration(high.peak_ns),
                    high.below_again_ts ? "below again at " + run_offset(*high.below_again_ts, start)
                                        : std::string("still high at the run's end")));
  }
  if (vitals.high_lag.size() > kPeriodsShown)
    findings.note(fmt::format("flusher lag high {} more times", vitals.high_lag.size() - kPeriodsShown));
  if (vitals.high_lag.empty() && vitals.lag_samples > 0)
    findings.good(
        fmt::format("flusher lag at most {}, below {}", human_duration(vitals.largest_lag_ns), threshold));

  if (vitals.fullest_ring) {
    const reader::RingFill& ring = *vitals.fullest_ring;
    const auto name = health.thread_names.find(ring.tid);
    const std::string text =
        fmt::format("fullest ring: thread {}{} at {:.1f}% of its size", ring.tid,
                    name == health.thread_names.end() ? "" : " (" + name->second + ")", ring.peak * 100.0);
    // Past 90% a burst a little larger would have filled it: a full ring drops records (or grows).
    if (ring.peak >= 0.9)
      findings.note(text + ": close to full (a full ring drops records, or grows up to SPANLOG_RING_MAX)");
    else
      findings.good(text);
  }

  if (vitals.memory) {
    const reader::MemoryChange& m = *vitals.memory;
    auto bytes = [](double b) { return reader::human_bytes(static_cast<std::uint64_t>(std::max(0.0, b))); };
    const std::string span =
        fmt::format("resident memory {} at {}, {} at {}", bytes(m.first_bytes), run_offset(m.first_ts, start),
                    bytes(m.last_bytes), run_offset(m.last_ts, start));
    const std::string peak =
        m.peak_bytes > m.last_bytes ? fmt::format(" (peak {})", bytes(m.peak_bytes)) : "";
    if (m.last_bytes > m.first_bytes)
      findings.note(fmt::format(
          "{}: grew by {} (+{:.0f}%){}", span, bytes(m.last_bytes - m.first_bytes),
          m.first_bytes > 0 ? 100.0 * (m.last_bytes - m.first_bytes) / m.first_bytes : 0.0, peak));
    else
      findings.good(fmt::format("{}: did not grow{}", span, peak));
  }
}

}  // namespace

int doctor_command(const DoctorOptions& options, const Console& console) {
  const reader::RunLocation location = reader::locate_run(options.run);
  HealthSink health;
  reader::VitalsSink vitals;
  reader::SinkFanout both{&health, &vitals};
  reader::ReadOptions read_options;
  read_options.skip_bad = true;  // a doctor lists every bad line instead of stopping at the first
  const reader::ReadReport report = reader::read_file(location.file, both, read_options);

  const Diagnosis diagnosis = diagnose(health, report, location.file);
  const std::string& lost = diagnosis.lost;
  console.print(
      "{} {}{}: {}{}\n", console.bold("run"), health.run_id.empty() ? location.file.string() : health.run_id,
      health.pid ? fmt::format(" (pid {}{})", health.pid, health.host.empty() ? "" : " on " + health.host)
                 : "",
      state_text(diagnosis.state, console), lost.empty() ? "" : ", " + console.yellow(lost));

  Findings findings(console);
  judge_ends(diagnosis, findings);
  judge_lines(diagnosis, findings);
  judge_open_spans(diagnosis, findings);
  judge_losses(diagnosis, findings);
  judge_clock(diagnosis, findings);
  judge_flusher_lag(diagnosis, findings);
  judge_vitals(vitals.report(), health, findings);
  if (findings.problems() == 0) console.print("{}\n", console.green("healthy"));
  return findings.problems() > 0 ? 1 : 0;
}

}  // namespace spanlog::cli
