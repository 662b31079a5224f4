#include "reader/vitals.hpp"

#include <algorithm>

#include "reader/metric_series.hpp"

namespace spanlog::reader {
namespace {

constexpr std::string_view kFlusherLag = "spanlog.flusher.lag";
constexpr std::string_view kRingFill = "spanlog.ring.fill";
constexpr std::string_view kResidentMemory = "spanlog.process.memory.rss";

std::optional<std::uint64_t> tid_label(Labels labels) {
  for (const Attr& label : labels)
    if (label.key == "tid" && label.value.type == AttrValue::Type::number && label.value.number.is_integer &&
        label.value.number.as_integer >= 0)
      return static_cast<std::uint64_t>(label.value.number.as_integer);
  return std::nullopt;
}

}  // namespace

double high_lag_threshold_ns(std::optional<std::uint64_t> flush_interval_ms) {
  return flush_interval_ms && *flush_interval_ms > 0 ? 5.0 * 1e6 * static_cast<double>(*flush_interval_ms)
                                                     : 1e9;
}

void VitalsSink::on_counter(const CounterRecord& r, std::uint64_t) {
  if (is_vital(r.name)) any_ = true;
}

void VitalsSink::on_gauge(const GaugeRecord& r, std::uint64_t) {
  if (!is_vital(r.name)) return;
  any_ = true;
  if (r.name == kFlusherLag && r.value) {
    lag_.push_back({r.ts, *r.value});
  } else if (r.name == kResidentMemory && r.value) {
    rss_.push_back({r.ts, *r.value});
  } else if (r.name == kRingFill) {
    const std::optional<std::uint64_t> tid = tid_label(r.labels);
    const std::optional<double> peak = r.max ? r.max : r.value;
    if (!tid || !peak) return;
    auto ring = std::find_if(rings_.begin(), rings_.end(), [&](const RingFill& f) { return f.tid == *tid; });
    if (ring == rings_.end()) ring = rings_.insert(rings_.end(), RingFill{*tid, *peak});
    ring->peak = std::max(ring->peak, *peak);
  }
}

VitalsReport VitalsSink::report() const {
  VitalsReport report;
  report.any = any_;
  report.lag_threshold_ns = high_lag_threshold_ns(flush_interval_ms_);
  std::vector<Sample> lag = lag_;
  std::stable_sort(lag.begin(), lag.end(), [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
  report.lag_samples = lag.size();
  for (const Sample& sample : lag) {
    report.largest_lag_ns = std::max(report.largest_lag_ns, sample.value);
    const bool high = sample.value > report.lag_threshold_ns;
    HighLagPeriod* open =
        report.high_lag.empty() || report.high_lag.back().below_again_ts ? nullptr : &report.high_lag.back();
    if (high && open == nullptr) {
      report.high_lag.push_back({sample.ts, sample.ts, 1, sample.value, std::nullopt});
    } else if (high) {
      open->last_ts = sample.ts;
      ++open->samples;
      open->peak_ns = std::max(open->peak_ns, sample.value);
    } else if (open != nullptr) {
      open->below_again_ts = sample.ts;
    }
  }
  for (const RingFill& ring : rings_)
    if (!report.fullest_ring || ring.peak > report.fullest_ring->peak) report.fullest_ring = ring;
  if (!rss_.empty()) {
    std::vector<Sample> rss = rss_;
    std::stable_sort(rss.begin(), rss.end(), [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
    MemoryChange memory{rss.front().ts, rss.back().ts, rss.front().value, rss.back().value, 0};
    for (const Sample& sample : rss) memory.peak_bytes = std::max(memory.peak_bytes, sample.value);
    report.memory = memory;
  }
  return report;
}

}  // namespace spanlog::reader
