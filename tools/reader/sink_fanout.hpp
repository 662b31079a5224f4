// Hands every record to several sinks in one reading: a view that needs two kinds of facts (its own, and the
// run's time range, say) reads the file once and keeps each kind in its own sink.
#pragma once

#include <initializer_list>
#include <vector>

#include "reader/records.hpp"

namespace spanlog::reader {

class SinkFanout : public RecordSink {
 public:
  SinkFanout(std::initializer_list<RecordSink*> sinks) : sinks_(sinks) {}

  bool wants_attrs() const override {
    for (const RecordSink* sink : sinks_)
      if (sink->wants_attrs()) return true;
    return false;
  }
  void on_header(const HeaderRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_header, r, line);
  }
  void on_thread(const ThreadRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_thread, r, line);
  }
  void on_span(const SpanRecord& r, std::uint64_t line) override { each(&RecordSink::on_span, r, line); }
  void on_span_start(const SpanStartRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_span_start, r, line);
  }
  void on_span_end(const SpanEndRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_span_end, r, line);
  }
  void on_span_stats(const SpanStatsRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_span_stats, r, line);
  }
  void on_instant(const InstantRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_instant, r, line);
  }
  void on_log(const LogRecord& r, std::uint64_t line) override { each(&RecordSink::on_log, r, line); }
  void on_counter(const CounterRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_counter, r, line);
  }
  void on_gauge(const GaugeRecord& r, std::uint64_t line) override { each(&RecordSink::on_gauge, r, line); }
  void on_histogram(const HistogramRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_histogram, r, line);
  }
  void on_metric_info(const MetricInfoRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_metric_info, r, line);
  }
  void on_phase(const PhaseRecord& r, std::uint64_t line) override { each(&RecordSink::on_phase, r, line); }
  void on_dropped(const DroppedRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_dropped, r, line);
  }
  void on_ring_grown(const RingGrownRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_ring_grown, r, line);
  }
  void on_crash(const CrashRecord& r, std::uint64_t line) override { each(&RecordSink::on_crash, r, line); }
  void on_footer(const FooterRecord& r, std::uint64_t line) override {
    each(&RecordSink::on_footer, r, line);
  }

 private:
  template <class Record>
  void each(void (RecordSink::*handle)(const Record&, std::uint64_t), const Record& r, std::uint64_t line) {
    for (RecordSink* sink : sinks_) (sink->*handle)(r, line);
  }

  std::vector<RecordSink*> sinks_;
};

}  // namespace spanlog::reader
