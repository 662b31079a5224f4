// run_summary.json, written beside telemetry.jsonl when a run stops: the run's wall time, its phases with the
// spans that started inside each, its totals, counters and threads. Written to a temporary file and renamed,
// so a reader sees a whole summary or none.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "../config.hpp"
#include "flusher.hpp"
#include "jsonl_writer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline void Flusher::write_run_summary(std::int64_t end_ns, std::uint64_t open) {
  JsonlWriter w;
  w.raw("{\"run_id\":");
  w.string(run_id_);
  w.raw(",\"schema\":1,\"start_ts\":");
  w.i64(calibration_.anchor_ns);
  w.raw(",\"total_wall_ns\":");
  w.i64(end_ns - calibration_.anchor_ns);
  if (stopped_by_) {
    w.raw(",\"stopped_by\":");
    w.string(stopped_by_);
  }
  w.raw(",\"phases\":{");
  bool first = true;
  for (const auto& ph : phases_) {
    if (!first) w.raw(',');
    first = false;
    w.string(ph.name);
    w.raw(":{\"wall_ns\":");
    const std::uint64_t end = ph.end_ticks ? ph.end_ticks : ticks();
    w.i64(calibration_.to_ns(end) - calibration_.to_ns(ph.begin_ticks));
    w.raw(",\"spans\":");
    w.u64(ph.spans);
    if (!ph.end_ticks) w.raw(",\"open\":true");
    w.raw('}');
  }
  w.raw("},\"totals\":{\"spans\":");
  w.u64(totals_.spans);
  w.raw(",\"events\":");
  w.u64(totals_.events);
  w.raw(",\"stats_spans\":");
  w.u64(totals_.stats_spans);
  w.raw(",\"records\":");
  w.u64(totals_.records);
  w.raw(",\"dropped\":");
  w.u64(totals_.dropped_spans + totals_.dropped_events + totals_.dropped_metrics + totals_.dropped_attrs +
        totals_.dropped_async_ends);
  write_ring_totals(w);
  w.raw(",\"open_spans\":");
  w.u64(open);
  w.raw(",\"counters\":{");
  first = true;
  for (const auto& c : counter_totals_) {
    if (!first) w.raw(',');
    first = false;
    w.string(c.first);
    w.raw(':');
    if (c.second.is_float)
      w.f64(c.second.float_sum + static_cast<double>(c.second.int_sum));
    else
      w.i64(c.second.int_sum);
  }
  w.raw("}},\"threads\":[");
  first = true;
  for (const auto& t : threads_) {
    if (!first) w.raw(',');
    first = false;
    w.raw("{\"tid\":");
    w.u64(t.tid);
    if (!t.name.empty()) {
      w.raw(",\"name\":");
      w.string(t.name);
    }
    w.raw(",\"spans\":");
    w.u64(t.spans);
    w.raw('}');
  }
  w.raw("]}\n");
  const std::string path = run_dir_ + "/run_summary.json";
  const std::string tmp = path + ".tmp";
  if (run_dir_.empty()) return;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const bool ok = fd >= 0 && ::write(fd, w.data(), w.size()) == static_cast<ssize_t>(w.size());
  if (fd >= 0) ::close(fd);
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0) return;
  ::unlink(tmp.c_str());
  std::fprintf(stderr, "spanlog: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
}

}  // namespace detail
SPANLOG_END_NAMESPACE
