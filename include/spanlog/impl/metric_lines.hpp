// The flusher's side of labelled metrics, metric units and descriptions, and the process's vitals: the
// labelled values it drains go into their series (labelled_series.hpp), and once per flush interval each
// series that changed becomes a line; declarations made since the header become `metric_info` lines; and
// each statistics interval the vitals (process_vitals.hpp) become counter and gauge lines of their own.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../detail/record.hpp"
#include "../detail/span_stats.hpp"
#include "flusher.hpp"
#include "labelled_series.hpp"
#include "metric_info_registry.hpp"
#include "process_vitals.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// The labels' members in the order of their keys, so that one label set is one series whatever order the
// call sites name them in.
inline void Flusher::add_labelled_value(const Site& s, std::uint64_t bits, const std::byte* labels,
                                        std::uint8_t count) {
  std::pair<const char*, const std::byte*> by_key[SPANLOG_MAX_ATTRS];
  const std::byte* p = labels;
  for (std::uint8_t i = 0; i < count; ++i) {
    AttrSlot slot;
    std::memcpy(&slot, p, sizeof slot);
    by_key[i] = {slot.key, p};
    p += sizeof slot + (slot.type == AttrType::string ? align_up(slot.length, 8) : 0);
  }
  std::sort(by_key, by_key + count,
            [](const auto& a, const auto& b) { return std::strcmp(a.first, b.first) < 0; });
  scratch_.clear();
  for (std::uint8_t i = 0; i < count; ++i) append_attr_members(scratch_, by_key[i].second, 1, i != 0);
  labels_text_.assign(scratch_.data(), scratch_.size());
  labelled_.add(s, *quoted_name(&s, s.name), labels_text_, bits);
}

template <class Writer>
void write_histogram_buckets(Writer& w, const std::map<std::size_t, std::uint64_t>& buckets) {
  w.raw(",\"buckets\":[");
  bool first = true;
  for (const auto& [bucket, count] : buckets) {
    w.raw(first ? "[" : ",[");
    first = false;
    w.u64(stats_bucket_lower_bound(bucket));
    w.raw(',');
    w.u64(count);
    w.raw(']');
  }
  w.raw(']');
}

inline void Flusher::emit_labelled_series(std::int64_t now) {
  labelled_.take_changed([&](const Series& series) {
    const SeriesValues& v = series.values;
    switch (v.kind) {
      case SiteKind::histogram:
        open_record("{\"event\":\"histogram\",\"name\":");
        break;
      case SiteKind::gauge:
        open_record("{\"event\":\"gauge\",\"name\":");
        break;
      default:
        open_record("{\"event\":\"counter\",\"name\":");
    }
    w_.raw(series.quoted_name);
    w_.raw(",\"ts\":");
    w_.i64(now);
    if (v.kind == SiteKind::histogram) {
      w_.raw(",\"sum\":");
      w_.u64(v.value_sum);
      write_histogram_buckets(w_, v.buckets);
      w_.raw(",\"count\":");
      w_.u64(v.count);
    } else if (v.kind == SiteKind::gauge) {
      w_.raw(",\"value\":");
      w_.f64(v.last);
      w_.raw(",\"min\":");
      w_.f64(v.min);
      w_.raw(",\"max\":");
      w_.f64(v.max);
      w_.raw(",\"count\":");
      w_.u64(v.count);
    } else {
      const bool is_float = v.kind == SiteKind::counter_float;
      w_.raw(",\"delta\":");
      if (is_float)
        w_.f64(v.float_sum);
      else
        w_.i64(v.int_sum);
      add_counter_total(series.name.c_str(), is_float, v.int_sum, v.float_sum);
    }
    w_.raw(",\"labels\":{");
    w_.raw(series.labels);
    w_.raw("}");
    end_record();
  });
}

// ,"metrics":{"name":{"unit":…,"description":…},…} for the vitals and the declarations the header holds
// (the first metric_infos_written_); a name declared twice is written once, as last declared.
inline void Flusher::write_metric_infos_object(JsonlWriter& w) const {
  std::vector<MetricInfoEntry> infos;
  if (opts_.vitals)
    for (const VitalInfo& v : vital_infos) infos.push_back(MetricInfoEntry{v.name, v.unit, v.description});
  for (MetricInfoEntry& declared : g_metric_info.declared_from(0)) {
    if (infos.size() == metric_infos_written_ + (opts_.vitals ? std::size(vital_infos) : 0)) break;
    auto same =
        std::find_if(infos.begin(), infos.end(), [&](const auto& e) { return e.name == declared.name; });
    if (same != infos.end())
      *same = std::move(declared);
    else
      infos.push_back(std::move(declared));
  }
  if (infos.empty()) return;
  w.raw(",\"metrics\":{");
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (i) w.raw(',');
    w.string(infos[i].name);
    w.raw(":{\"unit\":");
    w.string(infos[i].unit);
    w.raw(",\"description\":");
    w.string(infos[i].description);
    w.raw('}');
  }
  w.raw('}');
}

inline void Flusher::emit_metric_infos(std::int64_t now) {
  if (g_metric_info.declared() == metric_infos_written_) return;
  for (const MetricInfoEntry& info : g_metric_info.declared_from(metric_infos_written_)) {
    open_record("{\"event\":\"metric_info\",\"name\":");
    w_.string(info.name);
    w_.raw(",\"ts\":");
    w_.i64(now);
    w_.raw(",\"unit\":");
    w_.string(info.unit);
    w_.raw(",\"description\":");
    w_.string(info.description);
    end_record();
    ++metric_infos_written_;
  }
}

// Before a batch of the ring is drained: how full the ring is, and how long ago its oldest record (the
// first one that carries a time) was made.
inline void Flusher::note_fill_and_lag(BufferState& st, std::uint64_t from, std::uint64_t published) {
  const ThreadBuffer& b = *st.buf;
  const double fill = static_cast<double>(published - from) / static_cast<double>(b.read_mask + 1);
  st.peak_fill = std::max(st.peak_fill, fill);
  const RingRecord first = read_record(b, from);
  const bool timed = first.tag == tag_span_begin || first.tag == tag_span_end || first.tag == tag_instant ||
                     (first.tag == tag_extended && first.value != 0);
  if (!timed) return;
  const std::uint64_t now = ticks();
  if (now > first.value) vitals_.max_lag_ticks = std::max(vitals_.max_lag_ticks, now - first.value);
  vitals_.lag_seen = true;
}

inline void Flusher::emit_vitals(std::int64_t now) {
  const auto open_line = [&](const char* kind, const char* name) {
    open_record(kind);
    w_.string(std::string_view(name));
    w_.raw(",\"ts\":");
    w_.i64(now);
  };
  const auto gauge = [&](const char* name, double value) {
    open_line("{\"event\":\"gauge\",\"name\":", name);
    w_.raw(",\"value\":");
    w_.f64(value);
    w_.raw(",\"min\":");
    w_.f64(value);
    w_.raw(",\"max\":");
    w_.f64(value);
    w_.raw(",\"count\":1");
  };
  const auto counter = [&](const char* name, auto delta) {
    open_line("{\"event\":\"counter\",\"name\":", name);
    w_.raw(",\"delta\":");
    if constexpr (std::is_floating_point_v<decltype(delta)>)
      w_.f64(delta);
    else
      w_.u64(delta);
  };
  gauge("spanlog.process.memory.rss", static_cast<double>(resident_bytes()));
  end_record();
  const ProcessCpu cpu = process_cpu();
  counter("spanlog.process.cpu.time", std::max(0.0, cpu.user_seconds - vitals_.cpu_reported.user_seconds));
  w_.raw(",\"labels\":{\"cpu.mode\":\"user\"}");
  end_record();
  counter("spanlog.process.cpu.time",
          std::max(0.0, cpu.system_seconds - vitals_.cpu_reported.system_seconds));
  w_.raw(",\"labels\":{\"cpu.mode\":\"system\"}");
  end_record();
  vitals_.cpu_reported = cpu;
  gauge("spanlog.process.threads", static_cast<double>(states_.size()));
  end_record();
  counter("spanlog.written.bytes", bytes_written_ - vitals_.bytes_reported);
  end_record();
  vitals_.bytes_reported = bytes_written_;
  // The vitals' own lines from here on are counted in the next interval.
  const std::uint64_t records = totals_.records;
  counter("spanlog.written.records", records - vitals_.records_reported);
  end_record();
  vitals_.records_reported = records;
  const std::uint64_t dropped = totals_.dropped_spans + totals_.dropped_events + totals_.dropped_metrics +
                                totals_.dropped_attrs + totals_.dropped_async_ends;
  counter("spanlog.dropped.records", dropped - vitals_.dropped_reported);
  end_record();
  vitals_.dropped_reported = dropped;
  for (BufferState& st : states_) {
    if (st.peak_fill <= 0) continue;
    gauge("spanlog.ring.fill", st.peak_fill);
    w_.raw(",\"labels\":{\"tid\":");
    w_.u64(st.buf->tid);
    w_.raw('}');
    end_record();
    st.peak_fill = 0;
  }
  if (vitals_.lag_seen) {
    gauge("spanlog.flusher.lag",
          std::round(static_cast<double>(vitals_.max_lag_ticks) * calibration_.current_ns_per_tick()));
    end_record();
    vitals_.max_lag_ticks = 0;
    vitals_.lag_seen = false;
  }
  const double flusher_cpu = this_thread_cpu_seconds();
  counter("spanlog.flusher.cpu.time", std::max(0.0, flusher_cpu - vitals_.flusher_cpu_reported));
  end_record();
  vitals_.flusher_cpu_reported = flusher_cpu;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
