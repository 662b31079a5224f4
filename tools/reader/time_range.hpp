// A run's time range as its records tell it: the oldest and the newest timestamp of any record (a span's end
// included, a phase's end, the footer). What a run without a footer lasted, and where an exporter's timeline
// ends, are both read from here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "reader/records.hpp"

namespace spanlog::reader {

class TimeRangeSink : public RecordSink {
 public:
  bool wants_attrs() const override { return false; }
  void on_header(const HeaderRecord& r, std::uint64_t) override { saw(r.start_ts); }
  void on_thread(const ThreadRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_span(const SpanRecord& r, std::uint64_t) override {
    saw(r.ts);
    saw(r.ts + r.dur_ns);
  }
  void on_span_start(const SpanStartRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_span_end(const SpanEndRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_instant(const InstantRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_log(const LogRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_counter(const CounterRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_gauge(const GaugeRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_histogram(const HistogramRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_phase(const PhaseRecord& r, std::uint64_t) override {
    saw(r.ts);
    saw(r.end_ts);
  }
  void on_dropped(const DroppedRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_crash(const CrashRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_footer(const FooterRecord& r, std::uint64_t) override { saw(r.ts); }

  bool empty() const { return newest_ == 0; }
  std::uint64_t oldest() const { return oldest_; }  // meaningful when !empty()
  std::uint64_t newest() const { return newest_; }  // 0 when empty()

 private:
  // A zero timestamp means "not written" (counters and gauges may lack one): it is no time at all.
  void saw(std::uint64_t ts) {
    if (ts == 0) return;
    oldest_ = std::min(oldest_, ts);
    newest_ = std::max(newest_, ts);
  }

  std::uint64_t oldest_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t newest_ = 0;
};

}  // namespace spanlog::reader
