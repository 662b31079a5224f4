// What the recorder's vitals (docs/format.md, "Vitals": `spanlog.*` metrics, schema 1.7) say about how it
// kept up: when and for how long the flusher's lag was high, which ring came closest to full, and how
// resident memory changed. Collected in one pass as a sink; judged by `doctor`. No printing here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "reader/records.hpp"

namespace spanlog::reader {

// A run of consecutive `spanlog.flusher.lag` samples above the threshold.
struct HighLagPeriod {
  std::uint64_t first_ts = 0, last_ts = 0;  // the first and last sample above the threshold
  std::uint64_t samples = 0;
  double peak_ns = 0;
  std::optional<std::uint64_t> below_again_ts;  // the next sample below it; empty when the run ended high
};

struct RingFill {
  std::uint64_t tid = 0;
  double peak = 0;  // the largest `max` of its `spanlog.ring.fill` lines: used bytes over the ring's size
};

struct MemoryChange {
  std::uint64_t first_ts = 0, last_ts = 0;
  double first_bytes = 0, last_bytes = 0, peak_bytes = 0;
};

struct VitalsReport {
  bool any = false;               // the run has vitals at all (schema 1.7, options.vitals on)
  double lag_threshold_ns = 0;    // what counts as a high lag (high_lag_threshold_ns)
  std::uint64_t lag_samples = 0;  // `spanlog.flusher.lag` lines
  double largest_lag_ns = 0;
  std::vector<HighLagPeriod> high_lag;  // in time order
  std::optional<RingFill> fullest_ring;
  std::optional<MemoryChange> memory;
};

// A lag is high above 5 flush intervals (500 ms at the default 100 ms): records then wait five drains or more
// in their rings, which fill; 1 s when the run does not say its interval.
double high_lag_threshold_ns(std::optional<std::uint64_t> flush_interval_ms);

class VitalsSink : public RecordSink {
 public:
  bool wants_attrs() const override { return false; }
  void on_header(const HeaderRecord& r, std::uint64_t) override { flush_interval_ms_ = r.flush_interval_ms; }
  void on_gauge(const GaugeRecord& r, std::uint64_t) override;
  void on_counter(const CounterRecord& r, std::uint64_t) override;

  // Lag samples are taken in time order (`ts`), whatever order their lines came in.
  VitalsReport report() const;

 private:
  struct Sample {
    std::uint64_t ts = 0;
    double value = 0;
  };
  std::optional<std::uint64_t> flush_interval_ms_;
  bool any_ = false;
  std::vector<Sample> lag_, rss_;
  std::vector<RingFill> rings_;
};

}  // namespace spanlog::reader
